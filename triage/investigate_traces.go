package triage

import (
	"context"
	"fmt"
	"maps"
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
	// linkedSelected counts the linked traces read from searches by id.
	linkedSelected int
	baseline       []*Trace // healthy traces through the same service
	discovered     int      // distinct trace ids found before sampling
	missing        int      // sampled ids that could not be fetched
	partial        int      // traces the source marked partial
	baselineIn     string   // "baseline window" or "incident window (no baseline traces)"
	// baselineFound counts the healthy traces the search found, of which
	// up to maxBaselineTraces make the baseline.
	baselineFound int
	// baselineBySearch says the baseline came as attribute values from a
	// BaselineSearcher, not as whole traces.
	baselineBySearch bool
	baselineKeys     []string // the keys it was asked for: the only ones compared
	reused           int      // whole traces a search returned, not fetched again
	queries          []string
	notes            []string // how the backend answered what it cannot ask as such
	calls            int
	failed           int
	firstErr         error
	// skeletons counts the sample's traces that did not fail analysed as a
	// skeleton search returned them, not fetched whole; latencyCompared the
	// slow traces of a latency incident read whole (or selected by id) for
	// what's different when skeletons answered; skeletonKeys the
	// attributes asked.
	skeletons, latencyCompared, skeletonKeys int
	// selected counts the sample's traces read from one search by id
	// (TraceSelector) with the keys what's different compares, as named
	// by the keysFrom traces read whole; selectKeys is how many
	// attributes that search asked.
	selected, keysFrom, selectKeys int
	// fetched and asked count trace fetches for Options.TraceFetched.
	fetched, asked int
	onFetch        func(done, total int)
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
	res := &traceResult{onFetch: o.TraceFetched}
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
	// When the source can, the slow hits and those failing below the scope
	// come as skeletons, which rank a trace that did not fail without its
	// being fetched (fetchSample). The scope's own failures are read whole
	// or, where the source selects traces by id, as readRest says.
	ss, skeletal := ts.(SkeletonSearcher)
	ask := SkeletonAsk(o.Analysis())
	scopeFailed := make(chan struct{}) // the scope's own failures are in
	for i, q := range searches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q.Start, q.End, q.Limit = w.Start, w.End, o.TraceSample
			var h TraceHits
			var err error
			if skeletal && i > 0 {
				h, err = ss.SearchSkeletons(ctx, q, ask)
			} else {
				h, err = ts.Search(ctx, q)
			}
			record(h, "", err)
			results[i] = hits{h.Refs, err == nil}
			if i == 0 {
				close(scopeFailed)
			}
		}()
	}
	var fromExemplars []string
	exemplarsIn := make(chan struct{})
	go func() {
		fromExemplars = hints.exemplars.wait(ctx)
		close(exemplarsIn)
	}()
	limit := newFetchLimit(o.FetchConcurrency, o.Now)
	healthy := healthySearches(healthyQ, w, o)
	// The sample starts with the scope's own failures and the exemplars:
	// a source that selects traces by id reads them while the other
	// searches run (readEarly).
	early := &earlyRead{done: make(chan struct{})}
	if sel, ok := ts.(SelectSearcher); ok {
		ef := &fetcher{ts: ts, have: map[string]*Trace{}, limit: limit, res: res, mu: &mu, window: w, record: record}
		go func() {
			defer close(early.done)
			select {
			case <-scopeFailed:
			case <-ctx.Done():
				return
			}
			<-exemplarsIn
			head := sampleHead(results[0].refs, fromExemplars, o.TraceSample)
			ef.readEarly(ctx, early, sel, head, healthy, o)
		}()
	} else {
		close(early.done)
	}
	// Healthy traces in the baseline window, and in the incident window in
	// case the baseline has none (retention, a new service): both at once,
	// so the fallback costs no extra round trip.
	var fallbackRefs []TraceRef
	bs, bySearch := ts.(BaselineSearcher)
	if !bySearch {
		wg.Add(2)
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
	}
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
	<-exemplarsIn
	fromLogs := hints.logs.wait(ctx)
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
	// Whole traces a search already returned are not fetched again.
	have := map[string]*Trace{}
	for _, h := range results {
		collectWhole(have, h.refs)
	}
	collectWhole(have, baseRefs)
	collectWhole(have, fallbackRefs)
	f := &fetcher{ts: ts, have: have, limit: limit, res: res, mu: &mu, window: w, record: record}
	// The baseline is fetched alongside the sample: the two are independent.
	taken := make(map[string]bool, len(seen))
	for id := range seen {
		taken[id] = true
	}
	var bwg sync.WaitGroup
	bwg.Add(1)
	go func() {
		defer bwg.Done()
		if bySearch {
			return
		}
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
		found := len(baseIDs)
		baseIDs = f.cutBaseline(baseIDs)
		fetched := f.fetch(ctx, baseIDs)
		mu.Lock()
		res.baseline, res.baselineFound = fetched, found
		mu.Unlock()
	}()
	skeletons := map[string]*Trace{}
	for _, h := range results[1:] {
		maps.Copy(skeletons, usableSkeletons(h.refs))
	}
	if skeletal {
		res.skeletonKeys = ask.Count()
	}
	<-early.done
	// Without an early read, the baseline is asked as soon as the traces
	// read whole name the keys, while the others are read by id.
	late := &earlyRead{}
	if sel, ok := ts.(SelectSearcher); ok && early.baseline == nil {
		var once sync.Once
		f.keysNamed = func(diff BaselineKeys) {
			once.Do(func() {
				late.diff, late.baseline = diff, make([]TraceHits, len(healthy))
				askBaseline(ctx, &late.baselineDone, sel, healthy, diff, late.baseline, record)
			})
		}
	}
	res.incident = f.fetchSample(ctx, ids, skeletons, o, early)
	res.linked = f.fetchLinked(ctx, res.incident, o)

	bwg.Wait()
	switch {
	case early.baseline != nil:
		early.baselineDone.Wait()
		res.assembleBaseline(early.baseline, early.diff, taken)
	case late.baseline != nil:
		late.baselineDone.Wait()
		res.assembleBaseline(late.baseline, late.diff, taken)
	case bySearch:
		res.searchBaseline(ctx, bs, healthy, taken, o, record)
	}
	res.fetchNotes()
	return res
}

