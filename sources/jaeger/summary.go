package jaeger

import (
	"encoding/hex"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// TraceSummary is one trace in a search result, with the fields of the
// Tempo client's summary that Jaeger can give. Jaeger returns whole
// traces, so every field is computed from all of the trace's spans.
type TraceSummary struct {
	TraceID         string                  `json:"traceID"` // 32 hex digits
	RootServiceName string                  `json:"rootServiceName"`
	RootTraceName   string                  `json:"rootTraceName"`
	Start           time.Time               `json:"start"`
	Duration        time.Duration           `json:"duration"`
	SpanCount       int                     `json:"spanCount"`
	ServiceStats    map[string]ServiceStats `json:"serviceStats"`
}

// ServiceStats counts a service's spans in one trace.
type ServiceStats struct {
	SpanCount  int `json:"spanCount"`
	ErrorCount int `json:"errorCount"`
}

// RootNotReceived is the root service of a trace whose root span Jaeger
// does not hold, as Tempo words it.
const RootNotReceived = "<root span not yet received>"

// HasRoot reports whether the trace's root span is present.
func (t TraceSummary) HasRoot() bool {
	return t.RootServiceName != "" && t.RootServiceName != RootNotReceived
}

// ErrorCount sums the error spans over every service.
func (t TraceSummary) ErrorCount() int {
	n := 0
	for _, s := range t.ServiceStats {
		n += s.ErrorCount
	}
	return n
}

// splitTraces groups the spans of td by trace id, in order of first
// appearance, each group keeping its spans' resources and scopes. It takes
// td apart: resource spans of one trace (api/v3 gives nothing else) move
// whole, a mixed one is split span by span.
func splitTraces(td ptrace.Traces) []*Trace {
	byID := map[pcommon.TraceID]*Trace{}
	var order []*Trace
	traceOf := func(tid pcommon.TraceID) *Trace {
		t := byID[tid]
		if t == nil {
			t = &Trace{ID: hex.EncodeToString(tid[:]), Traces: ptrace.NewTraces()}
			byID[tid] = t
			order = append(order, t)
		}
		return t
	}
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		if tid, ok := soleTraceID(rs); ok {
			rs.MoveTo(traceOf(tid).Traces.ResourceSpans().AppendEmpty())
			continue
		}
		type scopeKey struct {
			tid   pcommon.TraceID
			scope int
		}
		resOf := map[pcommon.TraceID]ptrace.ResourceSpans{}
		bySlice := map[scopeKey]ptrace.SpanSlice{}
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			sc := sss.At(j)
			spans := sc.Spans()
			for k := 0; k < spans.Len(); k++ {
				sp := spans.At(k)
				key := scopeKey{sp.TraceID(), j}
				out, ok := bySlice[key]
				if !ok {
					nrs, ok := resOf[key.tid]
					if !ok {
						nrs = traceOf(key.tid).Traces.ResourceSpans().AppendEmpty()
						rs.Resource().CopyTo(nrs.Resource())
						nrs.SetSchemaUrl(rs.SchemaUrl())
						resOf[key.tid] = nrs
					}
					nss := nrs.ScopeSpans().AppendEmpty()
					sc.Scope().CopyTo(nss.Scope())
					nss.SetSchemaUrl(sc.SchemaUrl())
					out = nss.Spans()
					bySlice[key] = out
				}
				sp.CopyTo(out.AppendEmpty())
			}
		}
	}
	return order
}

// soleTraceID returns the one trace id of every span in rs.
func soleTraceID(rs ptrace.ResourceSpans) (pcommon.TraceID, bool) {
	var tid pcommon.TraceID
	seen := false
	sss := rs.ScopeSpans()
	for j := 0; j < sss.Len(); j++ {
		spans := sss.At(j).Spans()
		for k := 0; k < spans.Len(); k++ {
			id := spans.At(k).TraceID()
			if seen && id != tid {
				return tid, false
			}
			tid, seen = id, true
		}
	}
	return tid, seen
}

// summarize computes a trace's summary: its root is the earliest span
// without a parent, its extent runs from the first span's start to the last
// span's end.
func summarize(t *Trace) TraceSummary {
	s := TraceSummary{TraceID: t.ID, ServiceStats: map[string]ServiceStats{}}
	var first, last pcommon.Timestamp
	var root struct {
		svc, name string
		at        pcommon.Timestamp
		ok        bool
	}
	forSpans(t.Traces, func(svc string, sp ptrace.Span) {
		s.SpanCount++
		st := s.ServiceStats[svc]
		st.SpanCount++
		if sp.Status().Code() == ptrace.StatusCodeError {
			st.ErrorCount++
		}
		s.ServiceStats[svc] = st
		if first == 0 || sp.StartTimestamp() < first {
			first = sp.StartTimestamp()
		}
		if sp.EndTimestamp() > last {
			last = sp.EndTimestamp()
		}
		if sp.ParentSpanID().IsEmpty() && (!root.ok || sp.StartTimestamp() < root.at) {
			root.svc, root.name, root.at, root.ok = svc, sp.Name(), sp.StartTimestamp(), true
		}
	})
	s.RootServiceName, s.RootTraceName = root.svc, root.name
	if !root.ok {
		s.RootServiceName = RootNotReceived
	}
	if first != 0 {
		s.Start = first.AsTime().UTC()
		if last > first {
			s.Duration = time.Duration(last - first)
		}
	}
	return s
}

// forSpans calls f with every span and its resource's service.name.
func forSpans(td ptrace.Traces, f func(service string, sp ptrace.Span)) {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		svc := ""
		if v, ok := rs.Resource().Attributes().Get("service.name"); ok {
			svc = v.AsString()
		}
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				f(svc, spans.At(k))
			}
		}
	}
}
