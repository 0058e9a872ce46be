package tempo

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strconv"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/triagectl/triage/sources/sourcestest"
)

func BenchmarkDecodeTrace(b *testing.B) {
	td := sourcestest.SyntheticTrace(2000)
	pb, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	if err != nil {
		b.Fatal(err)
	}
	js := tempoJSON(td, true)
	b.Run("proto", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(pb)))
		for b.Loop() {
			if _, err := DecodeTraceProto(pb); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(js)))
		for b.Loop() {
			if _, err := DecodeTraceJSON(js); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// The benchmark's two bodies must hold the same trace.
func TestSyntheticTraceBodiesAgree(t *testing.T) {
	td := sourcestest.SyntheticTrace(2000)
	if td.SpanCount() != 2000 || td.ResourceSpans().Len() != 8 {
		t.Fatalf("synthetic trace: %d spans in %d resources", td.SpanCount(), td.ResourceSpans().Len())
	}
	pb, _ := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	fromPB, err := DecodeTraceProto(pb)
	if err != nil {
		t.Fatal(err)
	}
	fromJSON, err := DecodeTraceJSON(tempoJSON(td, true))
	if err != nil {
		t.Fatal(err)
	}
	if a, b := flatten(fromPB.Traces), flatten(fromJSON.Traces); len(a) != 2000 || !reflect.DeepEqual(a, b) {
		t.Fatal("protobuf and JSON bodies of the synthetic trace differ")
	}
}

// tempoJSON must write what Tempo writes: checked byte for byte against
// the recorded v1 JSON of the same traces.
func TestTempoJSONMatchesRecording(t *testing.T) {
	for _, name := range []string{"trace_error_v1", "trace_ok_v1"} {
		tr, err := DecodeTraceProto(fixture(t, name+".pb"))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := tempoJSON(tr.Traces, false), fixture(t, name+".json"); !bytes.Equal(got, want) {
			t.Errorf("%s: generated JSON differs from the recording\n got %.300s\nwant %.300s", name, got, want)
		}
	}
}

// tempoJSON writes td as Tempo does (gogo jsonpb): proto field order, zero
// values omitted, ids in base64, 64-bit integers as strings, enums by
// name, and the always-present status object. v2 wraps it as
// /api/v2/traces answers, else as /api/traces does.
func tempoJSON(td ptrace.Traces, v2 bool) []byte {
	w := &jw{}
	if v2 {
		w.raw(`{"trace":{"resourceSpans":[`)
	} else {
		w.raw(`{"batches":[`)
	}
	for i := 0; i < td.ResourceSpans().Len(); i++ {
		rs := td.ResourceSpans().At(i)
		w.sep(i)
		w.raw(`{"resource":{`)
		w.attrs(rs.Resource().Attributes(), true)
		w.raw(`},"scopeSpans":[`)
		for j := 0; j < rs.ScopeSpans().Len(); j++ {
			ss := rs.ScopeSpans().At(j)
			w.sep(j)
			w.raw(`{"scope":{`)
			first := true
			w.optStr(&first, "name", ss.Scope().Name())
			w.optStr(&first, "version", ss.Scope().Version())
			w.raw(`},"spans":[`)
			for k := 0; k < ss.Spans().Len(); k++ {
				w.sep(k)
				w.span(ss.Spans().At(k))
			}
			w.raw(`]}`)
		}
		w.raw(`]}`)
	}
	if v2 {
		w.raw(`]},"metrics":{"inspectedBytes":"1048576"}}`)
	} else {
		w.raw(`]}`)
	}
	return w.b.Bytes()
}

type jw struct{ b bytes.Buffer }

func (w *jw) raw(s string) { w.b.WriteString(s) }

func (w *jw) sep(i int) {
	if i > 0 {
		w.b.WriteByte(',')
	}
}

func (w *jw) str(s string) {
	b, _ := json.Marshal(s)
	w.b.Write(b)
}

func (w *jw) key(first *bool, k string) {
	if !*first {
		w.b.WriteByte(',')
	}
	*first = false
	w.b.WriteString(`"` + k + `":`)
}

func (w *jw) optStr(first *bool, k, v string) {
	if v != "" {
		w.key(first, k)
		w.str(v)
	}
}

func (w *jw) optInt(first *bool, k string, v uint64) {
	if v != 0 {
		w.key(first, k)
		w.b.WriteString(`"` + strconv.FormatUint(v, 10) + `"`)
	}
}

func (w *jw) id(first *bool, k string, b []byte) {
	if !bytes.Equal(b, make([]byte, len(b))) {
		w.key(first, k)
		w.b.WriteString(`"` + base64.StdEncoding.EncodeToString(b) + `"`)
	}
}

// attrs writes "attributes":[…] when there are any; first says whether
// it opens its object.
func (w *jw) attrs(m pcommon.Map, first bool) {
	if m.Len() == 0 {
		return
	}
	w.key(&first, "attributes")
	w.kvs(m)
}

func (w *jw) kvs(m pcommon.Map) {
	w.b.WriteByte('[')
	i := 0
	for k, v := range m.All() {
		w.sep(i)
		i++
		w.raw(`{"key":`)
		w.str(k)
		w.raw(`,"value":`)
		w.value(v)
		w.b.WriteByte('}')
	}
	w.b.WriteByte(']')
}

func (w *jw) value(v pcommon.Value) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		w.raw(`{"stringValue":`)
		w.str(v.Str())
	case pcommon.ValueTypeBool:
		w.raw(`{"boolValue":` + strconv.FormatBool(v.Bool()))
	case pcommon.ValueTypeInt:
		w.raw(`{"intValue":"` + strconv.FormatInt(v.Int(), 10) + `"`)
	case pcommon.ValueTypeDouble:
		w.raw(`{"doubleValue":` + strconv.FormatFloat(v.Double(), 'g', -1, 64))
	case pcommon.ValueTypeBytes:
		w.raw(`{"bytesValue":"` + base64.StdEncoding.EncodeToString(v.Bytes().AsRaw()) + `"`)
	case pcommon.ValueTypeSlice:
		w.raw(`{"arrayValue":{"values":[`)
		for i := 0; i < v.Slice().Len(); i++ {
			w.sep(i)
			w.value(v.Slice().At(i))
		}
		w.raw(`]}`)
	case pcommon.ValueTypeMap:
		w.raw(`{"kvlistValue":{"values":`)
		w.kvs(v.Map())
		w.b.WriteByte('}')
	default:
		w.b.WriteByte('{')
	}
	w.b.WriteByte('}')
}

