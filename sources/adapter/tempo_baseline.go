package adapter

import (
	"context"
	"slices"
	"strings"

	"github.com/triagectl/triage/sources/tempo"
	"github.com/triagectl/triage/triage"
)

var _ triage.BaselineSearcher = Traces{}

// SearchBaseline answers the healthy baseline with one TraceQL search: the
// healthy entry spans, with the origin services' spans below them, each
// with only the attributes compared (select). No trace is fetched.
func (t Traces) SearchBaseline(ctx context.Context, q triage.BaselineSearch) (triage.TraceHits, error) {
	h := triage.TraceHits{Query: BaselineTraceQL(q)}
	r, err := t.C.Search(ctx, tempo.SearchRequest{Query: h.Query, Start: q.Healthy.Start, End: q.Healthy.End,
		Limit: q.Healthy.Limit, SpansPerSpanSet: maxSkeletonSpans})
	if err != nil {
		return h, err
	}
	for _, s := range r.Traces {
		if tr := skeleton(s, q.Ask.SpanKeys, q.Ask.ResourceKeys); tr != nil {
			h.Refs = append(h.Refs, triage.TraceRef{TraceID: s.TraceID, RootService: s.RootServiceName,
				RootName: s.RootTraceName, Start: s.Start, Duration: s.Duration, Trace: tr})
		}
	}
	return h, nil
}

// maxSkeletonSpans is the spans a healthy trace returns at most (Tempo's
// spss ceiling): its entry span and the origin services' spans.
const maxSkeletonSpans = 100

// BaselineTraceQL writes a baseline search: one span set of the healthy
// entry spans or, when services are named, any span of those services,
// selecting the span name, the parent (to tell the root) and the keys
// compared. A trace whose root is not a healthy entry span comes without
// a root, and is no baseline trace.
func BaselineTraceQL(q triage.BaselineSearch) string {
	healthy := q.Healthy
	healthy.FailingBelow, healthy.LinksTo = false, ""
	set := TraceQL(healthy)
	if len(q.Ask.Services) > 0 && set != "{ }" {
		either := []string{"(" + strings.TrimSuffix(strings.TrimPrefix(set, "{ "), " }") + ")"}
		for _, s := range q.Ask.Services {
			either = append(either, "resource.service.name = "+traceQLString(s))
		}
		set = "{ " + strings.Join(either, " || ") + " }"
	}
	sel := []string{"span:name", "span:parentID"}
	for _, k := range q.Ask.SpanKeys {
		sel = append(sel, "span."+traceQLAttr(k))
	}
	for _, k := range q.Ask.ResourceKeys {
		sel = append(sel, "resource."+traceQLAttr(k))
	}
	return set + " | select(" + strings.Join(sel, ", ") + ")"
}

// tempoNil is how Tempo's search renders a selected attribute a span does
// not have.
const tempoNil = "nil"

// skeleton builds a baseline trace from a search hit: its root span (the
// healthy entry span, parent all zeros) and the other spans under it, each
// with the selected attributes in their scope. A hit without its root
// span is no baseline trace: nil.
func skeleton(s tempo.TraceSummary, spanKeys, resKeys []string) *triage.Trace {
	tr, parents := spansOf(s, spanKeys, resKeys)
	root := slices.Index(parents, "")
	if root < 0 {
		return nil
	}
	for i := range tr.Spans {
		if i != root {
			tr.Spans[i].ParentID = tr.Spans[root].SpanID
		}
	}
	return tr
}

// spansOf reads a search hit's spans, each span once, with the selected
// attributes in their scope (Tempo's answer names no scope: a key asked
// of spans is a span's, else a resource's), and each span's parent, ""
// for a root (all zeros).
func spansOf(s tempo.TraceSummary, spanKeys, resKeys []string) (*triage.Trace, []string) {
	tr := &triage.Trace{ID: s.TraceID, Skeleton: true}
	var parents []string
	resources := map[string]*triage.Resource{}
	seen := map[string]bool{}
	for _, set := range s.SpanSets {
		for _, m := range set.Spans {
			if seen[m.SpanID] {
				continue
			}
			seen[m.SpanID] = true
			sp := triage.Span{TraceID: s.TraceID, SpanID: m.SpanID, Name: m.Name, Start: m.Start, End: m.Start.Add(m.Duration)}
			var res triage.Attrs
			service, parent := "", ""
			for _, a := range m.Attributes {
				v := a.String()
				switch {
				case a.Key == "span:parentID":
					parent = parentID(v)
				case a.Key == "service.name":
					service = v
				case a.Key == "kind":
					sp.Kind = kindOf(v)
				case a.Key == "status":
					sp.Error = v == "error"
				case a.Key == "statusMessage":
					sp.StatusMessage = v
				case a.Key == "link:traceID":
					if id := strings.Trim(v, "0"); id != "" && v != tempoNil {
						sp.Links = []triage.Link{{TraceID: v}}
					}
				case v == tempoNil:
				case slices.Contains(spanKeys, a.Key):
					if _, dup := sp.Attrs.Get(a.Key); !dup {
						sp.Attrs = append(sp.Attrs, triage.Attr{Key: a.Key, Value: v})
					}
				case slices.Contains(resKeys, a.Key):
					res = append(res, triage.Attr{Key: a.Key, Value: v})
				}
			}
			if service != "" {
				res = append(res, triage.Attr{Key: "service.name", Value: service})
			}
			slices.SortFunc(res, func(a, b triage.Attr) int { return strings.Compare(a.Key, b.Key) })
			id := resourceID(res)
			if resources[id] == nil {
				resources[id] = &triage.Resource{Service: service, Attrs: res}
			}
			sp.Resource = resources[id]
			tr.Spans = append(tr.Spans, sp)
			parents = append(parents, parent)
		}
	}
	return tr, parents
}

// parentID is a span:parentID as the span ids are written: 16 lower-case
// hex digits, "" for a root's (all zeros).
func parentID(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	if strings.Trim(v, "0") == "" {
		return ""
	}
	if len(v) < 16 {
		v = strings.Repeat("0", 16-len(v)) + v
	}
	return v
}

func resourceID(attrs triage.Attrs) string {
	var b strings.Builder
	for _, a := range attrs {
		b.WriteString(a.Key)
		b.WriteByte(0)
		b.WriteString(a.Value)
		b.WriteByte(0)
	}
	return b.String()
}

func kindOf(s string) triage.SpanKind {
	for k := triage.KindUnspecified; k <= triage.KindConsumer; k++ {
		if k.String() == s {
			return k
		}
	}
	return triage.KindUnspecified
}
