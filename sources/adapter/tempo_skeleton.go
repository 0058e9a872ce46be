package adapter

import (
	"context"
	"strings"
	"time"

	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/sources/tempo"
	"github.com/triagectl/triage/triage"
)

var _ triage.SelectSearcher = Traces{}

// SearchSkeletons runs the search as TraceQL returning every span of each
// trace found, with its parent, kind, status, name, timing and service and
// only the attributes asked (select): the skeletons the ranking reads of a
// slow trace that did not fail, at the cost of one search rather than a
// fetch per trace. A trace with more spans than one answer lists (Tempo's
// spss ceiling) comes without its skeleton, to be fetched whole. A
// linked-trace search is asked as such, without skeletons, and so is one
// Tempo refuses (an older Tempo) or whose answer is over the client's
// bound; the note says so.
func (t Traces) SearchSkeletons(ctx context.Context, q triage.TraceSearch, keys triage.SkeletonKeys) (triage.TraceHits, error) {
	if q.LinksTo != "" {
		return t.Search(ctx, q)
	}
	h := triage.TraceHits{Query: SkeletonTraceQL(q, keys)}
	r, err := t.C.Search(ctx, tempo.SearchRequest{Query: h.Query, Start: q.Start, End: q.End,
		Limit: q.Limit, SpansPerSpanSet: maxSkeletonSpans})
	if k := sources.KindOf(err); k == sources.KindBadRequest || k == sources.KindTooLarge {
		// An older Tempo without select or these intrinsics, or an answer
		// over the client's bound: the search as such, its traces then
		// fetched whole.
		plain, perr := t.Search(ctx, q)
		plain.Note = "skeletons: Tempo did not answer the skeleton search (" + sources.Truncate(err.Error(), 160) +
			"), so the traces it finds are fetched whole"
		return plain, perr
	}
	if err != nil {
		return h, err
	}
	h.Refs = skeletonRefs(r, keys)
	return h, nil
}

// SkeletonTraceQL writes a skeleton search: the search's span set, and
// "&& { }" so that every span of each trace found comes, selecting the
// span's name, parent, kind, status and status message, a trace it links
// to (the first; "" for none), its service, and the keys asked on spans
// and on resources.
func SkeletonTraceQL(q triage.TraceSearch, keys triage.SkeletonKeys) string {
	set := TraceQL(q)
	if q.FailingBelow {
		set = "(" + set + ")"
	}
	return set + " && { } | " + skeletonSelect(keys)
}

// skeletonSelect is the select of a skeleton search: each span's name,
// parent, kind, status and status message, a trace it links to (the
// first; "" for none), its service, and the keys asked on spans and on
// resources.
func skeletonSelect(keys triage.SkeletonKeys) string {
	sel := []string{"span:name", "span:parentID", "span:kind", "span:status", "span:statusMessage", "link:traceID", "resource.service.name"}
	for _, k := range keys.SpanKeys {
		sel = append(sel, "span."+traceQLAttr(k))
	}
	for _, k := range keys.ResourceKeys {
		sel = append(sel, "resource."+traceQLAttr(k))
	}
	return "select(" + strings.Join(sel, ", ") + ")"
}

// SelectTraces returns the traces of ids in one TraceQL search on their
// ids, every span with its structure and the keys asked (the skeleton
// search's select). Each fetch by id reads Tempo's store again, its recent
// blocks row by row; one search reads it once. A trace with more spans than
// one answer lists comes without its skeleton.
func (t Traces) SelectTraces(ctx context.Context, ids []string, start, end time.Time, keys triage.SkeletonKeys) (triage.TraceHits, error) {
	h := triage.TraceHits{Query: SelectTraceQL(ids, keys)}
	r, err := t.C.Search(ctx, tempo.SearchRequest{Query: h.Query, Start: start, End: end,
		Limit: len(ids), SpansPerSpanSet: maxSkeletonSpans})
	if err != nil {
		return h, err
	}
	h.Refs = skeletonRefs(r, keys)
	return h, nil
}

// maxTraceQLBytes bounds a search by id's TraceQL, so its URL stays
// within what proxies in front of Tempo commonly take (8 KB) once
// escaped; more ids are asked in more searches.
const maxTraceQLBytes = 4000

// MaxSelected is how many ids one SelectTraces search takes with keys,
// within maxTraceQLBytes.
func (Traces) MaxSelected(keys triage.SkeletonKeys) int {
	perID := len(`trace:id = "" || `) + 32
	return max(1, (maxTraceQLBytes-len("{  } | ")-len(skeletonSelect(keys)))/perID)
}

// SelectTraceQL writes a search for the traces of ids: every span of each
// (trace:id), with the skeleton search's select.
func SelectTraceQL(ids []string, keys triage.SkeletonKeys) string {
	either := make([]string, len(ids))
	for i, id := range ids {
		either[i] = "trace:id = " + traceQLString(id)
	}
	return "{ " + strings.Join(either, " || ") + " } | " + skeletonSelect(keys)
}

// skeletonRefs are a skeleton search's hits, each with its skeleton.
func skeletonRefs(r *tempo.SearchResult, keys triage.SkeletonKeys) []triage.TraceRef {
	refs := make([]triage.TraceRef, 0, len(r.Traces))
	for _, s := range r.Traces {
		refs = append(refs, triage.TraceRef{TraceID: s.TraceID, RootService: s.RootServiceName,
			RootName: s.RootTraceName, Start: s.Start, Duration: s.Duration, Trace: structure(s, keys)})
	}
	return refs
}

// structure builds a trace's skeleton from a skeleton search's hit: every
// span under its own parent. A hit whose span sets list fewer spans than
// matched is not the whole structure: nil.
func structure(s tempo.TraceSummary, keys triage.SkeletonKeys) *triage.Trace {
	if len(s.SpanSets) == 0 {
		return nil
	}
	for _, set := range s.SpanSets {
		if set.Matched > len(set.Spans) {
			return nil
		}
	}
	tr, parents := spansOf(s, keys.SpanKeys, keys.ResourceKeys)
	for i := range tr.Spans {
		tr.Spans[i].ParentID = parents[i]
	}
	return tr
}
