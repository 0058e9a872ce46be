package jaeger

import (
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// The UI API answers searches in Jaeger's own model; toOTLP turns such a
// trace back into OTLP, as Jaeger's own translator writes the model from
// OTLP: span.kind, otel.status_code, otel.status_description and error are
// tags; a CHILD_OF reference is the parent and any other reference a link;
// logs are events; the process is the resource.

// statusTags are the tags that carry OTLP's kind and status, not
// attributes of the span.
var statusTags = map[string]bool{"span.kind": true, "otel.status_code": true, "otel.status_description": true, "error": true}

func (t *uiTrace) toOTLP() ptrace.Traces {
	td := ptrace.NewTraces()
	spansOf := map[string]ptrace.SpanSlice{}
	for i := range t.Spans {
		sp := &t.Spans[i]
		key := sp.ProcessID
		proc := t.Processes[sp.ProcessID]
		if sp.Process != nil {
			key, proc = "\x00"+sp.SpanID, *sp.Process
		}
		spans, ok := spansOf[key]
		if !ok {
			rs := td.ResourceSpans().AppendEmpty()
			res := rs.Resource().Attributes()
			res.PutStr("service.name", proc.ServiceName)
			for _, kv := range proc.Tags {
				kv.putInto(res)
			}
			spans = rs.ScopeSpans().AppendEmpty().Spans()
			spansOf[key] = spans
		}
		sp.toOTLP(t.TraceID, spans.AppendEmpty())
	}
	return td
}

func (sp *uiSpan) toOTLP(traceID string, out ptrace.Span) {
	tid := traceIDOf(traceID)
	if sp.TraceID != "" {
		tid = traceIDOf(sp.TraceID)
	}
	out.SetTraceID(tid)
	out.SetSpanID(spanIDOf(sp.SpanID))
	out.SetName(sp.OperationName)
	start := pcommon.Timestamp(sp.StartTime * 1000)
	out.SetStartTimestamp(start)
	out.SetEndTimestamp(start + pcommon.Timestamp(sp.Duration*1000))
	parentSet := false
	for _, r := range sp.References {
		rt := traceIDOf(r.TraceID)
		if r.TraceID == "" {
			rt = tid
		}
		if r.RefType == "CHILD_OF" && rt == tid && !parentSet {
			out.SetParentSpanID(spanIDOf(r.SpanID))
			parentSet = true
			continue
		}
		l := out.Links().AppendEmpty()
		l.SetTraceID(rt)
		l.SetSpanID(spanIDOf(r.SpanID))
	}
	kind, _ := tagValue(sp.Tags, "span.kind")
	out.SetKind(map[string]ptrace.SpanKind{"server": ptrace.SpanKindServer, "client": ptrace.SpanKindClient,
		"producer": ptrace.SpanKindProducer, "consumer": ptrace.SpanKindConsumer, "internal": ptrace.SpanKindInternal}[kind])
	switch code, _ := tagValue(sp.Tags, "otel.status_code"); {
	case uiFailed(sp):
		out.Status().SetCode(ptrace.StatusCodeError)
		if msg, ok := tagValue(sp.Tags, "otel.status_description"); ok {
			out.Status().SetMessage(msg)
		}
	case code == "OK":
		out.Status().SetCode(ptrace.StatusCodeOk)
	}
	attrs := out.Attributes()
	for _, kv := range sp.Tags {
		if !statusTags[kv.Key] {
			kv.putInto(attrs)
		}
	}
	for _, l := range sp.Logs {
		ev := out.Events().AppendEmpty()
		ev.SetTimestamp(pcommon.Timestamp(l.Timestamp * 1000))
		for _, f := range l.Fields {
			if f.Key == "event" {
				ev.SetName(f.str())
				continue
			}
			f.putInto(ev.Attributes())
		}
	}
}

// putInto sets the tag in m with its type: bool, int64 and float64 tags
// keep theirs, anything else is a string.
func (kv uiKeyValue) putInto(m pcommon.Map) {
	raw := strings.TrimSpace(string(kv.Value))
	switch strings.ToLower(kv.Type) {
	case "bool":
		if b, err := strconv.ParseBool(strings.Trim(raw, `"`)); err == nil {
			m.PutBool(kv.Key, b)
			return
		}
	case "int64":
		if n, err := strconv.ParseInt(strings.Trim(raw, `"`), 10, 64); err == nil {
			m.PutInt(kv.Key, n)
			return
		}
	case "float64":
		var f float64
		if json.Unmarshal(kv.Value, &f) == nil {
			m.PutDouble(kv.Key, f)
			return
		}
	}
	m.PutStr(kv.Key, kv.str())
}

func traceIDOf(s string) pcommon.TraceID {
	var id pcommon.TraceID
	b, err := hex.DecodeString(normalizeID(s, 32))
	if err == nil && len(b) == len(id) {
		copy(id[:], b)
	}
	return id
}

func spanIDOf(s string) pcommon.SpanID {
	var id pcommon.SpanID
	b, err := hex.DecodeString(normalizeID(s, 16))
	if err == nil && len(b) == len(id) {
		copy(id[:], b)
	}
	return id
}
