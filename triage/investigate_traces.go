package triage

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// traceResult is what the trace source contributed.
type traceResult struct {
	incident   []*Trace // the fetched sample: failing, then slow
	linked     []*Trace // traces the sample links to, fetched one hop for context
	links      int      // distinct traces the sample links to, outside the sample
	linkBudget int      // how many of them could be fetched (Options.LinkedFetch)
	// linksTimedOut counts linked traces left unfetched when the time
	// links may take ran out.
	linksTimedOut int
	baseline      []*Trace // healthy traces through the same service
	discovered    int      // distinct trace ids found before sampling
	missing       int      // sampled ids that could not be fetched
	partial       int      // traces the source marked partial
	baselineIn    string   // "baseline window" or "incident window (no baseline traces)"
	queries       []string
	notes         []string // how the backend answered what it cannot ask as such
	calls         int
	failed        int
	firstErr      error
}

// idHint is trace ids another source finds for the trace phase: the
// exemplars of the scope's error series, or the trace ids on error log
// lines. It is handed over exactly once, nil when the source found none,
// failed or is not configured, so the trace phase can wait for it and the
// sample does not depend on which source answered first.
type idHint struct{ ch chan []string }

func newIDHint() *idHint { return &idHint{ch: make(chan []string, 1)} }

// give hands ids over; only the first call counts.
func (h *idHint) give(ids []string) {
	if h == nil {
		return
	}
	select {
	case h.ch <- ids:
	default:
	}
}

// wait is the ids handed over, or nil once ctx ends.
func (h *idHint) wait(ctx context.Context) []string {
	if h == nil {
		return nil
	}
	select {
	case ids := <-h.ch:
		return ids
	case <-ctx.Done():
		return nil
	}
}

// traceHints are the hints the trace phase takes from the other sources.
type traceHints struct{ exemplars, logs *idHint }

// discoveryQueries are the searches for failing, slow and healthy traces
// in scope: the scope's own failed entry spans, then failures anywhere
// below it; entry spans over the slow threshold; entry spans that did not
// fail. Without a scope, any service's.
func discoveryQueries(scope Scope, slow time.Duration) (failing []TraceSearch, slowQ, healthy TraceSearch) {
	if scope.Service == "" {
		return []TraceSearch{{Status: StatusError}},
			TraceSearch{Kinds: EntryKinds, MinDuration: slow},
			TraceSearch{Status: StatusNotError}
	}
	svc := scope.Service
	failing = []TraceSearch{
		{Service: svc, Kinds: EntryKinds, Status: StatusError},
		{Service: svc, FailingBelow: true},
	}
	slowQ = TraceSearch{Service: svc, Kinds: EntryKinds, MinDuration: slow}
	healthy = TraceSearch{Service: svc, Kinds: EntryKinds, Status: StatusNotError}
	return failing, slowQ, healthy
}

