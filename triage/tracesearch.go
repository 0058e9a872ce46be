package triage

import (
	"strings"
	"time"
)

// SpanStatus selects spans by their status.
type SpanStatus uint8

// Span statuses a search can ask for.
const (
	AnyStatus      SpanStatus = iota
	StatusError               // the span failed (OTLP status ERROR)
	StatusNotError            // the span did not fail (OK or unset)
)

// TraceSearch is a trace search in terms every trace backend understands;
// each source's adapter translates it (Tempo into TraceQL, Jaeger into its
// search form) and says, in TraceHits.Note, when the backend could only
// answer a weaker question.
//
// The span conditions — Service, Kinds, Status, MinDuration, Attrs — must
// all hold for one and the same span. With FailingBelow the trace must
// instead hold a failed span below (a descendant of) a span meeting them:
// "errors anywhere below the scope". With LinksTo the trace must hold a
// span that links to that trace, and the span conditions are ignored.
type TraceSearch struct {
	Service     string     // the span's resource service.name; "" for any
	Kinds       []SpanKind // the span's kind is one of these; nil for any
	Status      SpanStatus
	MinDuration time.Duration // the span lasts longer than this; 0 for any
	Attrs       []Attr        // exact values of span (or resource) attributes
	// FailingBelow asks for a failed descendant of the matching span.
	FailingBelow bool
	// LinksTo asks for traces linking to this trace id (the consumers of
	// its messages).
	LinksTo    string
	Start, End time.Time
	Limit      int
}

// EntryKinds are the spans that start a service's work: requests served
// and messages consumed.
var EntryKinds = []SpanKind{KindServer, KindConsumer}

// SpanMatches reports whether sp meets the search's span conditions.
func (q *TraceSearch) SpanMatches(sp *Span) bool {
	if q.Service != "" && sp.Service() != q.Service {
		return false
	}
	if len(q.Kinds) > 0 && !hasKind(q.Kinds, sp.Kind) {
		return false
	}
	switch q.Status {
	case StatusError:
		if !sp.Error {
			return false
		}
	case StatusNotError:
		if sp.Error {
			return false
		}
	}
	if q.MinDuration > 0 && sp.Duration() <= q.MinDuration {
		return false
	}
	for _, a := range q.Attrs {
		if v, ok := sp.Attr(a.Key); !ok || v != a.Value {
			return false
		}
	}
	return true
}

func hasKind(kinds []SpanKind, k SpanKind) bool {
	for _, x := range kinds {
		if x == k {
			return true
		}
	}
	return false
}

// Matches reports whether t answers the search, as TraceQL reads the same
// question (the time range and the limit aside): backends that cannot ask
// part of it check what they return with this.
func (q *TraceSearch) Matches(t *Trace) bool {
	if t == nil {
		return false
	}
	if q.LinksTo != "" {
		want := strings.ToLower(q.LinksTo)
		for i := range t.Spans {
			for _, l := range t.Spans[i].Links {
				if strings.ToLower(l.TraceID) == want {
					return true
				}
			}
		}
		return false
	}
	if !q.FailingBelow {
		for i := range t.Spans {
			if q.SpanMatches(&t.Spans[i]) {
				return true
			}
		}
		return false
	}
	byID := make(map[string]int, len(t.Spans))
	for i := range t.Spans {
		byID[t.Spans[i].SpanID] = i
	}
	for i := range t.Spans {
		if !t.Spans[i].Error {
			continue
		}
		// Walk up; a broken or cyclic parent chain ends the walk.
		for p, hops := t.Spans[i].ParentID, 0; p != "" && hops < len(t.Spans); hops++ {
			j, ok := byID[p]
			if !ok {
				break
			}
			if q.SpanMatches(&t.Spans[j]) {
				return true
			}
			p = t.Spans[j].ParentID
		}
	}
	return false
}

// SourceJaeger names the trace source when it is Jaeger (SourceTempo when
// Tempo): the trace source is named after its backend in the report.
const SourceJaeger = "jaeger"

// IsTraceSource reports whether name is a trace backend's.
func IsTraceSource(name string) bool { return name == SourceTempo || name == SourceJaeger }

// TraceSource names the report's trace backend: its Tempo or Jaeger
// source; SourceTempo when the report has neither.
func TraceSource(r *Report) string {
	if r != nil {
		for _, s := range r.Sources {
			if IsTraceSource(s.Name) {
				return s.Name
			}
		}
	}
	return SourceTempo
}

// FailingTracesQuery is the report's search for the failing traces, in the
// trace backend's own terms (TraceQL's status = error, Jaeger's
// error=true), with that backend's name; "" when the report has none.
func FailingTracesQuery(r *Report) (source, query string) {
	source = TraceSource(r)
	if r == nil {
		return source, ""
	}
	for _, s := range r.Sources {
		if s.Name != source {
			continue
		}
		for _, q := range s.Queries {
			if _, purpose := SplitQuery(q); purpose == "" && (strings.Contains(q, "status = error") || strings.Contains(q, "error=true")) {
				return source, q
			}
		}
	}
	return source, ""
}
