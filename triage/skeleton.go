package triage

import (
	"context"
	"fmt"
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
			if roots++; s.Error {
				return false
			}
		}
	}
	return roots == 1
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
// search answered: in an error incident the skeleton of a trace that did
// not fail ranks it as the whole trace would (its critical path, its
// tolerated errors, its user and entry point), and the culprit and what's
// different come from the failing traces, read whole. In a latency incident the slow traces
// are the evidence what's different compares attribute by attribute, so
// they are fetched whole after all. The kind is told as the report tells
// it, from the failing traces fetched and the skeletons. The sample keeps
// its order.
func (f *fetcher) fetchSample(ctx context.Context, ids []string, skeletons map[string]*Trace, o Options) []*Trace {
	var whole, lean []string
	for _, id := range ids {
		if skeletons[id] != nil && f.have[id] == nil {
			lean = append(lean, id)
		} else {
			whole = append(whole, id)
		}
	}
	if len(lean) == 0 {
		return f.fetch(ctx, ids)
	}
	got := map[string]*Trace{}
	for i, t := range f.fetchAt(ctx, whole) {
		if t != nil {
			got[whole[i]] = t
		}
	}
	all := make([]*Trace, 0, len(got)+len(lean))
	for _, t := range got {
		all = append(all, t)
	}
	for _, id := range lean {
		all = append(all, skeletons[id])
	}
	kind := detectKind(analyseAll(all, o.Analysis()))
	f.mu.Lock()
	f.res.skeletonsOffered = len(lean)
	f.mu.Unlock()
	if kind == KindLatency {
		for i, t := range f.fetchAt(ctx, lean) {
			if t != nil {
				got[lean[i]] = t
			}
		}
	} else {
		for _, id := range lean {
			got[id] = skeletons[id]
		}
		f.mu.Lock()
		f.res.skeletons = len(lean)
		f.mu.Unlock()
	}
	out := make([]*Trace, 0, len(ids))
	for _, id := range ids {
		if t := got[id]; t != nil {
			out = append(out, t)
		}
	}
	return out
}

// skeletonNote tells the sources panel how the sample's traces that did
// not fail were read when skeleton searches answered them.
func (res *traceResult) skeletonNote() string {
	switch {
	case res.skeletons > 0:
		return fmt.Sprintf("traces that did not fail: %d of the sample read from skeleton searches, not fetched whole (each span's parent, kind, status, timing and service, with the %d attributes the ranking reads); an error incident's culprit and what's different come from its failing traces, read whole",
			res.skeletons, res.skeletonKeys)
	case res.skeletonsOffered > 0:
		return fmt.Sprintf("traces that did not fail: a latency incident, so the %d the skeleton searches returned were fetched whole: what's different compares every attribute of its slow traces", res.skeletonsOffered)
	}
	return ""
}