// runTraces discovers, samples and fetches traces. Trace ids found by other
// sources (exemplars, error logs) arrive through hints while the searches
// run; the sample is cut once both are in, so it depends only on the
// sources' answers.
func runTraces(ctx context.Context, ts TracesSource, scope Scope, w Window, o Options, hints traceHints) *traceResult {
	res := &traceResult{}
	var mu sync.Mutex
	record := func(h TraceHits, suffix string, err error) {
		mu.Lock()
		defer mu.Unlock()
		if h.Query != "" {
			res.queries = append(res.queries, h.Query+suffix)
		}
		if h.Note != "" && !slices.Contains(res.notes, h.Note) {
			res.notes = append(res.notes, h.Note)
		}
		res.calls++
		if err != nil {
			res.failed++
			if res.firstErr == nil {
				res.firstErr = err
			}
		}
	}
	failingQ, slowQ, healthyQ := discoveryQueries(scope, o.SlowThreshold)
	type hits struct {
		refs []TraceRef
		ok   bool
	}
	searches := append(append([]TraceSearch{}, failingQ...), slowQ)
	results := make([]hits, len(searches))
	var baseRefs []TraceRef
	var wg sync.WaitGroup
	for i, q := range searches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q.Start, q.End, q.Limit = w.Start, w.End, o.TraceSample
			h, err := ts.Search(ctx, q)
			record(h, "", err)
			results[i] = hits{h.Refs, err == nil}
		}()
	}
	// Healthy traces in the baseline window, and in the incident window in
	// case the baseline has none (retention, a new service): both at once,
	// so the fallback costs no extra round trip.
	var fallbackRefs []TraceRef
	wg.Add(2)
	healthy := healthySearches(healthyQ, w, o)
	go func() {
		defer wg.Done()
		h, err := ts.Search(ctx, healthy[0])
		record(h, " (baseline)", err)
		baseRefs = h.Refs
	}()
	go func() {
		defer wg.Done()
		h, err := ts.Search(ctx, healthy[1])
		record(h, "", err)
		fallbackRefs = h.Refs
	}()
	wg.Wait()

	// Order: the scope's own failures, exemplars of its error series, slow
	// hits, errors anywhere below it (some of them tolerated), then trace
	// ids from error logs (any service's, noise included). The sample is cut
	// from the front, so the evidence that best fits the alert comes first.
	seen := map[string]bool{}
	var ids []string
	add := func(id string) {
		id = strings.ToLower(strings.TrimSpace(id))
		if id == "" || seen[id] {
			return
		}
		seen[id] = true
		ids = append(ids, id)
	}
	for _, r := range results[0].refs {
		add(r.TraceID)
	}
	fromExemplars, fromLogs := hints.exemplars.wait(ctx), hints.logs.wait(ctx)
	for _, id := range fromExemplars {
		add(id)
	}
	for _, r := range results[len(failingQ)].refs {
		add(r.TraceID)
	}
	for _, h := range results[1:len(failingQ)] {
		for _, r := range h.refs {
			add(r.TraceID)
		}
	}
	for _, id := range fromLogs {
		add(id)
	}
	res.discovered = len(ids)
	if len(ids) > o.TraceSample {
		ids = ids[:o.TraceSample]
	}
	// The baseline is fetched alongside the sample: the two are independent.
	taken := make(map[string]bool, len(seen))
	for id := range seen {
		taken[id] = true
	}
	var bwg sync.WaitGroup
	bwg.Add(1)
	go func() {
		defer bwg.Done()
		res.baselineIn = "baseline window"
		if len(baseRefs) == 0 {
			// No healthy traces an offset ago (retention, or a new service):
			// compare with the healthy traces of the incident window instead.
			res.baselineIn = "incident window (no traces in the baseline window)"
			baseRefs = fallbackRefs
		}
		var baseIDs []string
		for _, r := range baseRefs {
			if id := strings.ToLower(r.TraceID); !taken[id] {
				taken[id] = true
				baseIDs = append(baseIDs, id)
			}
		}
		fetched := fetchTraces(ctx, ts, baseIDs, o.FetchConcurrency, res, &mu)
		mu.Lock()
		res.baseline = fetched
		mu.Unlock()
	}()
	res.incident = fetchTraces(ctx, ts, ids, o.FetchConcurrency, res, &mu)
	res.linked = fetchLinked(ctx, ts, res.incident, o, res, &mu)

	bwg.Wait()
	return res
}

// fetchTraces fetches ids with bounded concurrency, keeping their order.
func fetchTraces(ctx context.Context, ts TracesSource, ids []string, concurrency int, res *traceResult, mu *sync.Mutex) []*Trace {
	return fetchEach(ctx, ts, ids, concurrency, false, mu, func(err error) { res.fetchFailed(err) }, res)
}

