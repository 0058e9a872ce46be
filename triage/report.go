package triage

import (
	"strconv"
	"strings"
	"time"
)

// ReportVersion is the version of the report JSON. Fields are only ever
// added within a version; scripts may rely on every field listed here.
// Version 2 names every field in snake_case, leaves out a string with
// nothing to say instead of writing "", and gives every duration in
// milliseconds rounded to 0.1. Version 1 reports (old bundles, stored
// reports) are still read: see report_json.go.
const ReportVersion = 2

// Report is the investigation's result, the scriptable interface of
// `triage report --format json`.
//
// Unknown stays unknown: a section whose source failed is nil and encodes
// as null, with the reason in Sources; a section that is known to be empty
// is a non-nil empty slice and encodes as []. A number that could not be
// measured is a nil pointer, never 0.
type Report struct {
	Version int `json:"version"`
	// Demo marks a report made from the embedded demo incident.
	Demo        bool           `json:"demo,omitempty"`
	Alert       AlertInfo      `json:"alert"`
	Window      Window         `json:"window"`
	Sources     []SourceStatus `json:"sources"`
	Impact      *Impact        `json:"impact"`
	Services    []ServiceRank  `json:"services"`
	Users       []UserImpact   `json:"users"`
	Differences []Difference   `json:"differences"`
	LogPatterns []LogPattern   `json:"log_patterns"`
	Traces      []TraceRow     `json:"traces"`
	Timeline    *Timeline      `json:"timeline,omitempty"`
	// Links open the evidence in other tools (Grafana Explore); they
	// depend on the reader's config, so the engine leaves them empty and
	// the writers fill them (see EvidenceLinks).
	Links []ReportLink `json:"links,omitempty"`
	// Evidence says which figures the backends computed over every
	// request and which come from the traces sampled; nil until a source
	// has answered.
	Evidence *Evidence `json:"evidence,omitempty"`
}

// ReportLink is a link to the evidence behind the report in another tool.
type ReportLink struct {
	Title  string `json:"title"`
	Source string `json:"source"` // the source whose data it opens
	URL    string `json:"url"`
}

// Evidence is where the report's figures come from: aggregates a backend
// computed server-side over every request of the window, or the traces
// sampled and read whole. A figure from a sample is an estimate on that
// sample; an aggregate counts everything.
type Evidence struct {
	Aggregates []FigureBasis `json:"aggregates"`
	Sampled    []FigureBasis `json:"sampled"`
	// TracesFound counts the distinct failing and slow trace ids the
	// searches and the other sources' hints found, before the sample was
	// cut; null when the trace source did not answer.
	TracesFound *int `json:"traces_found"`
	// BaselineFound counts the healthy traces the search found, and
	// BaselineTraces those compared whole in "what's different", up to a
	// bound that does not grow with trace_sample.
	BaselineFound  *int `json:"baseline_found"`
	BaselineTraces *int `json:"baseline_traces"`
	// ReusedTraces counts the whole traces a search returned (Jaeger's
	// does) and that were analysed as returned, not fetched again.
	ReusedTraces *int `json:"reused_traces"`
	// SkeletonTraces counts the sampled traces that did not fail analysed
	// as a skeleton search returned them (Tempo's select: every span's
	// structure, the attributes the ranking reads), not fetched whole.
	SkeletonTraces *int `json:"skeleton_traces"`
	// SelectedTraces counts the sampled traces (the failing ones, mostly)
	// analysed as one search by trace id returned them (Tempo's select:
	// every span's structure, the attributes the ranking reads and the
	// keys what's different compares), not fetched whole.
	SelectedTraces *int `json:"selected_traces"`
}

// FigureBasis names one figure of the report and what it was computed on.
type FigureBasis struct {
	Figure string `json:"figure"` // the report's field: "impact.failing_ratio", "differences"
	Source string `json:"source"` // the backend that answered: prometheus, loki, tempo, jaeger
	Basis  string `json:"basis"`  // one line: what it counts
}

// AlertInfo is the alert that started the investigation.
type AlertInfo struct {
	Name        string            `json:"name"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"starts_at,omitzero"`
	Fingerprint string            `json:"fingerprint,omitempty"`
	Expr        string            `json:"expr,omitempty"`
	Scope       Scope             `json:"scope"`
}

