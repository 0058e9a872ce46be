package triage

import (
	"context"
	"fmt"
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
// linked to it, and the healthy trace the comparison page would set beside
// it (FindHealthyTrace); and each ranked service's series. Answers are not
// used; failures are recorded as they came.
func AskDrillDowns(ctx context.Context, src Sources, r *Report, red REDQueries, o Options) {
	var jobs []func()
	if src.Traces != nil {
		// The comparisons share the two healthy searches and many
		// candidates, and a candidate may be a trace the report names: each
		// is asked once (a replay answers a request again).
		once := &onceTraces{TracesSource: src.Traces}
		var visit func(id string, follow bool)
		visit = func(id string, follow bool) {
			tr, err := once.Trace(ctx, id)
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
			if follow && tr != nil && len(tr.Spans) > 0 {
				an := AnalyzeTrace(tr, o.Analysis())
				FindHealthyTrace(ctx, once, r.Alert.Scope, r.Window, o, &an)
			}
			if follow && HasProducerSpan(tr) {
				hits, _ := once.Search(ctx, LinkedTracesSearch(id, r.Window))
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

// onceTraces asks each search and each trace of its source once, and
// answers it again from memory.
type onceTraces struct {
	TracesSource
	mu       sync.Mutex
	searches map[string]*onceCall[TraceHits]
	traces   map[string]*onceCall[*Trace]
}

type onceCall[T any] struct {
	once sync.Once
	v    T
	err  error
}

func onceOf[T any](mu *sync.Mutex, m *map[string]*onceCall[T], key string, ask func() (T, error)) (T, error) {
	mu.Lock()
	if *m == nil {
		*m = map[string]*onceCall[T]{}
	}
	c := (*m)[key]
	if c == nil {
		c = &onceCall[T]{}
		(*m)[key] = c
	}
	mu.Unlock()
	c.once.Do(func() { c.v, c.err = ask() })
	return c.v, c.err
}

func (s *onceTraces) Search(ctx context.Context, q TraceSearch) (TraceHits, error) {
	return onceOf(&s.mu, &s.searches, fmt.Sprintf("%#v", q), func() (TraceHits, error) { return s.TracesSource.Search(ctx, q) })
}

func (s *onceTraces) Trace(ctx context.Context, id string) (*Trace, error) {
	return onceOf(&s.mu, &s.traces, strings.ToLower(id), func() (*Trace, error) { return s.TracesSource.Trace(ctx, id) })
}
