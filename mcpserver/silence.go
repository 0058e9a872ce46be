package mcpserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/triagectl/triage/sources/alertmanager"
	"github.com/triagectl/triage/triage"
)

// proposal is a silence proposed and not yet confirmed.
type proposal struct {
	alert    triage.Alert
	incident string
	d        time.Duration
	comment  string
	expires  time.Time
}

// Silence bounds.
const (
	minSilence = time.Minute
	maxSilence = 24 * time.Hour
)

// silence is the two-step silence tool: without a token it proposes, with
// one it carries the proposal out, once.
func (s *Server) silence(ctx context.Context, in SilenceIn) (*answer, error) {
	now := s.d.Now()
	if tok := strings.TrimSpace(in.ConfirmToken); tok != "" {
		s.mu.Lock()
		p, ok := s.proposals[tok]
		delete(s.proposals, tok)
		s.mu.Unlock()
		switch {
		case !ok:
			return nil, errors.New("confirm_token: no such proposal (each is used once): propose the silence again")
		case now.After(p.expires):
			return nil, fmt.Errorf("confirm_token: the proposal expired at %s: propose the silence again", stamp(p.expires))
		}
		id, err := s.d.Alerts.Silence(ctx, p.alert, p.d, p.comment)
		if err != nil {
			a := failedAnswer("silence of incident "+clean(p.incident, 64), "sources: alertmanager FAILED ("+clean(reasonOf(err), 200)+")",
				errors.New("no silence was created"))
			return a, nil
		}
		a := &answer{}
		a.top("silence %s created in Alertmanager for incident %s: %s for %s, until %s", clean(id, 80), clean(p.incident, 64),
			matchers(p.alert), p.d, stamp(now.Add(p.d)))
		a.top("sources: alertmanager ok")
		return a, nil
	}
	if strings.TrimSpace(in.ID) == "" || in.Duration == "" || strings.TrimSpace(in.Comment) == "" {
		return nil, errors.New("propose a silence with id, duration and comment; then confirm it with confirm_token")
	}
	d, err := time.ParseDuration(strings.TrimSpace(in.Duration))
	if err != nil || d < minSilence || d > maxSilence {
		return nil, fmt.Errorf("duration %s: expected a duration between %s and %s, e.g. 30m or 2h", quote(in.Duration), minSilence, maxSilence)
	}
	if s.d.Incidents == nil {
		return nil, errors.New("no incident source to find the alert in")
	}
	inc, err := s.d.Incidents.Get(ctx, strings.TrimSpace(in.ID))
	if errors.Is(err, errNotFound) {
		return nil, fmt.Errorf("no incident %s in %s", quote(in.ID), s.d.Incidents.Name())
	}
	if err != nil {
		return nil, err
	}
	if len(inc.Alert.Labels) == 0 {
		return nil, fmt.Errorf("incident %s: its alert has no labels to match", quote(inc.ID))
	}
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	tok := hex.EncodeToString(b[:])
	p := proposal{alert: inc.Alert, incident: inc.ID, d: d, comment: strings.TrimSpace(in.Comment), expires: now.Add(proposalTTL)}
	s.mu.Lock()
	s.proposals[tok] = p
	for k, v := range s.proposals {
		if now.After(v.expires) {
			delete(s.proposals, k)
		}
	}
	for len(s.proposals) > maxProposals {
		for k := range s.proposals {
			delete(s.proposals, k)
			break
		}
	}
	s.mu.Unlock()
	a := &answer{}
	a.top("PROPOSAL, nothing created yet: silence incident %s (%s) in Alertmanager", clean(inc.ID, 64), clean(inc.Alert.Name, 80))
	a.top("matchers: %s", matchers(inc.Alert))
	a.top("duration: %s, from when it is confirmed · comment: %s", d, clean(p.comment, 300))
	a.top("To create it, call silence with confirm_token %q before %s; to drop it, do nothing.", tok, stamp(p.expires))
	return a, nil
}

// matchers are the silence's matchers: exactly the alert's labels.
func matchers(a triage.Alert) string {
	ms := alertmanager.MatchersForAlert(a.Labels)
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = clean(m.String(), 200)
	}
	return "{" + strings.Join(out, ", ") + "}"
}