// Scope is what the investigation is about.
type Scope struct {
	Service      string `json:"service,omitempty"`       // "" when no service label matched
	ServiceLabel string `json:"service_label,omitempty"` // which label gave it
}

// Window is the incident window and its baseline.
type Window struct {
	Start         time.Time `json:"start"`
	End           time.Time `json:"end"`
	BaselineStart time.Time `json:"baseline_start"`
	BaselineEnd   time.Time `json:"baseline_end"`
}

// SourceState is how a source ended.
type SourceState string

// Source states.
const (
	StateOK           SourceState = "ok"
	StateSlow         SourceState = "slow"
	StatePartial      SourceState = "partial"
	StateFailed       SourceState = "failed"
	StateUnconfigured SourceState = "unconfigured"
	StatePending      SourceState = "pending" // only in streamed updates, never in a final report
)

// SourceStatus says how one source did and what it was asked.
type SourceStatus struct {
	Name      string      `json:"name"`
	State     SourceState `json:"state"`
	LatencyMS int64       `json:"latency_ms"`
	Error     string      `json:"error,omitempty"`
	ErrorKind string      `json:"error_kind,omitempty"`
	Queries   []string    `json:"queries"`
	// Freshness is how old the source's newest data for the scope was when
	// the investigation ran; nil when it could not be measured.
	Freshness *Freshness `json:"freshness,omitempty"`
	// FreshnessSeconds is Freshness.AgeSeconds, nil when unmeasured; the
	// JSON gives it in milliseconds (freshness_ms, null when unmeasured).
	FreshnessSeconds *float64 `json:"-"`
	// Notes say what the source could not answer as asked, and how each
	// question was answered instead.
	Notes []string `json:"notes,omitempty"`
}

// Freshness is the age of a source's newest data for the scope.
type Freshness struct {
	Newest     time.Time `json:"newest"`
	AgeSeconds float64   `json:"-"`            // age_ms in the JSON
	Of         string    `json:"of,omitempty"` // what was measured: "log line of checkout"
	Lagging    bool      `json:"lagging"`      // older than triage.max_lag
	Query      string    `json:"query,omitempty"`
}

// Lagging reports whether the source's newest data is older than the
// allowed lag.
func (s SourceStatus) Lagging() bool { return s.Freshness != nil && s.Freshness.Lagging }

// Estimate is a number inferred from a sample, with its interval and basis.
type Estimate struct {
	Value float64 `json:"value"`
	Low   float64 `json:"low"`
	High  float64 `json:"high"`
	// Basis says in plain words what the figure rests on: the sample and
	// the range ("47 users seen in 86 of ≈89 failing requests; ≈48 in all,
	// 95% range 47–50").
	Basis string `json:"basis,omitempty"`
	// Method is how the figure was computed from it: where the total came
	// from and the estimator.
	Method string `json:"method,omitempty"`
}

// Impact answers "who is affected and how badly".
//
// A user is affected when an entry request of theirs failed, or was slower
// than the slow threshold: UsersFailed counts the users with a failed
// request, UsersSlow those with slow requests only; together they are the
// users listed. The estimate scales the incident's kind: failed users in
// an error incident, slow users in a latency incident.
type Impact struct {
	Kind          IncidentKind `json:"kind,omitempty"`
	UsersEstimate *Estimate    `json:"users_estimate"`
	UsersSeen     *int         `json:"users_seen"` // the users the estimate scales
	UsersFailed   *int         `json:"users_failed"`
	UsersSlow     *int         `json:"users_slow"` // slow, never failed
	FailingRatio  *float64     `json:"failing_ratio"`
	SlowRatio     *float64     `json:"slow_ratio"` // requests slower than the slow threshold
	// SlowThresholdMS is the slow threshold, for the ratios and users.
	SlowThresholdMS float64 `json:"slow_threshold_ms,omitempty"`
	// RatioBasis says which requests, over which window, the ratios count.
	RatioBasis  string     `json:"ratio_basis,omitempty"`
	EntryPoints []string   `json:"entry_points"`
	BeganAt     *time.Time `json:"began_at"`
	Culprit     string     `json:"culprit,omitempty"`
	// CulpritLine names the culprit as the console does: where the error
	// began, the uninstrumented peer it called, and its class.
	CulpritLine   string `json:"culprit_line,omitempty"`
	SampledTraces *int   `json:"sampled_traces"`
	// SampledMessages, when the sample holds consumer traces that each
	// processed several messages, is how many requests' failed (or slow,
	// in a latency incident) work the sample holds: the estimate's sample
	// is of messages.
	SampledMessages *int `json:"sampled_messages,omitempty"`
	// UsersBatchLevel counts the users listed only because a batch they
	// had a message in failed (or was slow) as a whole: an upper bound.
	UsersBatchLevel *int `json:"users_batch_level,omitempty"`
	// Unknown gives, for each figure that is null, why: its source failed
	// or answered nothing to compute it from.
	Unknown map[string]string `json:"unknown,omitempty"`
}

