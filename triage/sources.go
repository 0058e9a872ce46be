package triage

import (
	"context"
	"errors"
	"time"
)

// The engine reaches its backends through these small interfaces; the
// adapter package (sources/adapter) fills them with the real clients, and
// bundles replay them.
// A nil source is unconfigured.

// Sample is one labelled value of an instant query.
type Sample struct {
	Labels map[string]string
	Value  float64
}

// Series is one labelled range of values.
type Series struct {
	Labels map[string]string
	Points []Point
}

// Point is one value at one time.
type Point struct {
	Time  time.Time
	Value float64
}

// Exemplar links a metric sample to a trace.
type Exemplar struct {
	Labels  map[string]string
	TraceID string
	Time    time.Time
	Value   float64
}

// MetricsSource is Prometheus, or anything that answers PromQL.
type MetricsSource interface {
	Query(ctx context.Context, q string, at time.Time) ([]Sample, error)
	QueryRange(ctx context.Context, q string, start, end time.Time, step time.Duration) ([]Series, error)
	Exemplars(ctx context.Context, q string, start, end time.Time) ([]Exemplar, error)
}

// LogQuery asks for raw log lines.
type LogQuery struct {
	Query      string
	Start, End time.Time
	Limit      int
}

// LogsSource is Loki.
type LogsSource interface {
	// Lines returns the lines matching q, newest first, up to q.Limit.
	Lines(ctx context.Context, q LogQuery) ([]LogLine, error)
	// Patterns returns Loki's detected patterns, or ErrPatternsUnavailable.
	Patterns(ctx context.Context, query string, start, end time.Time, step time.Duration) ([]LokiPattern, error)
	// Volume counts the lines selector matches in [start, end), by service:
	// every level, so a quiet service is told from one with no logs.
	Volume(ctx context.Context, selector string, start, end time.Time) (map[string]int, error)
	// ServiceLabel is the stream label that names a service (service_name).
	ServiceLabel() string
}

// ErrPatternsUnavailable says the log source has no pattern detection; the
// engine then mines patterns itself.
var ErrPatternsUnavailable = errors.New("log patterns are not enabled on the server")

// TraceRef is one hit of a trace search.
type TraceRef struct {
	TraceID     string
	RootService string
	RootName    string
	Start       time.Time
	Duration    time.Duration
	// Trace is the whole trace when the search returned it (Jaeger's
	// does), so it is neither fetched nor decoded again; nil otherwise.
	Trace *Trace
}

// TraceHits is what a trace search found, and how it was asked.
type TraceHits struct {
	Refs []TraceRef
	// Query is the search as the backend was asked it, in its own terms
	// (TraceQL for Tempo, the search form's fields for Jaeger): what the
	// sources panel and the report show. It is set even when the search
	// failed.
	Query string
	// Note says how a question the backend cannot ask as such was answered
	// instead; "" when the backend answered it as asked.
	Note string
}

// TracesSource is a trace backend: Tempo or Jaeger. Its adapter translates
// the engine's TraceSearch into the backend's own search.
type TracesSource interface {
	// Name names the backend (SourceTempo, SourceJaeger): the trace
	// source's name in the report.
	Name() string
	Search(ctx context.Context, q TraceSearch) (TraceHits, error)
	// Trace fetches one trace; a trace that is not there is an error whose
	// Kind is not_found.
	Trace(ctx context.Context, id string) (*Trace, error)
}

// BaselineSearcher is a trace source that answers the healthy baseline
// with one search returning only what "what's different" compares — the
// healthy entry spans and the spans of the failing sample's origin
// services, each with the attributes asked for — instead of whole traces
// (Tempo: TraceQL with select). Each hit's Trace is such a skeleton: the
// entry span as its root, the other spans under it.
type BaselineSearcher interface {
	SearchBaseline(ctx context.Context, q BaselineSearch) (TraceHits, error)
}

// SkeletonSearcher is a trace source that can answer a search with each
// hit's skeleton (Tempo: TraceQL with select): every span of the trace
// with its parent, kind, status, name, timing and service, and only the
// attributes asked for. The ranking reads no more of a slow trace that did
// not fail (SkeletonKeys), so it need not be fetched whole. A hit whose
// spans did not all come has no Trace.
type SkeletonSearcher interface {
	SearchSkeletons(ctx context.Context, q TraceSearch, keys SkeletonKeys) (TraceHits, error)
}

// TraceSelector is a trace source that can return given traces in one
// search, each as a skeleton with the attributes asked for (Tempo: TraceQL
// on trace:id with select). Where each fetch by id reads the store again,
// one search reads it once for all of them. A hit whose spans did not all
// come has no Trace.
type TraceSelector interface {
	SelectTraces(ctx context.Context, ids []string, start, end time.Time, keys SkeletonKeys) (TraceHits, error)
	// MaxSelected is how many ids one SelectTraces call takes with keys.
	MaxSelected(keys SkeletonKeys) int
}

// SelectSearcher answers the baseline, skeletons and traces by id with
// select: what Tempo does, and what wrappers of a trace source keep.
type SelectSearcher interface {
	BaselineSearcher
	SkeletonSearcher
	TraceSelector
}

// BaselineSearch is the healthy baseline asked as attribute values.
type BaselineSearch struct {
	// Healthy finds the healthy entry spans: the scope, its entry kinds,
	// not failed, the window and the number of traces.
	Healthy TraceSearch
	// Ask names the services whose spans come too and the attributes
	// returned, on the spans and on their resources.
	Ask BaselineKeys
}

// Sources are the backends of one investigation.
type Sources struct {
	Metrics MetricsSource
	Logs    LogsSource
	Traces  TracesSource
}

// TracesName is the trace source's name: its backend's, or SourceTempo
// when no trace backend is configured.
func (s Sources) TracesName() string {
	if s.Traces == nil {
		return SourceTempo
	}
	return s.Traces.Name()
}

// ErrorInfo extracts the reason and kind a source error carries (a
// sources.Error's Reason and Kind), without importing the sources package;
// deadlines and cancellations get their own words.
func ErrorInfo(err error) (reason, kind string) {
	if err == nil {
		return "", ""
	}
	var r interface{ Reason() string }
	if errors.As(err, &r) {
		var k interface{ ErrorKind() string }
		if errors.As(err, &k) {
			kind = k.ErrorKind()
		}
		return r.Reason(), kind
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "context deadline exceeded", "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled", "timeout"
	}
	return err.Error(), ""
}

// LogLine is one log line as the engine sees it.
type LogLine struct {
	Time    time.Time
	Service string
	Level   string // as found: error, warn, info…; "" when unknown
	Line    string
	TraceID string
	SpanID  string
}

// LokiPattern is one pattern detected by the log source, with its counts
// over time.
type LokiPattern struct {
	Pattern string
	Level   string
	Samples []PatternSample
}

// PatternSample is a pattern's count in one step.
type PatternSample struct {
	Time  time.Time
	Count int
}