// searchBaseline asks a BaselineSearcher for the healthy baseline as the
// attributes Differences compares, once the sample is in (it says which
// services and keys): in the baseline window, and in the incident window in
// case the baseline has none, both at once. No trace is read whole.
func (res *traceResult) searchBaseline(ctx context.Context, bs BaselineSearcher, healthy []TraceSearch, taken map[string]bool, o Options, record func(TraceHits, string, error)) {
	ask := BaselineAsk(comparable(analyseAll(res.incident, o.Analysis())), o.UserAttributes)
	hits := make([]TraceHits, len(healthy))
	var wg sync.WaitGroup
	askBaseline(ctx, &wg, bs, healthy, ask, hits, record)
	wg.Wait()
	res.assembleBaseline(hits, ask, taken)
}

// askBaseline asks bs for the healthy baseline in each of healthy's
// windows at once, each answer into hits; wg is done when all are in.
func askBaseline(ctx context.Context, wg *sync.WaitGroup, bs BaselineSearcher, healthy []TraceSearch, ask BaselineKeys, hits []TraceHits, record func(TraceHits, string, error)) {
	for i, q := range healthy {
		q.Limit = maxSearchedBaseline
		wg.Go(func() {
			h, err := bs.SearchBaseline(ctx, BaselineSearch{Healthy: q, Ask: ask})
			suffix := ""
			if i == 0 {
				suffix = " (baseline)"
			}
			record(h, suffix, err)
			hits[i] = h
		})
	}
}

// assembleBaseline takes the baseline from a BaselineSearcher's answers
// in the baseline window, else the incident window's, leaving out the
// sample's traces (taken).
func (res *traceResult) assembleBaseline(hits []TraceHits, ask BaselineKeys, taken map[string]bool) {
	res.baselineKeys = ask.Keys()
	res.baselineIn, res.baselineBySearch = "baseline window", true
	refs := hits[0].Refs
	if len(refs) == 0 {
		res.baselineIn = "incident window (no traces in the baseline window)"
		refs = hits[1].Refs
	}
	for _, r := range refs {
		if r.Trace != nil && !taken[strings.ToLower(r.TraceID)] {
			res.baseline = append(res.baseline, r.Trace)
		}
	}
	res.baselineFound = len(res.baseline)
	what := "the healthy entry spans"
	if len(ask.Services) > 0 {
		what += " and the spans of " + strings.Join(ask.Services, ", ")
	}
	res.notes = append(res.notes, fmt.Sprintf("healthy baseline: %d healthy traces in the %s, from one search returning %s with only the %d attributes compared; none read whole",
		len(res.baseline), res.baselineIn, what, len(res.baselineKeys)))
}

