package sim

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
)

// schemaURL is the semantic-conventions version the attributes follow.
const schemaURL = semconv.SchemaURL

// PTraces returns every generated span as pdata, grouped by resource and
// instrumentation scope the way the OTLP exporter sends them.
func (i *Incident) PTraces() ptrace.Traces {
	return i.ptracesOf(0, len(i.traces))
}

func (i *Incident) ptracesOf(from, to int) ptrace.Traces {
	td := ptrace.NewTraces()
	scs := scopes()
	type key struct{ pod, scope int }
	spanSlices := map[key]ptrace.SpanSlice{}
	rss := map[int]ptrace.ResourceSpans{}
	for ti := from; ti < to; ti++ {
		tr := &i.traces[ti]
		for k := range tr.spans {
			s := &tr.spans[k]
			kk := key{s.pod, s.scope}
			ss, ok := spanSlices[kk]
			if !ok {
				rs, ok := rss[s.pod]
				if !ok {
					rs = td.ResourceSpans().AppendEmpty()
					rs.SetSchemaUrl(schemaURL)
					putAttrs(rs.Resource().Attributes(), i.fleet.pods[s.pod].attrs)
					rss[s.pod] = rs
				}
				sc := rs.ScopeSpans().AppendEmpty()
				sc.Scope().SetName(scs[s.scope].name)
				sc.Scope().SetVersion(scs[s.scope].version)
				ss = sc.Spans()
				spanSlices[kk] = ss
			}
			fillSpan(ss.AppendEmpty(), tr.id, s)
		}
	}
	return td
}

func fillSpan(ps ptrace.Span, tid traceID, s *span) {
	ps.SetTraceID(pcommon.TraceID(tid))
	ps.SetSpanID(pcommon.SpanID(s.id))
	if !s.parent.isZero() {
		ps.SetParentSpanID(pcommon.SpanID(s.parent))
	}
	ps.SetFlags(spanFlags(s.parentRemote))
	ps.SetName(s.name)
	ps.SetKind(pdataKind(s.kind))
	ps.SetStartTimestamp(pcommon.Timestamp(s.start))
	ps.SetEndTimestamp(pcommon.Timestamp(s.end))
	putAttrs(ps.Attributes(), s.attrs)
	for _, e := range s.events {
		pe := ps.Events().AppendEmpty()
		pe.SetName(e.name)
		pe.SetTimestamp(pcommon.Timestamp(e.at))
		putAttrs(pe.Attributes(), e.attrs)
	}
	for _, l := range s.links {
		pl := ps.Links().AppendEmpty()
		pl.SetTraceID(pcommon.TraceID(l.trace))
		pl.SetSpanID(pcommon.SpanID(l.span))
		pl.SetFlags(spanFlags(true))
	}
	if s.failed {
		ps.Status().SetCode(ptrace.StatusCodeError)
		ps.Status().SetMessage(s.msg)
	}
}

// spanFlags mirrors the OTLP exporter: sampled, and whether the parent is remote.
func spanFlags(remote bool) uint32 {
	const sampled, hasIsRemote, isRemote = 0x01, 0x100, 0x200
	f := uint32(sampled | hasIsRemote)
	if remote {
		f |= isRemote
	}
	return f
}

func pdataKind(k spanKind) ptrace.SpanKind {
	switch k {
	case kindServer:
		return ptrace.SpanKindServer
	case kindClient:
		return ptrace.SpanKindClient
	case kindProducer:
		return ptrace.SpanKindProducer
	case kindConsumer:
		return ptrace.SpanKindConsumer
	}
	return ptrace.SpanKindInternal
}

func putAttrs(m pcommon.Map, attrs []attr) {
	m.EnsureCapacity(len(attrs))
	for _, a := range attrs {
		if a.isNum {
			m.PutInt(a.key, a.num)
		} else {
			m.PutStr(a.key, a.str)
		}
	}
}