// Role is a service's part in the incident.
type Role string

// Roles, from most to least implicated.
const (
	RoleCulprit     Role = "culprit"
	RolePropagating Role = "propagating"
	RoleEntry       Role = "entry"
	RoleImpacted    Role = "impacted"
)

// ServiceRank is one ranked service.
type ServiceRank struct {
	Name           string  `json:"name"`
	Role           Role    `json:"role"`
	Score          float64 `json:"score"`
	FailingTraces  int     `json:"failing_traces"`
	SlowTraces     int     `json:"slow_traces"`
	Uninstrumented bool    `json:"uninstrumented,omitempty"` // named by its callers' client spans
	// PreExisting marks a service that failed at about the same rate in
	// the baseline: noise, ranked below what is new or grew.
	PreExisting        bool     `json:"pre_existing,omitempty"`
	ErrorRatio         *float64 `json:"error_ratio"`
	ErrorRatioBaseline *float64 `json:"error_ratio_baseline"`
	FailedPerS         *float64 `json:"failed_per_s"`
	P99MS              *float64 `json:"p99_ms"`
	Evidence           []string `json:"evidence"` // trace ids and queries that back the row
}

// queryPurposes are what a source's recorded query may end with, saying
// what it was asked for besides the incident window.
var queryPurposes = []string{"baseline", "newest trace", "newest line"}

// SplitQuery splits a recorded query into the query as sent and what it
// was asked for: "baseline", "newest trace", "newest line", or "" for the
// incident window itself.
func SplitQuery(q string) (query, purpose string) {
	for _, p := range queryPurposes {
		if base, ok := strings.CutSuffix(q, " ("+p+")"); ok {
			return base, p
		}
	}
	return q, ""
}

// RoleLabel is the service's role as every view names it: "pre-existing"
// for a service that failed as much in the baseline, whatever its role.
func (s ServiceRank) RoleLabel() string {
	if s.PreExisting {
		return "pre-existing"
	}
	return string(s.Role)
}

// UserImpact is one affected user.
type UserImpact struct {
	ID         string            `json:"id"`
	Failed     int               `json:"failed"`
	Slow       int               `json:"slow"`
	FirstSeen  time.Time         `json:"first_seen"`
	LastSeen   time.Time         `json:"last_seen"`
	Attributes map[string]string `json:"attributes"`
	TraceIDs   []string          `json:"trace_ids"`
	// BatchLevel marks a user credited only through batch consumers whose
	// work could not be matched to the user's message: every request of
	// the batch was credited with its outcome, so the user was affected at
	// most (an upper bound).
	BatchLevel bool `json:"batch_level,omitempty"`
}

// FailedText and SlowText are the user's counts as every view writes
// them: "≤3" for a BatchLevel user, whose counts are an upper bound.
func (u *UserImpact) FailedText() string { return boundText(u.Failed, u.BatchLevel) }

// SlowText is u.Slow as every view writes it; see FailedText.
func (u *UserImpact) SlowText() string { return boundText(u.Slow, u.BatchLevel) }

