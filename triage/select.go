package triage

import (
	"context"
	"fmt"
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

// maxSelected bounds the ids one search by id asks for: the query stays a
// few kilobytes, and a larger sample is asked in several searches at once.
const maxSelected = 100

// readRest reads the traces of ids, which no skeleton search answered,
// by lower-case id. A source that can select traces by id, and answers the
// baseline with select, reads keysFromWhole of them whole, spread over the
// list, and the others from one search by id (TraceSelector) asking the
// attributes the ranking reads and the keys what's different compares, as
// the traces read whole name them (BaselineAsk): the culprit, the users
// and what's different come out as from the whole traces. A trace the
// search did not answer whole (more spans than one answer lists, span
// links, more than one root) is fetched whole; so is every trace when the
// search fails, with a note saying so. Another source fetches every trace.
func (f *fetcher) readRest(ctx context.Context, ids []string, o Options) map[string]*Trace {
	got := make(map[string]*Trace, len(ids))
	keep := func(ids []string, ts []*Trace) {
		for i, t := range ts {
			if t != nil {
				got[ids[i]] = t
			}
		}
	}
	sel, ok := f.ts.(SelectSearcher)
	var asked []string
	for _, id := range ids {
		if f.have[id] == nil && selectableID(id) {
			asked = append(asked, id)
		}
	}
	if !ok || len(asked) <= 2*keysFromWhole {
		keep(ids, f.fetchAt(ctx, ids))
		return got
	}
	first := spread(asked, keysFromWhole)
	keep(first, f.fetchAt(ctx, first))
	ao := o.Analysis()
	whole := make([]*Trace, 0, len(got))
	for _, id := range first {
		if t := got[id]; t != nil {
			whole = append(whole, t)
		}
	}
	keys := selectKeys(ao, BaselineAsk(comparable(analyseAll(whole, ao)), o.UserAttributes))
	rest := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return slices.Contains(first, id) })
	var byID, direct []string
	for _, id := range rest {
		if f.have[id] == nil && selectableID(id) {
			byID = append(byID, id)
		} else {
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
	keep(direct, f.fetchAt(ctx, direct))
	f.mu.Lock()
	f.res.selected, f.res.keysFrom, f.res.selectKeys = n, len(whole), keys.Count()
	f.mu.Unlock()
	return got
}

// selectByID asks the source for the traces of ids by id, at most
// maxSelected a search, the searches at once, and returns those answered
// whole enough to rank and compare, by lower-case id. A search that fails
// leaves its traces to be fetched whole, and the sources panel says why.
func (f *fetcher) selectByID(ctx context.Context, sel TraceSelector, ids []string, keys SkeletonKeys) map[string]*Trace {
	out := map[string]*Trace{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for part := range slices.Chunk(ids, maxSelected) {
		wg.Go(func() {
			h, err := sel.SelectTraces(ctx, part, f.window.Start, f.window.End, keys)
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
	if t == nil || !t.Skeleton || t.Partial {
		return false
	}
	roots := 0
	for i := range t.Spans {
		s := &t.Spans[i]
		if len(s.Links) > 0 {
			return false
		}
		if s.ParentID == "" {
			roots++
		}
	}
	return roots == 1
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
	if res.selected == 0 {
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
