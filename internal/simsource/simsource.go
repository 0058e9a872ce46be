// Package simsource serves a simulated incident through the engine's source
// interfaces, without any backend: traces answer the engine's trace
// searches, logs its line queries, and metrics the default span-metrics
// queries. Tests use it to measure the engine against the ground truth and
// to inject faults and delays; it is no substitute for the live backends,
// which the integration tests use.
package simsource

import (
	"context"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/triagectl/triage/internal/sim"
	"github.com/triagectl/triage/sources/adapter"
	"github.com/triagectl/triage/triage"
)

// Incident indexes a generated incident for querying.
type Incident struct {
	Truth  sim.GroundTruth
	traces map[string]*triage.Trace
	order  []*triage.Trace // by start time
	logs   []sim.LogLine
}

// New indexes inc.
func New(inc *sim.Incident) *Incident {
	ts := adapter.ConvertTraces(inc.PTraces())
	sort.SliceStable(ts, func(i, j int) bool { return traceStart(ts[i]).Before(traceStart(ts[j])) })
	idx := make(map[string]*triage.Trace, len(ts))
	for _, t := range ts {
		idx[t.ID] = t
	}
	return &Incident{Truth: inc.Truth(), traces: idx, order: ts, logs: append(inc.BaselineLogs(), inc.Logs()...)}
}

func traceStart(t *triage.Trace) time.Time {
	var s time.Time
	for i := range t.Spans {
		if s.IsZero() || t.Spans[i].Start.Before(s) {
			s = t.Spans[i].Start
		}
	}
	return s
}

func root(t *triage.Trace) *triage.Span {
	for i := range t.Spans {
		if t.Spans[i].ParentID == "" {
			return &t.Spans[i]
		}
	}
	return nil
}

// Traces answers searches and trace fetches.
type Traces struct{ I *Incident }

// Name is Tempo's: the simulated traces stand in for it.
func (Traces) Name() string { return triage.SourceTempo }

// Search answers a search by checking every trace against it, as TraceQL
// reads it; a hit is a trace that starts in the range.
func (s Traces) Search(ctx context.Context, q triage.TraceSearch) (triage.TraceHits, error) {
	h := triage.TraceHits{Query: adapter.TraceQL(q)}
	if err := ctx.Err(); err != nil {
		return h, err
	}
	var out []triage.TraceRef
	for _, t := range s.I.order {
		st := traceStart(t)
		if !q.Start.IsZero() && (st.Before(q.Start) || !st.Before(q.End)) {
			continue
		}
		if !q.Matches(t) {
			continue
		}
		ref := triage.TraceRef{TraceID: t.ID, Start: st}
		if r := root(t); r != nil {
			ref.RootService, ref.RootName, ref.Duration = r.Service(), r.Name, r.Duration()
		}
		out = append(out, ref)
	}
	// Tempo returns an unordered subset; take an even spread, not the oldest.
	if q.Limit > 0 && len(out) > q.Limit {
		spread := make([]triage.TraceRef, 0, q.Limit)
		for i := 0; i < q.Limit; i++ {
			spread = append(spread, out[i*len(out)/q.Limit])
		}
		out = spread
	}
	h.Refs = out
	return h, nil
}

// Trace returns one trace.
func (s Traces) Trace(ctx context.Context, id string) (*triage.Trace, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t, ok := s.I.traces[strings.ToLower(id)]
	if !ok {
		return nil, NotFound(id)
	}
	c := *t
	return &c, nil
}

// Logs answers line queries; it has no pattern detection.
type Logs struct{ I *Incident }

// ServiceLabel is Loki's service_name.
func (Logs) ServiceLabel() string { return "service_name" }

// logQuery is what Lines and Volume understand of a LogQL query: its
// service matcher, a trace id filter, and whether it filters errors and
// warnings (the engine's level filter).
type logQuery struct {
	service  *regexp.Regexp // nil: any
	traceID  string
	errsOnly bool
}

