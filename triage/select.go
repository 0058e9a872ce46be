package triage

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

// keysFromWhole is how many of the traces no skeleton search answered
// (the failing ones, mostly) are read whole when the source can select the
// rest by id: they name the keys what's different compares, which the
// search by id then asks of the others. A value carried by a tenth of the
// failing traces is in at least two of them with a chance over 60%, one
// carried by a third with a chance over 99.9%.
const keysFromWhole = 20

// earlyRead is what a source that selects traces by id read of the
// sample's head (the scope's own failures and the exemplars) while the
// other searches ran: the traces, by lower-case id, the keys the search
// by id asked, and the healthy baseline asked for the keys what's
// different compares (nil when it was not asked). done is closed once it
// is in.
type earlyRead struct {
	done         chan struct{}
	got          map[string]*Trace
	keys         SkeletonKeys
	diff         BaselineKeys
	baseline     []TraceHits
	baselineDone sync.WaitGroup
}

// sampleHead is the head of the sample as runTraces orders it: the
// scope's own failures, then the exemplars, lower-cased, each once, at
// most limit.
func sampleHead(refs []TraceRef, exemplars []string, limit int) []string {
	seen := map[string]bool{}
	var ids []string
	add := func(id string) {
		id = strings.ToLower(strings.TrimSpace(id))
		if id != "" && !seen[id] && len(ids) < limit {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for _, r := range refs {
		add(r.TraceID)
	}
	for _, id := range exemplars {
		add(id)
	}
	return ids
}

// readEarly reads the sample's head, when it holds more than
// 2×keysFromWhole traces to ask by id, as readRest would: keysFromWhole
// of them whole, naming the keys what's different compares, then the
// others from searches by id, and meanwhile the healthy baseline for
// those keys. It runs while the skeleton searches do, so the failing
// traces and the baseline are in by the time they are.
func (f *fetcher) readEarly(ctx context.Context, e *earlyRead, sel SelectSearcher, head []string, healthy []TraceSearch, o Options) {
	asked := f.askable(head)
	if len(asked) <= 2*keysFromWhole {
		return
	}
	got, keys, diff := f.readKeys(ctx, asked, o)
	e.got, e.keys, e.diff = got, keys, diff
	e.baseline = make([]TraceHits, len(healthy))
	askBaseline(ctx, &e.baselineDone, sel, healthy, diff, e.baseline, f.record)
	f.selectRest(ctx, sel, head, keys, got)
}

// readRest reads the traces of ids, which no skeleton search answered,
// by lower-case id. A source that can select traces by id, and answers the
// baseline with select, reads keysFromWhole of them whole, spread over the
// list, and the others from one search by id (TraceSelector) asking the
// attributes the ranking reads and the keys what's different compares, as
// the traces read whole name them (BaselineAsk): the culprit, the users
// and what's different come out as from the whole traces. What the early
// read has is taken as it is, and the rest asked by id with its keys. A
// trace the search did not answer whole (more spans than one answer
// lists, span links, more than one root) is fetched whole; so is every
// trace when the search fails, with a note saying so. Another source
// fetches every trace.
func (f *fetcher) readRest(ctx context.Context, ids []string, o Options, early *earlyRead) map[string]*Trace {
	got := make(map[string]*Trace, len(ids))
	sel, ok := f.ts.(SelectSearcher)
	var keys SkeletonKeys
	switch asked := f.askable(ids); {
	case ok && early != nil && early.got != nil:
		for _, id := range ids {
			if t := early.got[id]; t != nil {
				got[id] = t
			}
		}
		keys = early.keys
	case ok && len(asked) > 2*keysFromWhole:
		var read map[string]*Trace
		read, keys, _ = f.readKeys(ctx, asked, o)
		maps.Copy(got, read)
	default:
		keepFetched(got, ids, f.fetchAt(ctx, ids))
		return got
	}
	f.selectRest(ctx, sel, ids, keys, got)
	return got
}

// askable are the ids of ids a search by id can ask: those no search
// returned whole, in the form Tempo takes.
func (f *fetcher) askable(ids []string) []string {
	var out []string
	for _, id := range ids {
		if f.have[id] == nil && selectableID(id) {
			out = append(out, id)
		}
	}
	return out
}

// readKeys reads keysFromWhole of asked whole, spread over them, and
// says what a search by id asks of the others: the skeleton's keys and
// those what's different compares, as the traces read whole name them.
func (f *fetcher) readKeys(ctx context.Context, asked []string, o Options) (map[string]*Trace, SkeletonKeys, BaselineKeys) {
	first := spread(asked, keysFromWhole)
	got := map[string]*Trace{}
	keepFetched(got, first, f.fetchAt(ctx, first))
	whole := make([]*Trace, 0, len(got))
	for _, id := range first {
		if t := got[id]; t != nil {
			whole = append(whole, t)
		}
	}
	ao := o.Analysis()
	diff := BaselineAsk(comparable(analyseAll(whole, ao)), o.UserAttributes)
	keys := selectKeys(ao, diff)
	if f.keysNamed != nil {
		f.keysNamed(diff)
	}
	f.mu.Lock()
	f.res.keysFrom, f.res.selectKeys = len(whole), keys.Count()
	f.mu.Unlock()
	return got, keys, diff
}

// selectRest reads the ids not in got: those it can from searches by id
// asking keys, the others, and those the searches did not answer whole,
// fetched whole.
func (f *fetcher) selectRest(ctx context.Context, sel TraceSelector, ids []string, keys SkeletonKeys, got map[string]*Trace) {
	f.selectRestOr(ctx, sel, ids, keys, got, nil)
}

// selectRestOr is selectRest with unfetched as fetchOr has it for the
// traces fetched whole. It returns how many the searches by id answered.
func (f *fetcher) selectRestOr(ctx context.Context, sel TraceSelector, ids []string, keys SkeletonKeys, got map[string]*Trace, unfetched func() bool) int {
	var byID, direct []string
	for _, id := range ids {
		switch {
		case got[id] != nil:
		case f.have[id] == nil && selectableID(id):
			byID = append(byID, id)
		default:
			direct = append(direct, id)
		}
	}
	answered := f.selectByID(ctx, sel, byID, keys)
	n := 0
	for _, id := range byID {
		if t := answered[id]; t != nil {
			got[id] = t
			n++
		} else {
			direct = append(direct, id)
		}
	}
	keepFetched(got, direct, f.fetchAtOr(ctx, direct, unfetched))
	return n
}

// keepFetched puts each fetched trace in got under its id.
func keepFetched(got map[string]*Trace, ids []string, ts []*Trace) {
	for i, t := range ts {
		if t != nil {
			got[ids[i]] = t
		}
	}
}

// selectByID asks the source for the traces of ids by id, in even parts
// of at most what one search takes (MaxSelected), the searches at once,
// and returns those answered whole enough to rank and compare, by
// lower-case id. A search that fails leaves its traces to be fetched
// whole, and the sources panel says why.
func (f *fetcher) selectByID(ctx context.Context, sel TraceSelector, ids []string, keys SkeletonKeys) map[string]*Trace {
	out := map[string]*Trace{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	if len(ids) == 0 {
		return out
	}
	most := max(1, sel.MaxSelected(keys))
	parts := (len(ids) + most - 1) / most
	for part := range slices.Chunk(ids, (len(ids)+parts-1)/parts) {
		wg.Go(func() {
			h, err := sel.SelectTraces(ctx, part, f.window.Start, f.window.End, keys)
			if err != nil && ctx.Err() != nil {
				// Out of time: the traces are not fetched either, and
				// the fetch accounts for them.
				f.record(h, "", nil)
				return
			}
			if err != nil {
				// The traces are fetched whole instead: a note, not a
				// failed source.
				reason, _ := ErrorInfo(err)
				if r := []rune(reason); len(r) > 160 {
					reason = string(r[:159]) + "…"
				}
				h.Note = fmt.Sprintf("traces by id: the search for %d traces failed (%s), so they were fetched whole",
					len(part), reason)
				f.record(h, "", nil)
				return
			}
			f.record(h, "", nil)
			mu.Lock()
			defer mu.Unlock()
			for _, r := range h.Refs {
				if t := r.Trace; selectedServes(t) {
					t.Compared = true
					out[strings.ToLower(r.TraceID)] = t
				}
			}
		})
	}
	wg.Wait()
	return out
}

// selectedServes says whether a trace selected by id ranks as the whole
// trace would: every span came, under one root, and none links to another
// trace (a link's trace may be other users' requests, and is followed
// from the whole trace). Unlike a skeleton of a trace that did not fail,
// its root may have failed: the search carried what's different compares.
func selectedServes(t *Trace) bool {
	whole, _ := wholeSkeleton(t)
	return whole
}

// selectKeys are the skeleton's keys (what the ranking reads) with those
// what's different compares, on spans and on resources.
func selectKeys(ao AnalysisOptions, diff BaselineKeys) SkeletonKeys {
	k := SkeletonAsk(ao)
	return SkeletonKeys{
		SpanKeys:     uniqueKeys(slices.Concat(k.SpanKeys, diff.SpanKeys)),
		ResourceKeys: uniqueKeys(slices.Concat(k.ResourceKeys, diff.ResourceKeys)),
	}
}

// selectNote tells the sources panel how the traces no skeleton search
// answered were read when a search by id answered most of them.
func (res *traceResult) selectNote() string {
	if res.selected == 0 || res.latencyCompared > 0 {
		return ""
	}
	return fmt.Sprintf("failing traces: %d of the sample read from one search by trace id (each span's parent, kind, status, timing and service, with the %d attributes the ranking reads and what's different compares), not fetched whole; %d read whole, spread over them, named the keys what's different compares",
		res.selected, res.selectKeys, res.keysFrom)
}

// selectableID says whether id can be asked by id: a 128-bit id in hex.
func selectableID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for _, c := range id {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
