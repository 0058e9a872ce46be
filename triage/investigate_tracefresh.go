package triage

import (
	"context"
	"strconv"
	"time"
)

// freshTraceLimit bounds each of the newest-trace searches: any hit in the
// last max_lag is enough to call the traces fresh.
const freshTraceLimit = 20

// traceFreshness finds the scope's newest trace: first among the traces
// that began in the last max_lag (fresh when there is one), then in the
// rest of the hour before the window ends. Trace searches are not ordered
// by time, so past max_lag the age is that of the newest trace the search
// returned, and Of says so. It returns nil when the backend could not
// answer (a bundle recorded without these searches, a failed call): the
// freshness is then unknown and not shown, and the trace phase's own
// searches report the backend's state.
func traceFreshness(ctx context.Context, ts TracesSource, scope Scope, w Window, maxLag time.Duration) (*Freshness, []string) {
	of := "trace"
	if scope.Service != "" {
		of = "trace of " + scope.Service
	}
	var queries []string
	search := func(start, end time.Time) ([]TraceRef, string, bool) {
		h, err := ts.Search(ctx, TraceSearch{Service: scope.Service, Start: start, End: end, Limit: freshTraceLimit})
		if err != nil {
			return nil, "", false
		}
		queries = append(queries, h.Query+" (newest trace)")
		return h.Refs, h.Query, true
	}
	recent, q, ok := search(w.End.Add(-maxLag), w.End)
	if !ok {
		return nil, nil
	}
	if len(recent) == 0 {
		older, oq, ok := search(w.End.Add(-freshnessWindow), w.End.Add(-maxLag))
		if !ok {
			return nil, nil
		}
		recent, q = older, oq
		if len(older) >= freshTraceLimit {
			of += " (the newest of the " + strconv.Itoa(freshTraceLimit) + " the search returned)"
		}
	}
	var newest time.Time
	for _, r := range recent {
		if end := r.Start.Add(r.Duration); end.After(newest) {
			newest = end
		}
	}
	return freshness(newest, w.End, maxLag, of, q), queries
}
