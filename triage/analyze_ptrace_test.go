package triage

import (
	"encoding/hex"
	"slices"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// fromPTraces converts OTLP pdata to the engine's model, the way a trace
// source's adapter does: one Resource per resource, attribute values as
// strings, traces in the order their first span appears.
func fromPTraces(td ptrace.Traces) []*Trace {
	var out []*Trace
	byID := map[pcommon.TraceID]*Trace{}
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		res := &Resource{Attrs: pdataAttrs(rs.Resource().Attributes())}
		res.Service, _ = res.Attrs.Get("service.name")
		for j := 0; j < rs.ScopeSpans().Len(); j++ {
			spans := rs.ScopeSpans().At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				ps := spans.At(k)
				tid := ps.TraceID()
				tr := byID[tid]
				if tr == nil {
					tr = &Trace{ID: hex.EncodeToString(tid[:])}
					byID[tid] = tr
					out = append(out, tr)
				}
				tr.Spans = append(tr.Spans, spanOf(ps, tr.ID, res))
			}
		}
	}
	slices.SortStableFunc(out, func(a, b *Trace) int { return earliest(a).Compare(earliest(b)) })
	return out
}

func earliest(t *Trace) time.Time {
	var e time.Time
	for i := range t.Spans {
		if e.IsZero() || t.Spans[i].Start.Before(e) {
			e = t.Spans[i].Start
		}
	}
	return e
}

func spanOf(ps ptrace.Span, traceID string, res *Resource) Span {
	s := Span{
		TraceID: traceID, Name: ps.Name(), Kind: SpanKind(ps.Kind()),
		Start: ps.StartTimestamp().AsTime(), End: ps.EndTimestamp().AsTime(),
		Error: ps.Status().Code() == ptrace.StatusCodeError, StatusMessage: ps.Status().Message(),
		Resource: res, Attrs: pdataAttrs(ps.Attributes()),
	}
	sid := ps.SpanID()
	s.SpanID = hex.EncodeToString(sid[:])
	if p := ps.ParentSpanID(); !p.IsEmpty() {
		s.ParentID = hex.EncodeToString(p[:])
	}
	for l := 0; l < ps.Links().Len(); l++ {
		pl := ps.Links().At(l)
		lt, ls := pl.TraceID(), pl.SpanID()
		s.Links = append(s.Links, Link{TraceID: hex.EncodeToString(lt[:]), SpanID: hex.EncodeToString(ls[:])})
	}
	for e := 0; e < ps.Events().Len(); e++ {
		pe := ps.Events().At(e)
		s.Events = append(s.Events, Event{Time: pe.Timestamp().AsTime(), Name: pe.Name(), Attrs: pdataAttrs(pe.Attributes())})
	}
	return s
}

func pdataAttrs(m pcommon.Map) Attrs {
	out := make(Attrs, 0, m.Len())
	m.Range(func(k string, v pcommon.Value) bool {
		out = append(out, Attr{Key: k, Value: v.AsString()})
		return true
	})
	return out
}