// maxSearchedBaseline bounds the healthy traces a BaselineSearcher
// returns: their attributes come in one answer, so the baseline can be
// larger than the whole traces read otherwise.
const maxSearchedBaseline = 4 * maxBaselineTraces

// collectWhole keeps the whole traces search hits carry, by id.
func collectWhole(have map[string]*Trace, refs []TraceRef) {
	for _, r := range refs {
		if r.Trace != nil && !r.Trace.Skeleton {
			have[strings.ToLower(r.TraceID)] = r.Trace
		}
	}
}

// maxBaselineTraces bounds the healthy traces compared with the sample
// whatever trace_sample is: the baseline's shares are as good at a hundred
// traces for a sample of two hundred or of thousands (their standard error
// is at most 5%), and fetching more whole traces made the investigation
// cost grow with the knob rather than with the evidence.
const maxBaselineTraces = 100

// fetcher fetches whole traces under one adaptive bound for the sample,
// the baseline and the linked traces, taking those a search returned.
type fetcher struct {
	ts    TracesSource
	have  map[string]*Trace // read-only once fetching starts
	limit *fetchLimit
	res   *traceResult
	mu    *sync.Mutex
	// window is the incident's, and record counts a search's answer
	// (readRest's search by id).
	window Window
	record func(TraceHits, string, error)
	// keysNamed, when set, is told the keys what's different compares as
	// soon as the traces read whole name them (readKeys), so the baseline
	// is asked for them while the rest is read.
	keysNamed func(BaselineKeys)
}

// cutBaseline keeps up to maxBaselineTraces of the healthy ids, spread
// over the list (the backend's order follows time or storage, not the
// trace), those a search already returned whole first, as they cost
// nothing.
func (f *fetcher) cutBaseline(ids []string) []string {
	if len(ids) <= maxBaselineTraces {
		return ids
	}
	var whole, rest []string
	for _, id := range ids {
		if f.have[id] != nil {
			whole = append(whole, id)
		} else {
			rest = append(rest, id)
		}
	}
	out := spread(whole, maxBaselineTraces)
	return append(out, spread(rest, maxBaselineTraces-len(out))...)
}

// spread picks n of ids at even steps, in order.
func spread(ids []string, n int) []string {
	if n <= 0 {
		return nil
	}
	if len(ids) <= n {
		return ids
	}
	out := make([]string, n)
	for i := range out {
		out[i] = ids[i*len(ids)/n]
	}
	return out
}

// fetch fetches ids, keeping their order; those a search returned whole
// are taken as they are.
func (f *fetcher) fetch(ctx context.Context, ids []string) []*Trace {
	return f.fetchOr(ctx, ids, nil)
}

// fetchAt is fetch with each trace at its id's index, nil for one not
// fetched.
func (f *fetcher) fetchAt(ctx context.Context, ids []string) []*Trace {
	return f.fetchAtOr(ctx, ids, nil)
}

// fetchOr is fetch; for an id not fetched, unfetched (when not nil) is
// called under the lock and, when it returns true, has accounted for it
// instead of its being counted missing or failed.
func (f *fetcher) fetchOr(ctx context.Context, ids []string, unfetched func() bool) []*Trace {
	out := f.fetchAtOr(ctx, ids, unfetched)
	kept := out[:0]
	for _, t := range out {
		if t != nil {
			kept = append(kept, t)
		}
	}
	return kept
}