func (w *jw) span(s ptrace.Span) {
	w.b.WriteByte('{')
	first := true
	tid, sid, pid := s.TraceID(), s.SpanID(), s.ParentSpanID()
	w.id(&first, "traceId", tid[:])
	w.id(&first, "spanId", sid[:])
	w.optStr(&first, "traceState", s.TraceState().AsRaw())
	w.id(&first, "parentSpanId", pid[:])
	w.optStr(&first, "name", s.Name())
	if s.Kind() != ptrace.SpanKindUnspecified {
		w.key(&first, "kind")
		w.raw(`"SPAN_KIND_` + upper(s.Kind().String()) + `"`)
	}
	w.optInt(&first, "startTimeUnixNano", uint64(s.StartTimestamp()))
	w.optInt(&first, "endTimeUnixNano", uint64(s.EndTimestamp()))
	w.attrs(s.Attributes(), first)
	first = first && s.Attributes().Len() == 0
	if s.Events().Len() > 0 {
		w.key(&first, "events")
		w.b.WriteByte('[')
		for i := 0; i < s.Events().Len(); i++ {
			ev := s.Events().At(i)
			w.sep(i)
			w.b.WriteByte('{')
			f := true
			w.optInt(&f, "timeUnixNano", uint64(ev.Timestamp()))
			w.optStr(&f, "name", ev.Name())
			w.attrs(ev.Attributes(), f)
			w.b.WriteByte('}')
		}
		w.b.WriteByte(']')
	}
	if s.Links().Len() > 0 {
		w.key(&first, "links")
		w.b.WriteByte('[')
		for i := 0; i < s.Links().Len(); i++ {
			l := s.Links().At(i)
			w.sep(i)
			w.b.WriteByte('{')
			f := true
			ltid, lsid := l.TraceID(), l.SpanID()
			w.id(&f, "traceId", ltid[:])
			w.id(&f, "spanId", lsid[:])
			w.attrs(l.Attributes(), f)
			w.b.WriteByte('}')
		}
		w.b.WriteByte(']')
	}
	w.key(&first, "status")
	w.b.WriteByte('{')
	f := true
	w.optStr(&f, "message", s.Status().Message())
	if s.Status().Code() != ptrace.StatusCodeUnset {
		w.key(&f, "code")
		w.raw(`"STATUS_CODE_` + upper(s.Status().Code().String()) + `"`)
	}
	w.raw(`}}`)
}

func upper(s string) string { return string(bytes.ToUpper([]byte(s))) }
