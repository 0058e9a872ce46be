package triage

import (
	"context"
	"strings"
	"sync"
)

// drillDownConcurrency bounds the recorder's drill-down requests.
const drillDownConcurrency = 8

// maxDrillDownTraces bounds the traces the recorder visits.
const maxDrillDownTraces = 500

// AskDrillDowns asks what the console's pages ask about the report's
// evidence, so that a bundle recorded through src answers them offline:
// every trace the report names (sampled, users', log patterns' samples)
// with its log lines and, for a trace that sent messages, the traces
// linked to it; and each ranked service's series. Answers are not used;
// failures are recorded as they came.
func AskDrillDowns(ctx context.Context, src Sources, r *Report, red REDQueries) {
	var jobs []func()
	if src.Traces != nil {
		var visit func(id string, follow bool)
		visit = func(id string, follow bool) {
			tr, err := src.Traces.Trace(ctx, id)
			if err != nil {
				tr = nil
			}
			// The logs page opens from the verdict or a pattern (no trace
			// fetched: the report's services and row) and from the waterfall
			// (the fetched trace's); both are recorded. As the page does, the
			// next query is asked only when one finds nothing.
			for _, t := range []*Trace{nil, tr} {
				if src.Logs == nil {
					break
				}
				for _, q := range TraceLogQueries(src.Logs.ServiceLabel(), id, t, r) {
					if lines, err := src.Logs.Lines(ctx, q); err != nil || len(lines) > 0 {
						break
					}
				}
				if tr == nil {
					break
				}
			}
			if follow && HasProducerSpan(tr) {
				hits, _ := src.Traces.Search(ctx, LinkedTracesSearch(id, r.Window))
				for _, ref := range hits.Refs {
					visit(ref.TraceID, false)
				}
			}
		}
		for _, id := range reportTraceIDs(r, maxDrillDownTraces) {
			jobs = append(jobs, func() { visit(id, true) })
		}
	}
	if src.Metrics != nil {
		for _, s := range r.Services {
			q, w := ServiceSeries(red, s.Name, r.Window, s.Uninstrumented), r.Window
			for _, rq := range q.RED {
				if rq == "" {
					continue
				}
				jobs = append(jobs,
					func() { _, _ = src.Metrics.QueryRange(ctx, rq, w.Start, w.End, q.Step) },
					func() { _, _ = src.Metrics.QueryRange(ctx, rq, w.BaselineStart, w.BaselineEnd, q.Step) })
			}
			for _, eq := range q.Edges {
				jobs = append(jobs, func() { _, _ = src.Metrics.Query(ctx, eq, w.End) })
			}
		}
	}
	sem := make(chan struct{}, drillDownConcurrency)
	var wg sync.WaitGroup
	for _, job := range jobs {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			job()
		})
	}
	wg.Wait()
}

// reportTraceIDs are the trace ids a report lets the console open, in the
// report's order, each once, at most limit.
func reportTraceIDs(r *Report, limit int) []string {
	seen := map[string]bool{}
	var out []string
	add := func(id string) {
		id = strings.ToLower(strings.TrimSpace(id))
		if len(out) < limit && IsTraceID(id) && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for _, t := range r.Traces {
		add(t.TraceID)
	}
	for _, s := range r.Services {
		for _, e := range s.Evidence {
			add(e)
		}
	}
	for _, u := range r.Users {
		for _, id := range u.TraceIDs {
			add(id)
		}
	}
	for _, p := range r.LogPatterns {
		for _, id := range p.SampleTraceIDs {
			add(id)
		}
	}
	return out
}