// fetchEach fetches ids with bounded concurrency, keeping their order;
// failed is called, under mu, for each that could not be fetched. With
// stop, once ctx ends the ids not yet asked for are not asked.
func fetchEach(ctx context.Context, ts TracesSource, ids []string, concurrency int, stop bool, mu *sync.Mutex, failed func(error), res *traceResult) []*Trace {
	out := make([]*Trace, len(ids))
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for i, id := range ids {
		sem <- struct{}{}
		if stop && ctx.Err() != nil {
			<-sem
			mu.Lock()
			failed(ctx.Err())
			mu.Unlock()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			t, err := ts.Trace(ctx, id)
			mu.Lock()
			defer mu.Unlock()
			res.calls++
			if err != nil || t == nil {
				failed(err)
				return
			}
			if t.Partial {
				res.partial++
			}
			out[i] = t
		}()
	}
	wg.Wait()
	kept := out[:0]
	for _, t := range out {
		if t != nil {
			kept = append(kept, t)
		}
	}
	return kept
}

// fetchFailed counts a trace that could not be fetched; the caller holds
// the lock.
func (res *traceResult) fetchFailed(err error) {
	res.missing++
	if _, kind := ErrorInfo(err); kind != "not_found" {
		res.failed++
		if res.firstErr == nil {
			res.firstErr = err
		}
	}
}

// linkedShare is the share of the trace source's time left that following
// span links may take: the sample is in hand by then, and the links only
// add to it, so running out of time leaves links unfollowed (and said so)
// rather than failing the source. What is left after is for the analysis,
// which takes far less.
const linkedShare = 0.9

// fetchLinked fetches the traces the sample's spans link to, one hop, so
// a consumer's failure is judged with the requests that produced its
// messages: a batch consumer's trace links to one producer per message, and
// each of them may name a user the consumer's trace does not. Links from
// failing and slow spans come first; at most o.LinkedFetch are fetched, and
// res records how many there were, for the sources panel.
func fetchLinked(ctx context.Context, ts TracesSource, sample []*Trace, o Options, res *traceResult, mu *sync.Mutex) []*Trace {
	have := make(map[string]bool, len(sample))
	for _, t := range sample {
		have[strings.ToLower(t.ID)] = true
	}
	var first, rest []string
	for _, t := range sample {
		for i := range t.Spans {
			s := &t.Spans[i]
			for _, l := range s.Links {
				id := strings.ToLower(strings.TrimSpace(l.TraceID))
				if id == "" || have[id] {
					continue
				}
				have[id] = true
				if s.Error || o.SlowThreshold > 0 && s.Duration() > o.SlowThreshold {
					first = append(first, id)
				} else {
					rest = append(rest, id)
				}
			}
		}
	}
	ids := slices.Concat(first, rest)
	mu.Lock()
	res.links, res.linkBudget = len(ids), o.LinkedFetch
	mu.Unlock()
	if len(ids) > o.LinkedFetch {
		ids = ids[:o.LinkedFetch]
	}
	if len(ids) == 0 {
		return nil
	}
	lctx := ctx
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		lctx, cancel = context.WithDeadline(ctx, time.Now().Add(time.Duration(float64(time.Until(dl))*linkedShare)))
		defer cancel()
	}
	return fetchEach(lctx, ts, ids, o.FetchConcurrency, true, mu, func(err error) {
		if lctx.Err() != nil && ctx.Err() == nil {
			res.linksTimedOut++ // out of the time links may take: not followed
			return
		}
		res.fetchFailed(err)
	}, res)
}

// linkNote tells the sources panel how far span links were followed.
func (res *traceResult) linkNote() string {
	if res.links == 0 {
		return ""
	}
	followed := min(res.links, res.linkBudget) - res.linksTimedOut
	var why []string
	if res.links > res.linkBudget {
		why = append(why, "budget "+Thousands(float64(res.linkBudget))+" traces")
	}
	if res.linksTimedOut > 0 {
		why = append(why, Thousands(float64(res.linksTimedOut))+" out of time")
	}
	if len(why) == 0 {
		return fmt.Sprintf("span links followed to all %s linked traces (budget %s)", Thousands(float64(res.links)), Thousands(float64(res.linkBudget)))
	}
	return fmt.Sprintf("span links followed to %s of %s linked traces (%s): users behind the rest are not counted",
		Thousands(float64(followed)), Thousands(float64(res.links)), strings.Join(why, ", "))
}
