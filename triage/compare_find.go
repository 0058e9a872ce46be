package triage

import (
	"context"
	"strings"
)

// healthyTries bounds the candidates fetched for one comparison.
const healthyTries = 3

// HealthySearch is one of the searches FindHealthyTrace made and what it
// found.
type HealthySearch struct {
	Search TraceSearch
	// Query is the search in the backend's terms, and Note how a question
	// it cannot ask as such was answered instead (TraceHits).
	Query, Note string
	Where       string // "baseline window" or "incident window"
	Err         error
	Found       int // traces the search returned
	Route       int // of them, the failing trace's route
}

// HealthyFind is where FindHealthyTrace looked and what it found: Trace is
// nil when no healthy trace of the route was found (Searches and Fetches
// say why).
type HealthyFind struct {
	Trace    *Trace
	Searches []HealthySearch
	// Fetches are the candidates that could not be fetched or failed
	// themselves, with why.
	Fetches []HealthyFetch
	// Search is the index in Searches of the one that found Trace, and
	// Candidates how many traces of the route it offered.
	Search, Candidates int
}

// HealthyFetch is a candidate passed over.
type HealthyFetch struct {
	TraceID string
	Err     error // nil: fetched, but it failed too
}

// FindHealthyTrace looks for a healthy trace of the failing trace's route
// (its root service and root span name) with the investigation's own
// searches (HealthyTraceSearches), so that a bundle answers it offline:
// the baseline window first, then the incident window; of each search's
// traces of the route, the nearest in time to the failing one first, the
// failing trace itself and traces that failed too passed over, at most
// three fetched in all.
func FindHealthyTrace(ctx context.Context, ts TracesSource, scope Scope, w Window, o Options, failing *TraceAnalysis) HealthyFind {
	var f HealthyFind
	opts := o.Analysis()
	tries := 0
	for i, q := range HealthyTraceSearches(scope, w, o) {
		hs := HealthySearch{Search: q, Where: [...]string{"baseline window", "incident window"}[min(i, 1)]}
		hits, err := ts.Search(ctx, q)
		hs.Err, hs.Found, hs.Query, hs.Note = err, len(hits.Refs), hits.Query, hits.Note
		var cands []TraceRef
		for _, r := range SameRoute(hits.Refs, failing.RootService, failing.RootName, failing.Start) {
			if !strings.EqualFold(r.TraceID, failing.TraceID) {
				cands = append(cands, r)
			}
		}
		hs.Route = len(cands)
		f.Searches = append(f.Searches, hs)
		for _, r := range cands {
			if tries == healthyTries || ctx.Err() != nil {
				return f
			}
			tries++
			id := strings.ToLower(r.TraceID)
			tr, err := ts.Trace(ctx, id)
			if err != nil || tr == nil || len(tr.Spans) == 0 {
				f.Fetches = append(f.Fetches, HealthyFetch{TraceID: id, Err: err})
				if err == nil {
					f.Fetches[len(f.Fetches)-1].Err = errNoSpans
				}
				continue
			}
			if an := AnalyzeTrace(tr, opts); an.Failing {
				f.Fetches = append(f.Fetches, HealthyFetch{TraceID: id})
				continue
			}
			f.Trace, f.Search, f.Candidates = tr, len(f.Searches)-1, len(cands)
			return f
		}
	}
	return f
}

type noSpans struct{}

func (noSpans) Error() string { return "the trace has no spans" }

var errNoSpans error = noSpans{}
