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
	SlowThreshold        time.Duration
	// SourceDeadline bounds each source's whole part of the investigation.
	SourceDeadline time.Duration
	// SlowAfter marks a source "slow" when it answered but took longer.
	SlowAfter time.Duration
	// LogLimit caps the log lines read per window.
	LogLimit int
	// MaxWindow caps the incident window for alerts that have fired for
	// long: the window then ends now and starts MaxWindow earlier.
	MaxWindow time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
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
		SlowThreshold:        time.Second,
		SourceDeadline:       30 * time.Second,
		SlowAfter:            5 * time.Second,
		LogLimit:             5000,
		MaxWindow:            6 * time.Hour,
	}
}

func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if len(o.ServiceLabels) == 0 {
		o.ServiceLabels = d.ServiceLabels
	}
	if len(o.UserAttributes) == 0 {
		o.UserAttributes = d.UserAttributes
	}
	if o.UserDetailAttributes == nil {
		o.UserDetailAttributes = d.UserDetailAttributes
	}
	if o.Lookback <= 0 {
		o.Lookback = d.Lookback
	}
	if o.BaselineOffset <= 0 {
		o.BaselineOffset = d.BaselineOffset
	}
	if o.TraceSample <= 0 {
		o.TraceSample = d.TraceSample
	}
	if o.FetchConcurrency <= 0 {
		o.FetchConcurrency = d.FetchConcurrency
	}
	if o.SlowThreshold <= 0 {
		o.SlowThreshold = d.SlowThreshold
	}
	if o.SourceDeadline <= 0 {
		o.SourceDeadline = d.SourceDeadline
	}
	if o.SlowAfter <= 0 {
		o.SlowAfter = d.SlowAfter
	}
	if o.LogLimit <= 0 {
		o.LogLimit = d.LogLimit
	}
	if o.MaxWindow <= 0 {
		o.MaxWindow = d.MaxWindow
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
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
