package alertmanager

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/triagectl/triage/sources"
)

// Alert states in API v2.
const (
	StateActive      = "active"
	StateSuppressed  = "suppressed"
	StateUnprocessed = "unprocessed"
)

// Alert is one alert as API v2 lists it.
type Alert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	Fingerprint  string            `json:"fingerprint"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"` // when it resolves unless re-sent
	UpdatedAt    time.Time         `json:"updatedAt"`
	GeneratorURL string            `json:"generatorURL"`
	Receivers    []Receiver        `json:"receivers"`
	Status       AlertStatus       `json:"status"`
}

// Receiver names a notification integration an alert is routed to.
type Receiver struct {
	Name string `json:"name"`
}

// AlertStatus says whether an alert notifies and, if not, what holds it.
type AlertStatus struct {
	State       string   `json:"state"` // active | suppressed | unprocessed
	SilencedBy  []string `json:"silencedBy"`
	InhibitedBy []string `json:"inhibitedBy"`
	MutedBy     []string `json:"mutedBy,omitempty"` // newer releases: time intervals
}

// Name is the alert's alertname label.
func (a Alert) Name() string { return a.Labels["alertname"] }

// Silenced reports whether at least one silence holds the alert.
func (a Alert) Silenced() bool { return len(a.Status.SilencedBy) > 0 }

// Expr is the PromQL expression behind the alert, when its generatorURL
// carries one.
func (a Alert) Expr() (string, bool) { return ExprFromGeneratorURL(a.GeneratorURL) }

// AlertsFilter narrows GET /api/v2/alerts. A nil flag leaves the server's
// default (include).
type AlertsFilter struct {
	Active      *bool
	Silenced    *bool
	Inhibited   *bool
	Unprocessed *bool
	// Filter holds matchers such as `alertname="HighErrorRate"`; all must match.
	Filter []string
	// Receiver is a regexp over receiver names.
	Receiver string
}

func (f AlertsFilter) query() url.Values {
	q := url.Values{}
	flag := func(name string, v *bool) {
		if v != nil {
			q.Set(name, strconv.FormatBool(*v))
		}
	}
	flag("active", f.Active)
	flag("silenced", f.Silenced)
	flag("inhibited", f.Inhibited)
	flag("unprocessed", f.Unprocessed)
	for _, m := range f.Filter {
		q.Add("filter", m)
	}
	if f.Receiver != "" {
		q.Set("receiver", f.Receiver)
	}
	return q
}

// Alerts lists the alerts Alertmanager holds, narrowed by f. A bad matcher
// comes back as a bad_request error carrying the server's message.
func (c *Client) Alerts(ctx context.Context, f AlertsFilter) ([]Alert, error) {
	var out []Alert
	if err := c.call(ctx, "alerts", http.MethodGet, "/api/v2/alerts", f.query(), nil, &out); err != nil {
		return nil, err
	}
	if out == nil {
		out = []Alert{}
	}
	return out, nil
}

// PostableAlert is an alert as a rule evaluator sends it. A zero StartsAt
// means now; a zero EndsAt lets Alertmanager resolve it after its
// resolve_timeout unless it is sent again.
type PostableAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt,omitzero"`
	EndsAt       time.Time         `json:"endsAt,omitzero"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// PostAlerts sends alerts to Alertmanager as Prometheus would. Each needs
// at least one label.
func (c *Client) PostAlerts(ctx context.Context, alerts []PostableAlert) error {
	const op = "post_alerts"
	if len(alerts) == 0 {
		return clientError(op, "no alerts to post")
	}
	for i, a := range alerts {
		if len(a.Labels) == 0 {
			return clientError(op, fmt.Sprintf("alerts[%d] has no labels", i))
		}
		if !a.EndsAt.IsZero() && !a.StartsAt.IsZero() && a.EndsAt.Before(a.StartsAt) {
			return clientError(op, fmt.Sprintf("alerts[%d] ends before it starts", i))
		}
	}
	return c.call(ctx, op, http.MethodPost, "/api/v2/alerts", nil, alerts, nil)
}

// clientError is a request refused before it was sent.
func clientError(op, msg string) *sources.Error {
	return &sources.Error{Source: SourceName, Op: op, Kind: sources.KindBadRequest, Msg: msg}
}
