package alertmanager

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/triagectl/triage/sources"
)

// Silence states in API v2.
const (
	SilenceActive  = "active"
	SilencePending = "pending"
	SilenceExpired = "expired"
)

// Silence is a silence as created and as listed. ID, Status and UpdatedAt
// are set by Alertmanager.
type Silence struct {
	ID        string        `json:"id,omitempty"`
	Matchers  []Matcher     `json:"matchers"`
	StartsAt  time.Time     `json:"startsAt"`
	EndsAt    time.Time     `json:"endsAt"`
	CreatedBy string        `json:"createdBy"`
	Comment   string        `json:"comment"`
	Status    SilenceStatus `json:"status,omitzero"`
	UpdatedAt time.Time     `json:"updatedAt,omitzero"`
}

// SilenceStatus is where a silence is in its life.
type SilenceStatus struct {
	State string `json:"state"` // active | pending | expired
}

// postableSilence is what POST /api/v2/silences takes.
type postableSilence struct {
	ID        string    `json:"id,omitempty"`
	Matchers  []Matcher `json:"matchers"`
	StartsAt  time.Time `json:"startsAt"`
	EndsAt    time.Time `json:"endsAt"`
	CreatedBy string    `json:"createdBy"`
	Comment   string    `json:"comment"`
}

// ValidateSilence checks what Alertmanager would refuse, and a zero
// StartsAt, which CreateSilence fills with now. It returns the first
// problem found.
func ValidateSilence(s Silence, now time.Time) error {
	if len(s.Matchers) == 0 {
		return errors.New("a silence needs at least one matcher")
	}
	allMatchEmpty := true
	for i, m := range s.Matchers {
		if strings.TrimSpace(m.Name) == "" {
			return fmt.Errorf("matchers[%d] has no label name", i)
		}
		if m.IsRegex {
			if _, err := regexp.Compile("^(?:" + m.Value + ")$"); err != nil {
				return fmt.Errorf("matchers[%d] %s: bad regexp: %v", i, m.Name, err)
			}
		}
		if !m.Matches("") {
			allMatchEmpty = false
		}
	}
	if allMatchEmpty {
		return errors.New("at least one matcher must not match the empty string: each of these also holds alerts that lack the label")
	}
	if s.StartsAt.IsZero() {
		s.StartsAt = now
	}
	if !s.EndsAt.After(s.StartsAt) {
		return fmt.Errorf("endsAt %s is not after startsAt %s",
			s.EndsAt.Format(time.RFC3339), s.StartsAt.Format(time.RFC3339))
	}
	if !s.EndsAt.After(now) {
		return fmt.Errorf("endsAt %s is in the past", s.EndsAt.Format(time.RFC3339))
	}
	if strings.TrimSpace(s.CreatedBy) == "" {
		return errors.New("createdBy is empty")
	}
	if strings.TrimSpace(s.Comment) == "" {
		return errors.New("comment is empty")
	}
	return nil
}

// CreateSilence creates a silence and returns its id. A zero StartsAt
// means now. A non-empty ID replaces that silence, as the API does. The
// silence is checked before it is sent; a refused one is a bad_request
// error that names the problem.
func (c *Client) CreateSilence(ctx context.Context, s Silence) (string, error) {
	const op = "create_silence"
	now := time.Now()
	if err := ValidateSilence(s, now); err != nil {
		return "", clientError(op, err.Error())
	}
	if s.StartsAt.IsZero() {
		s.StartsAt = now
	}
	body := postableSilence{ID: s.ID, Matchers: s.Matchers, StartsAt: s.StartsAt, EndsAt: s.EndsAt,
		CreatedBy: s.CreatedBy, Comment: s.Comment}
	var out struct {
		SilenceID string `json:"silenceID"`
	}
	if err := c.call(ctx, op, http.MethodPost, "/api/v2/silences", nil, body, &out); err != nil {
		return "", err
	}
	if out.SilenceID == "" {
		return "", &sources.Error{Source: SourceName, Op: op, Kind: sources.KindDecode, Status: http.StatusOK,
			Msg: "answer has no silenceID"}
	}
	return out.SilenceID, nil
}

// ExpireSilence ends a silence now. Alertmanager keeps it, expired, until
// its retention runs out. An unknown id is a not_found error.
func (c *Client) ExpireSilence(ctx context.Context, id string) error {
	const op = "expire_silence"
	if strings.TrimSpace(id) == "" {
		return clientError(op, "silence id is empty")
	}
	// The shared client escapes the path but keeps slashes: an id must stay
	// one segment so that it cannot reach another endpoint.
	if strings.Contains(id, "/") || id == "." || id == ".." {
		return clientError(op, fmt.Sprintf("silence id %q is not a silence id", clip(id)))
	}
	return c.call(ctx, op, http.MethodDelete, "/api/v2/silence/"+id, nil, nil, nil)
}

// SilencesFilter narrows GET /api/v2/silences.
type SilencesFilter struct {
	// Filter holds matchers such as `alertname="HighErrorRate"`. A silence
	// is listed when it has a matcher identical to each (name, operator and
	// value), not when it would silence such an alert.
	Filter []string
}

// Silences lists silences, expired ones included (Alertmanager keeps them
// for its retention period).
func (c *Client) Silences(ctx context.Context, f SilencesFilter) ([]Silence, error) {
	q := url.Values{}
	for _, m := range f.Filter {
		q.Add("filter", m)
	}
	var out []Silence
	if err := c.call(ctx, "silences", http.MethodGet, "/api/v2/silences", q, nil, &out); err != nil {
		return nil, err
	}
	if out == nil {
		out = []Silence{}
	}
	return out, nil
}