func boundText(n int, upper bool) string {
	if upper && n > 0 {
		return "≤" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// Difference is an attribute value over-represented in failing traces.
type Difference struct {
	Attribute     string  `json:"attribute"`
	Value         string  `json:"value"`
	FailingShare  float64 `json:"failing_share"`
	BaselineShare float64 `json:"baseline_share"`
	Support       int     `json:"support"` // failing traces carrying it
	Where         string  `json:"where"`   // "entry" or "origin": where it differs most
	// Spans lists every place it was found on: "entry", "origin" or both.
	Spans []string `json:"spans"`
}

// LogPattern is a group of similar log lines, counted against the baseline.
type LogPattern struct {
	Pattern       string `json:"pattern"`
	Level         string `json:"level,omitempty"`
	Count         int    `json:"count"`
	BaselineCount int    `json:"baseline_count"`
	// Tag compares the pattern with the baseline: "new", "×N",
	// "pre-existing" (about the same rate), "no baseline" (the baseline
	// had no lines of its services, or failed), or "" (not compared).
	Tag            string   `json:"tag,omitempty"`
	Services       []string `json:"services"`
	SampleTraceIDs []string `json:"sample_trace_ids"`
	Source         string   `json:"source,omitempty"` // "loki_patterns" or "client_miner"
}

// TraceRow is one sampled failing or slow trace.
type TraceRow struct {
	TraceID     string       `json:"trace_id"`
	RootService string       `json:"root_service,omitempty"`
	RootName    string       `json:"root_name,omitempty"`
	DurationMS  float64      `json:"duration_ms"`
	Start       time.Time    `json:"start"`
	Failing     bool         `json:"failing"`
	Slow        bool         `json:"slow"`
	ErrorOrigin *ErrorOrigin `json:"error_origin"`
	User        string       `json:"user,omitempty"`
}

// ErrorOrigin is where a trace's error began.
type ErrorOrigin struct {
	Service  string `json:"service,omitempty"`
	SpanName string `json:"span_name,omitempty"`
	Peer     string `json:"peer,omitempty"` // the uninstrumented peer a client span called
	Message  string `json:"message,omitempty"`
}

// Timeline says when the incident began, against the alert.
type Timeline struct {
	BeganAt      time.Time `json:"began_at"`
	Basis        string    `json:"basis"` // "first failing trace" or "error-ratio change point"
	BeforeAlert  float64   `json:"-"`     // seconds; before_alert_ms in the JSON
	FirstFailing string    `json:"first_failing_trace,omitempty"`
}

// cloneSlice copies s, keeping nil apart from empty: nil means unknown.
func cloneSlice[T any](s []T) []T {
	if s == nil {
		return nil
	}
	out := make([]T, len(s))
	copy(out, s)
	return out
}

// Clone returns a copy that shares no slice with r, so a snapshot handed to
// a renderer is not changed under it by a running investigation.
func (r *Report) Clone() *Report {
	if r == nil {
		return nil
	}
	c := *r
	c.Sources = cloneSlice(r.Sources)
	for i := range c.Sources {
		c.Sources[i].Queries = cloneSlice(c.Sources[i].Queries)
		c.Sources[i].Notes = cloneSlice(c.Sources[i].Notes)
		if f := c.Sources[i].Freshness; f != nil {
			ff := *f
			c.Sources[i].Freshness = &ff
		}
	}
	if r.Impact != nil {
		imp := *r.Impact
		imp.EntryPoints = cloneSlice(r.Impact.EntryPoints)
		if r.Impact.Unknown != nil {
			imp.Unknown = make(map[string]string, len(r.Impact.Unknown))
			for k, v := range r.Impact.Unknown {
				imp.Unknown[k] = v
			}
		}
		c.Impact = &imp
	}
	if r.Evidence != nil {
		ev := *r.Evidence
		ev.Aggregates, ev.Sampled = cloneSlice(ev.Aggregates), cloneSlice(ev.Sampled)
		c.Evidence = &ev
	}
	c.Services = cloneSlice(r.Services)
	c.Users = cloneSlice(r.Users)
	c.Differences = cloneSlice(r.Differences)
	for i := range c.Differences {
		c.Differences[i].Spans = cloneSlice(c.Differences[i].Spans)
	}
	c.LogPatterns = cloneSlice(r.LogPatterns)
	c.Traces = cloneSlice(r.Traces)
	c.Links = cloneSlice(r.Links)
	if r.Timeline != nil {
		tl := *r.Timeline
		c.Timeline = &tl
	}
	return &c
}