// fetchAtOr is fetchOr with each trace at its id's index.
func (f *fetcher) fetchAtOr(ctx context.Context, ids []string, unfetched func() bool) []*Trace {
	out := make([]*Trace, len(ids))
	f.mu.Lock()
	f.res.asked += len(ids)
	f.mu.Unlock()
	var wg sync.WaitGroup
	for i, id := range ids {
		if t := f.have[id]; t != nil {
			out[i] = t
			f.mu.Lock()
			f.res.reused++
			if t.Partial {
				f.res.partial++
			}
			f.mu.Unlock()
			continue
		}
		if err := f.limit.acquire(ctx); err != nil {
			// Out of time: what a search returned whole is still taken.
			f.mu.Lock()
			if unfetched == nil || !unfetched() {
				f.res.missing++
			}
			f.mu.Unlock()
			continue
		}
		wg.Go(func() {
			began := time.Now()
			t, err := f.ts.Trace(ctx, id)
			f.limit.release(time.Since(began), pushedBack(err))
			out[i] = f.fetched(t, err, unfetched)
		})
	}
	wg.Wait()
	return out
}

// fetched counts one fetch's answer and returns its trace, nil when there
// is none.
func (f *fetcher) fetched(t *Trace, err error, unfetched func() bool) *Trace {
	f.mu.Lock()
	defer f.mu.Unlock()
	res := f.res
	res.calls++
	if res.fetched++; res.onFetch != nil {
		res.onFetch(res.fetched, res.asked)
	}
	if err != nil || t == nil {
		if unfetched == nil || !unfetched() {
			res.fetchFailed(err)
		}
		return nil
	}
	if t.Partial {
		res.partial++
	}
	return t
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
func (f *fetcher) fetchLinked(ctx context.Context, sample []*Trace, o Options) []*Trace {
	res, mu := f.res, f.mu
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
	unfetched := func() bool {
		if lctx.Err() != nil && ctx.Err() == nil {
			res.linksTimedOut++ // out of the time links may take: not followed
			return true
		}
		return false
	}
	sel, ok := f.ts.(TraceSelector)
	if !ok {
		return f.fetchOr(lctx, ids, unfetched)
	}
	// A source that selects traces by id answers them from searches by
	// id with what the link join reads: each trace's entry, user and
	// failure, and the linked span's service, path, message id and topic.
	got := map[string]*Trace{}
	byID := f.selectRestOr(lctx, sel, ids, linkedKeys(o.Analysis()), got, unfetched)
	mu.Lock()
	res.linkedSelected = byID
	mu.Unlock()
	out := make([]*Trace, 0, len(got))
	for _, id := range ids {
		if t := got[id]; t != nil {
			out = append(out, t)
		}
	}
	return out
}

// linkedKeys are what a search by id asks of a linked trace: the
// skeleton's keys (the entry point, the user and the user's details) and
// the message's id and topic on the linked span.
func linkedKeys(ao AnalysisOptions) SkeletonKeys {
	k := SkeletonAsk(ao)
	k.SpanKeys = uniqueKeys(append(k.SpanKeys, messageIDKey, messageTopicKey))
	return k
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
		return fmt.Sprintf("span links followed to all %s linked traces (budget %s)%s", Thousands(float64(res.links)), Thousands(float64(res.linkBudget)), res.linkedHow())
	}
	return fmt.Sprintf("span links followed to %s of %s linked traces (%s): users behind the rest are not counted%s",
		Thousands(float64(followed)), Thousands(float64(res.links)), strings.Join(why, ", "), res.linkedHow())
}

// linkedHow says how many linked traces came from searches by id.
func (res *traceResult) linkedHow() string {
	if res.linkedSelected == 0 {
		return ""
	}
	return fmt.Sprintf("; %s of them read from one search by trace id (each span's parent, kind, status, timing and service, with the entry point, the user's keys and details, and the message's id and topic), not fetched whole",
		Thousands(float64(res.linkedSelected)))
}

// fetchNotes say how the whole traces were come by, for the sources panel.
// How far the fetch bound came down is left out: it follows the answers'
// timing, and a replay of the same answers must give the same report.
func (res *traceResult) fetchNotes() {
	if res.baselineFound > len(res.baseline) && res.baselineFound > maxBaselineTraces {
		res.notes = append(res.notes, fmt.Sprintf("healthy baseline: %d of the %d healthy traces found read whole, spread over them (at most %d, whatever trace_sample)",
			len(res.baseline), res.baselineFound, maxBaselineTraces))
	}
	for _, n := range []string{res.skeletonNote(), res.selectNote()} {
		if n != "" {
			res.notes = append(res.notes, n)
		}
	}
	if res.reused > 0 {
		res.notes = append(res.notes, fmt.Sprintf("whole traces: %d came whole with the search's answer and were analysed as returned, not fetched again", res.reused))
	}
}
