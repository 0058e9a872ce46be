package triage

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// The report's JSON, version 2, and the reading of version 1.
//
// The model keeps seconds where the engine computes them (a source's
// freshness, the timeline); the JSON gives every duration in milliseconds
// rounded to 0.1, so a script reads one unit everywhere. A version 1
// report (old bundles, reports stored by an older daemon) decodes into the
// same model, and so writes out as version 2.

// MarshalJSON writes the report as version 2 JSON.
func (r Report) MarshalJSON() ([]byte, error) {
	type plain Report // no methods: the default encoding of the fields
	c := r.Clone()
	c.Version = ReportVersion
	c.roundDurations()
	return json.Marshal((*plain)(c))
}

// roundDurations rounds every duration to 0.1 ms, as the JSON gives it.
// The engine's reports and every report read are rounded, so that a figure
// reads the same on the console, in the text and markdown reports and in
// the JSON (a p99 of 1954.96 ms would be 1.95s on one and 1955.0 on the
// other). Pointers are replaced, not written through: a clone shares them.
func (r *Report) roundDurations() {
	for i := range r.Sources {
		s := &r.Sources[i]
		if s.FreshnessSeconds != nil {
			v := roundSeconds(*s.FreshnessSeconds)
			s.FreshnessSeconds = &v
		}
		if s.Freshness != nil {
			f := *s.Freshness
			f.AgeSeconds = roundSeconds(f.AgeSeconds)
			s.Freshness = &f
		}
	}
	if r.Impact != nil && r.Impact.SlowThresholdMS != roundMS(r.Impact.SlowThresholdMS) {
		imp := *r.Impact
		imp.SlowThresholdMS = roundMS(imp.SlowThresholdMS)
		r.Impact = &imp
	}
	for i := range r.Services {
		r.Services[i].P99MS = roundMSPtr(r.Services[i].P99MS)
	}
	for i := range r.Traces {
		r.Traces[i].DurationMS = roundMS(r.Traces[i].DurationMS)
	}
	if r.Timeline != nil {
		tl := *r.Timeline
		tl.BeforeAlert = roundSeconds(tl.BeforeAlert)
		r.Timeline = &tl
	}
}

// UnmarshalJSON reads a version 2 report, or converts a version 1 one. A
// report of a newer version is refused: its fields may mean other things.
func (r *Report) UnmarshalJSON(b []byte) error {
	var probe struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return err
	}
	switch {
	case probe.Version > ReportVersion:
		return fmt.Errorf("report version %d; this triage reads up to version %d", probe.Version, ReportVersion)
	case probe.Version <= 1:
		var v1 reportV1
		if err := json.Unmarshal(b, &v1); err != nil {
			return err
		}
		*r = v1.report()
		r.roundDurations()
		return nil
	}
	type plain Report
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*r = Report(p)
	r.roundDurations()
	return nil
}

// MarshalJSON writes freshness in milliseconds.
func (s SourceStatus) MarshalJSON() ([]byte, error) {
	type plain SourceStatus
	return json.Marshal(struct {
		plain
		FreshnessMS *float64 `json:"freshness_ms"` // null when unmeasured
	}{plain(s), msOfSeconds(s.FreshnessSeconds)})
}

