package triage

import (
	"fmt"
	"strings"
	"time"
)

// Alert is the alert an investigation starts from, whatever delivered it
// (a webhook, Alertmanager's API, a file).
type Alert struct {
	Name        string
	Labels      map[string]string
	Annotations map[string]string
	StartsAt    time.Time
	Fingerprint string
	Expr        string // the rule expression, when the generator URL carried one
}

// Options tune an investigation. Zero fields take the defaults of
// DefaultOptions.
type Options struct {
	ServiceLabels        []string
	UserAttributes       []string
	UserDetailAttributes []string
	Lookback             time.Duration
	BaselineOffset       time.Duration
	TraceSample          int
	FetchConcurrency     int
	// LinkedFetch bounds the traces fetched to follow the sample's span
	// links one hop: a batch consumer's trace links to every message's
	// producer, and each is a request whose user its failure may reach.
	LinkedFetch   int
	SlowThreshold time.Duration
	// SourceDeadline bounds each source's whole part of the investigation.
	SourceDeadline time.Duration
	// SlowAfter marks a source "slow" when it answered but took longer.
	SlowAfter time.Duration
	// LogLimit caps the log lines read per window.
	LogLimit int
	// MaxWindow caps the incident window for alerts that have fired for
	// long: the window then ends now and starts MaxWindow earlier.
	MaxWindow time.Duration
	// MaxLag is the age past which a source's newest data for the scope
	// marks it lagging.
	MaxLag time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// TraceFetched, when set, is told as each trace fetch ends how many
	// have ended and how many were asked for so far (the total grows as
	// the baseline and linked traces are asked for), for a progress
	// display. It must not block.
	TraceFetched func(done, total int)
}

// DefaultOptions returns the defaults of the config file.
func DefaultOptions() Options {
	return Options{
		ServiceLabels:        []string{"service", "service_name", "job", "app"},
		UserAttributes:       []string{"enduser.id", "user.id", "customer.id"},
		UserDetailAttributes: []string{"user.tier", "user.region"},
		Lookback:             15 * time.Minute,
		BaselineOffset:       time.Hour,
		TraceSample:          200,
		FetchConcurrency:     16,
		LinkedFetch:          2000,
		SlowThreshold:        time.Second,
		SourceDeadline:       30 * time.Second,
		SlowAfter:            5 * time.Second,
		LogLimit:             5000,
		MaxWindow:            6 * time.Hour,
		MaxLag:               2 * time.Minute,
	}
}

func (o Options) withDefaults() Options {
	d := DefaultOptions()
	orDefault(&o.ServiceLabels, d.ServiceLabels)
	orDefault(&o.UserAttributes, d.UserAttributes)
	if o.UserDetailAttributes == nil { // an empty list turns details off
		o.UserDetailAttributes = d.UserDetailAttributes
	}
	for _, f := range []struct{ v, d *time.Duration }{{&o.Lookback, &d.Lookback}, {&o.BaselineOffset, &d.BaselineOffset},
		{&o.SlowThreshold, &d.SlowThreshold}, {&o.SourceDeadline, &d.SourceDeadline}, {&o.SlowAfter, &d.SlowAfter}, {&o.MaxWindow, &d.MaxWindow}, {&o.MaxLag, &d.MaxLag}} {
		if *f.v <= 0 {
			*f.v = *f.d
		}
	}
	for _, f := range []struct{ v, d *int }{{&o.TraceSample, &d.TraceSample}, {&o.FetchConcurrency, &d.FetchConcurrency}, {&o.LinkedFetch, &d.LinkedFetch}, {&o.LogLimit, &d.LogLimit}} {
		if *f.v <= 0 {
			*f.v = *f.d
		}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

func orDefault(v *[]string, d []string) {
	if len(*v) == 0 {
		*v = d
	}
}

// ResolveScope finds the alert's service through the configured label
// names, in order.
func ResolveScope(a Alert, serviceLabels []string) Scope {
	for _, l := range serviceLabels {
		if v := strings.TrimSpace(a.Labels[l]); v != "" {
			return Scope{Service: v, ServiceLabel: l}
		}
	}
	return Scope{}
}

// ResolveWindow is the incident window, from the alert's start minus the
// lookback up to now, and the baseline: the same length, offset earlier.
func ResolveWindow(a Alert, now time.Time, lookback, offset, maxWindow time.Duration) (Window, error) {
	start := a.StartsAt
	if start.IsZero() {
		start = now
	}
	if start.After(now) {
		return Window{}, fmt.Errorf("alert starts at %s, after now (%s)", start.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	w := Window{Start: start.Add(-lookback), End: now}
	if maxWindow > 0 && w.End.Sub(w.Start) > maxWindow {
		w.Start = w.End.Add(-maxWindow)
	}
	w.BaselineStart = w.Start.Add(-offset)
	w.BaselineEnd = w.End.Add(-offset)
	if w.BaselineEnd.After(w.Start) {
		// A baseline that overlaps the incident would dilute it: end it
		// where the incident window starts, keeping its length.
		length := w.End.Sub(w.Start)
		w.BaselineEnd = w.Start
		w.BaselineStart = w.Start.Add(-length)
	}
	return w, nil
}