var (
	serviceMatcher = regexp.MustCompile(`service_name\s*(=~|=)\s*"((?:[^"\\]|\\.)*)"`)
	traceFilter    = regexp.MustCompile(`trace_id\s*=\s*"([0-9a-fA-F]+)"|\|=\s*"([0-9a-fA-F]{16,32})"`)
)

func parseLogQuery(q string) logQuery {
	var lq logQuery
	if m := serviceMatcher.FindStringSubmatch(q); m != nil && m[2] != ".+" {
		expr := regexp.QuoteMeta(m[2])
		if m[1] == "=~" {
			expr = m[2]
		}
		lq.service, _ = regexp.Compile("^(?:" + expr + ")$")
	}
	if m := traceFilter.FindStringSubmatch(q); m != nil {
		lq.traceID = strings.ToLower(m[1] + m[2])
	}
	lq.errsOnly = strings.Contains(q, "|~")
	return lq
}

func (lq logQuery) match(ll sim.LogLine) bool {
	switch {
	case lq.service != nil && !lq.service.MatchString(ll.Service):
		return false
	case lq.traceID != "" && ll.TraceID != lq.traceID:
		return false
	case lq.errsOnly && ll.Level != "error" && ll.Level != "warn":
		return false
	}
	return true
}

// Volume counts the lines of each service the selector matches in the
// window, every level.
func (l Logs) Volume(ctx context.Context, selector string, start, end time.Time) (map[string]int, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	lq := parseLogQuery(selector)
	out := map[string]int{}
	for _, ll := range l.I.logs {
		if !ll.Time.Before(start) && ll.Time.Before(end) && lq.match(ll) {
			out[ll.Service]++
		}
	}
	return out, nil
}

// Lines returns the lines of the window the query selects, newest first.
func (l Logs) Lines(ctx context.Context, q triage.LogQuery) ([]triage.LogLine, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	lq := parseLogQuery(q.Query)
	var out []triage.LogLine
	for i := len(l.I.logs) - 1; i >= 0; i-- {
		ll := l.I.logs[i]
		if ll.Time.Before(q.Start) || !ll.Time.Before(q.End) {
			continue
		}
		if !lq.match(ll) {
			continue
		}
		out = append(out, triage.LogLine{Time: ll.Time, Service: ll.Service, Level: ll.Level, Line: ll.Line, TraceID: ll.TraceID, SpanID: ll.SpanID})
		if q.Limit > 0 && len(out) >= q.Limit {
			break
		}
	}
	return out, nil
}

// Patterns says pattern detection is off, so the engine mines.
func (Logs) Patterns(context.Context, string, time.Time, time.Time, time.Duration) ([]triage.LokiPattern, error) {
	return nil, triage.ErrPatternsUnavailable
}

// sourceError mimics the sources' typed error: a reason and a kind.
type sourceError struct{ kind, reason string }

func (e *sourceError) Error() string     { return e.kind + ": " + e.reason }
func (e *sourceError) Reason() string    { return e.reason }
func (e *sourceError) ErrorKind() string { return e.kind }

// NotFound is a trace that is not there.
func NotFound(id string) error { return &sourceError{"not_found", "trace " + id + " not found"} }

// Err builds an error of a source kind, for fault injection.
func Err(kind, reason string) error { return &sourceError{kind, reason} }

// Sources serves the incident through all three of the engine's sources.
func (i *Incident) Sources() triage.Sources {
	return triage.Sources{Metrics: Metrics{I: i}, Logs: Logs{I: i}, Traces: Traces{I: i}}
}

// Alert is the alert the incident fires: its truth's name and service,
// two minutes after the incident starts.
func (i *Incident) Alert() triage.Alert {
	tr := i.Truth
	return triage.Alert{Name: tr.AlertName, Labels: map[string]string{"alertname": tr.AlertName, "service": tr.AlertService, "severity": "critical"},
		StartsAt: tr.IncidentStart.Add(2 * time.Minute), Fingerprint: "sim-" + tr.Scenario.Name}
}