// UnmarshalJSON reads a version 2 source.
func (s *SourceStatus) UnmarshalJSON(b []byte) error {
	type plain SourceStatus
	var w struct {
		plain
		FreshnessMS *float64 `json:"freshness_ms"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*s = SourceStatus(w.plain)
	s.FreshnessSeconds = secondsOfMS(w.FreshnessMS)
	return nil
}

// MarshalJSON writes the age in milliseconds.
func (f Freshness) MarshalJSON() ([]byte, error) {
	type plain Freshness
	return json.Marshal(struct {
		plain
		AgeMS float64 `json:"age_ms"`
	}{plain(f), roundMS(f.AgeSeconds * 1000)})
}

// UnmarshalJSON reads a version 2 freshness.
func (f *Freshness) UnmarshalJSON(b []byte) error {
	type plain Freshness
	var w struct {
		plain
		AgeMS float64 `json:"age_ms"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*f = Freshness(w.plain)
	f.AgeSeconds = w.AgeMS / 1000
	return nil
}

// MarshalJSON writes the lead over the alert in milliseconds.
func (t Timeline) MarshalJSON() ([]byte, error) {
	type plain Timeline
	return json.Marshal(struct {
		plain
		BeforeAlertMS float64 `json:"before_alert_ms"`
	}{plain(t), roundMS(t.BeforeAlert * 1000)})
}

// UnmarshalJSON reads a version 2 timeline.
func (t *Timeline) UnmarshalJSON(b []byte) error {
	type plain Timeline
	var w struct {
		plain
		BeforeAlertMS float64 `json:"before_alert_ms"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*t = Timeline(w.plain)
	t.BeforeAlert = w.BeforeAlertMS / 1000
	return nil
}

// roundMS rounds a duration in milliseconds to 0.1 ms.
func roundMS(ms float64) float64 {
	if math.IsNaN(ms) || math.IsInf(ms, 0) {
		return ms
	}
	return math.Round(ms*10) / 10
}

// roundSeconds rounds a duration in seconds to 0.1 ms.
func roundSeconds(s float64) float64 { return roundMS(s*1000) / 1000 }

func roundMSPtr(ms *float64) *float64 {
	if ms == nil {
		return nil
	}
	v := roundMS(*ms)
	return &v
}

func msOfSeconds(s *float64) *float64 {
	if s == nil {
		return nil
	}
	v := roundMS(*s * 1000)
	return &v
}

func secondsOfMS(ms *float64) *float64 {
	if ms == nil {
		return nil
	}
	v := *ms / 1000
	return &v
}

// reportV1 is the version 1 JSON: camelCase startsAt, "" for nothing,
// freshness and the timeline in seconds. Only what differs from version 2
// has a type of its own.
type reportV1 struct {
	Alert       alertV1       `json:"alert"`
	Window      Window        `json:"window"`
	Sources     []sourceV1    `json:"sources"`
	Impact      *Impact       `json:"impact"`
	Services    []ServiceRank `json:"services"`
	Users       []UserImpact  `json:"users"`
	Differences []Difference  `json:"differences"`
	LogPatterns []LogPattern  `json:"log_patterns"`
	Traces      []TraceRow    `json:"traces"`
	Timeline    *timelineV1   `json:"timeline"`
}

type alertV1 struct {
	Name        string            `json:"name"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	Fingerprint string            `json:"fingerprint"`
	Expr        string            `json:"expr"`
	Scope       Scope             `json:"scope"`
}

type sourceV1 struct {
	Name             string       `json:"name"`
	State            SourceState  `json:"state"`
	LatencyMS        int64        `json:"latency_ms"`
	Error            string       `json:"error"`
	ErrorKind        string       `json:"error_kind"`
	Queries          []string     `json:"queries"`
	Freshness        *freshnessV1 `json:"freshness"`
	FreshnessSeconds *float64     `json:"freshness_seconds"`
	Notes            []string     `json:"notes"`
}

type freshnessV1 struct {
	Newest     time.Time `json:"newest"`
	AgeSeconds float64   `json:"age_seconds"`
	Of         string    `json:"of"`
	Lagging    bool      `json:"lagging"`
	Query      string    `json:"query"`
}

type timelineV1 struct {
	BeganAt      time.Time `json:"began_at"`
	Basis        string    `json:"basis"`
	BeforeAlert  float64   `json:"before_alert_s"`
	FirstFailing string    `json:"first_failing_trace"`
}

// report converts a version 1 report into the model.
func (v reportV1) report() Report {
	r := Report{Version: ReportVersion,
		Alert: AlertInfo{Name: v.Alert.Name, Labels: v.Alert.Labels, Annotations: v.Alert.Annotations,
			StartsAt: v.Alert.StartsAt, Fingerprint: v.Alert.Fingerprint, Expr: v.Alert.Expr, Scope: v.Alert.Scope},
		Window: v.Window, Impact: v.Impact, Services: v.Services, Users: v.Users, Differences: v.Differences,
		LogPatterns: v.LogPatterns, Traces: v.Traces}
	if v.Sources != nil {
		r.Sources = make([]SourceStatus, len(v.Sources))
	}
	for i, s := range v.Sources {
		out := SourceStatus{Name: s.Name, State: s.State, LatencyMS: s.LatencyMS, Error: s.Error, ErrorKind: s.ErrorKind,
			Queries: s.Queries, FreshnessSeconds: s.FreshnessSeconds, Notes: s.Notes}
		if f := s.Freshness; f != nil {
			out.Freshness = &Freshness{Newest: f.Newest, AgeSeconds: f.AgeSeconds, Of: f.Of, Lagging: f.Lagging, Query: f.Query}
		}
		r.Sources[i] = out
	}
	if t := v.Timeline; t != nil {
		r.Timeline = &Timeline{BeganAt: t.BeganAt, Basis: t.Basis, BeforeAlert: t.BeforeAlert, FirstFailing: t.FirstFailing}
	}
	return r
}
