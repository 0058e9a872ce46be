package alertmanager

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/triagectl/triage/sources"
)

// API is what the console and the engine need from Alertmanager. *Client
// implements it; Fake stands in for it in tests.
type API interface {
	Alerts(ctx context.Context, f AlertsFilter) ([]Alert, error)
	CreateSilence(ctx context.Context, s Silence) (string, error)
	ExpireSilence(ctx context.Context, id string) error
	Silences(ctx context.Context, f SilencesFilter) ([]Silence, error)
}

var _ API = (*Fake)(nil)

// Fake is an in-memory Alertmanager for tests of other packages. It holds
// alerts, records silences, and reports an alert suppressed while an active
// silence matches it, as the real one does. The zero value is ready to use.
type Fake struct {
	mu       sync.Mutex
	alerts   []Alert
	silences []Silence
	expired  []string

	// Errors returned by the calls, when set.
	AlertsErr, CreateSilenceErr, ExpireSilenceErr, SilencesErr error
	// Now is the fake's clock; time.Now when nil.
	Now func() time.Time
}

// NewFake returns a Fake holding alerts.
func NewFake(alerts ...Alert) *Fake {
	f := &Fake{}
	f.SetAlerts(alerts...)
	return f
}

// SetAlerts replaces the alerts the fake holds.
func (f *Fake) SetAlerts(alerts ...Alert) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.alerts = slices.Clone(alerts)
}

func (f *Fake) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

// Alerts returns the held alerts that pass the filter, with their status
// derived from the recorded silences. Filter matchers use ParseMatcher; a
// bad one is a bad_request error like the server's.
func (f *Fake) Alerts(_ context.Context, flt AlertsFilter) ([]Alert, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.AlertsErr != nil {
		return nil, f.AlertsErr
	}
	ms, err := parseFilters("alerts", flt.Filter)
	if err != nil {
		return nil, err
	}
	now := f.now()
	out := []Alert{}
	for _, a := range f.alerts {
		a.Status = AlertStatus{State: StateActive, SilencedBy: []string{}, InhibitedBy: []string{}}
		for _, s := range f.silences {
			if silenceState(s, now) == SilenceActive && MatchesLabels(s.Matchers, a.Labels) {
				a.Status.SilencedBy = append(a.Status.SilencedBy, s.ID)
			}
		}
		if a.Silenced() {
			a.Status.State = StateSuppressed
		}
		if !MatchesLabels(ms, a.Labels) ||
			(flt.Active != nil && !*flt.Active && a.Status.State == StateActive) ||
			(flt.Silenced != nil && !*flt.Silenced && a.Silenced()) {
			continue
		}
		out = append(out, a)
	}
	return out, nil
}

// CreateSilence validates and records s, returning ids "fake-silence-1", ….
func (f *Fake) CreateSilence(_ context.Context, s Silence) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.CreateSilenceErr != nil {
		return "", f.CreateSilenceErr
	}
	now := f.now()
	if err := ValidateSilence(s, now); err != nil {
		return "", clientError("create_silence", err.Error())
	}
	if s.StartsAt.IsZero() {
		s.StartsAt = now
	}
	s.Matchers = slices.Clone(s.Matchers)
	s.UpdatedAt = now
	if s.ID != "" {
		i := slices.IndexFunc(f.silences, func(x Silence) bool { return x.ID == s.ID })
		if i < 0 {
			return "", &sources.Error{Source: SourceName, Op: "create_silence", Kind: sources.KindNotFound,
				Status: 404, Msg: "silence " + s.ID + " not found"}
		}
		f.silences[i] = s
		return s.ID, nil
	}
	s.ID = fmt.Sprintf("fake-silence-%d", len(f.silences)+1)
	f.silences = append(f.silences, s)
	return s.ID, nil
}

// ExpireSilence ends the silence now; an unknown id is not_found.
func (f *Fake) ExpireSilence(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ExpireSilenceErr != nil {
		return f.ExpireSilenceErr
	}
	i := slices.IndexFunc(f.silences, func(x Silence) bool { return x.ID == id })
	if i < 0 {
		return &sources.Error{Source: SourceName, Op: "expire_silence", Kind: sources.KindNotFound,
			Status: 404, Msg: "silence " + id + " not found"}
	}
	now := f.now()
	f.silences[i].EndsAt, f.silences[i].UpdatedAt = now, now
	f.expired = append(f.expired, id)
	return nil
}

// Silences lists the recorded silences that pass the filter, with their
// current state.
func (f *Fake) Silences(_ context.Context, flt SilencesFilter) ([]Silence, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.SilencesErr != nil {
		return nil, f.SilencesErr
	}
	ms, err := parseFilters("silences", flt.Filter)
	if err != nil {
		return nil, err
	}
	now := f.now()
	out := []Silence{}
	for _, s := range f.silences {
		if !silenceMatchesFilter(s, ms) {
			continue
		}
		s.Status = SilenceStatus{State: silenceState(s, now)}
		s.Matchers = slices.Clone(s.Matchers)
		out = append(out, s)
	}
	return out, nil
}

// Created returns every silence created so far, in order.
func (f *Fake) Created() []Silence {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := slices.Clone(f.silences)
	for i := range out {
		out[i].Matchers = slices.Clone(out[i].Matchers)
	}
	return out
}

// Expired returns the ids passed to ExpireSilence, in order.
func (f *Fake) Expired() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.expired)
}

func silenceState(s Silence, now time.Time) string {
	switch {
	case !s.EndsAt.After(now):
		return SilenceExpired
	case s.StartsAt.After(now):
		return SilencePending
	}
	return SilenceActive
}

func parseFilters(op string, filters []string) ([]Matcher, error) {
	ms := make([]Matcher, 0, len(filters))
	for _, s := range filters {
		m, err := ParseMatcher(s)
		if err != nil {
			return nil, &sources.Error{Source: SourceName, Op: op, Kind: sources.KindBadRequest, Status: 400, Msg: err.Error()}
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// silenceMatchesFilter reports whether the silence has a matcher identical
// to each filter matcher, as Alertmanager lists them.
func silenceMatchesFilter(s Silence, filter []Matcher) bool {
	for _, f := range filter {
		if !slices.Contains(s.Matchers, f) {
			return false
		}
	}
	return true
}
