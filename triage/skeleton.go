package triage

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// SkeletonKeys are the attributes a skeleton search asks for, on the spans
// and on their resources.
type SkeletonKeys struct {
	SpanKeys, ResourceKeys []string
}

// Count is how many keys are asked, span and resource.
func (k SkeletonKeys) Count() int { return len(k.SpanKeys) + len(k.ResourceKeys) }

// peerKeys name the peer a client or producer span called, in the order
// blame reads them.
var peerKeys = []string{"peer.service", "server.address", "db.system"}

// SkeletonAsk is what AnalyzeTrace reads of a trace that did not fail,
// beside its spans' structure: the entry point's route, the peers client
// spans name, and the user's keys and details on spans and on resources.
func SkeletonAsk(ao AnalysisOptions) SkeletonKeys {
	user := slices.Concat(ao.UserAttributes, ao.UserDetailAttributes)
	return SkeletonKeys{
		SpanKeys:     uniqueKeys(slices.Concat(routeKeys, peerKeys, user)),
		ResourceKeys: uniqueKeys(user),
	}
}

// uniqueKeys drops empty and repeated keys, keeping the first of each.
func uniqueKeys(keys []string) []string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		if k != "" && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// skeletonServes says whether a skeleton ranks its trace as the whole
// trace would: it has one root, which did not fail, and no span links to
// another trace. A skeleton tells that a span has links, not what they
// carry, and a linked trace may be other users' requests (a consumer's
// messages), so such a trace is fetched whole.
func skeletonServes(t *Trace) bool {
	whole, rootFailed := wholeSkeleton(t)
	return whole && !rootFailed
}

// wholeSkeleton says whether t is a skeleton with every span, under one
// root, none linking to another trace, and whether that root failed.
func wholeSkeleton(t *Trace) (whole, rootFailed bool) {
	if t == nil || !t.Skeleton || t.Partial {
		return false, false
	}
	roots := 0
	for i := range t.Spans {
		s := &t.Spans[i]
		if len(s.Links) > 0 {
			return false, false
		}
		if s.ParentID == "" {
			roots++
			rootFailed = s.Error
		}
	}
	return roots == 1, rootFailed
}

// usableSkeletons are the skeletons among refs that rank their trace as
// the whole trace would, by lower-case id.
func usableSkeletons(refs []TraceRef) map[string]*Trace {
	out := map[string]*Trace{}
	for _, r := range refs {
		if skeletonServes(r.Trace) {
			out[strings.ToLower(r.TraceID)] = r.Trace
		}
	}
	return out
}

// fetchSample fetches the sample's ids whole, except those a skeleton
// search answered: the skeleton of a trace that did not fail ranks it as
// the whole trace would (its critical path, its tolerated errors, its user
// and entry point). In an error incident the culprit and what's different
// come from the failing traces, read whole or selected by id with the keys
// compared (readRest, taking what early read). In a latency incident what's
// different compares the slow traces attribute by attribute, so up to
// maxComparedSlow of them are fetched whole too. The kind is told as the
// report tells it, from the traces fetched and the skeletons. The sample
// keeps its order.
func (f *fetcher) fetchSample(ctx context.Context, ids []string, skeletons map[string]*Trace, o Options, early *earlyRead) []*Trace {
	var whole, lean []string
	for _, id := range ids {
		if skeletons[id] != nil && f.have[id] == nil {
			lean = append(lean, id)
		} else {
			whole = append(whole, id)
		}
	}
	got := f.readRest(ctx, whole, o, early)
	ao := o.Analysis()
	as := analyseAll(slices.Collect(maps.Values(got)), ao)
	var slow []string
	for _, id := range lean {
		got[id] = skeletons[id]
		a := AnalyzeTrace(skeletons[id], ao)
		if a.Slow {
			slow = append(slow, id)
		}
		as = append(as, a)
	}
	if len(lean) > 0 && detectKind(as) == KindLatency {
		// What's different compares the slow traces attribute by
		// attribute: up to maxComparedSlow of them, spread over the
		// sample's as the baseline is, are read whole or, where the source
		// selects traces by id, as readRest reads the failing ones.
		compared := spread(slow, maxComparedSlow)
		read := f.readRest(ctx, compared, o, nil)
		maps.Copy(got, read)
		f.mu.Lock()
		f.res.latencyCompared = len(read)
		f.mu.Unlock()
	}
	out := make([]*Trace, 0, len(ids))
	n, selected := 0, 0
	for _, id := range ids {
		if t := got[id]; t != nil {
			out = append(out, t)
			switch {
			case t.Compared:
				selected++
			case t.Skeleton:
				n++
			}
		}
	}
	f.mu.Lock()
	f.res.skeletons, f.res.selected = n, selected
	f.mu.Unlock()
	return out
}

// maxComparedSlow bounds the slow traces a latency incident reads whole
// when skeletons rank the rest: what's different compares them with at
// most maxBaselineTraces healthy ones read whole (or the attributes of up
// to maxSearchedBaseline), and its shares are as good at this many.
const maxComparedSlow = maxBaselineTraces

// comparable are the analyses what's different can read attribute by
// attribute: those not read from skeletons, or from skeletons carrying the
// keys it compares.
func comparable(as []TraceAnalysis) []TraceAnalysis {
	lean := func(a TraceAnalysis) bool { return a.Skeleton && !a.Compared }
	if !slices.ContainsFunc(as, lean) {
		return as
	}
	out := make([]TraceAnalysis, 0, len(as))
	for _, a := range as {
		if !lean(a) {
			out = append(out, a)
		}
	}
	return out
}

// skeletonNote tells the sources panel how the sample's traces that did
// not fail were read when skeleton searches answered them.
func (res *traceResult) skeletonNote() string {
	what := fmt.Sprintf("read from skeleton searches, not fetched whole (each span's parent, kind, status, timing and service, with the %d attributes the ranking reads)", res.skeletonKeys)
	switch {
	case res.latencyCompared > 0 && res.selected > 0:
		return fmt.Sprintf("traces that did not fail: a latency incident, so what's different compares %d of its slow traces, spread over the sample: %d read whole name the keys it compares, and %d came from one search by trace id with those keys; the other %d were %s",
			res.latencyCompared, res.latencyCompared-res.selected, res.selected, res.skeletons, what)
	case res.latencyCompared > 0 && res.skeletons > 0:
		return fmt.Sprintf("traces that did not fail: a latency incident, so what's different compares every attribute of %d of its slow traces, read whole and spread over the sample; the other %d were %s",
			res.latencyCompared, res.skeletons, what)
	case res.latencyCompared > 0:
		return fmt.Sprintf("traces that did not fail: a latency incident, so its %d slow traces were read whole: what's different compares every attribute of them", res.latencyCompared)
	case res.skeletons > 0 && res.selected > 0:
		return fmt.Sprintf("traces that did not fail: %d of the sample %s; an error incident's culprit and what's different come from its failing traces", res.skeletons, what)
	case res.skeletons > 0:
		return fmt.Sprintf("traces that did not fail: %d of the sample %s; an error incident's culprit and what's different come from its failing traces, read whole", res.skeletons, what)
	}
	return ""
}
