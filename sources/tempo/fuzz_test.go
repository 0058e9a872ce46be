package tempo

import (
	"encoding/json"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/protobuf/encoding/protowire"
)

// The seeds are the recordings cut into one trace or one resource each:
// the fuzzer minimises every input that finds new coverage, and doing that
// to a 40 KB body takes longer than a whole fuzzing run.

func FuzzDecodeTraceProto(f *testing.F) {
	f.Add(fixture(f, "trace_notfound_v1.txt"))
	for _, name := range []string{"trace_error_v1.pb", "trace_ok_v1.pb"} {
		body := fixture(f, name)
		for len(body) > 0 {
			_, _, n := protowire.ConsumeField(body)
			if n < 0 {
				f.Fatalf("%s: %v", name, protowire.ParseError(n))
			}
			f.Add(body[:n])
			body = body[n:]
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		tr, err := DecodeTraceProto(body)
		if err != nil {
			return
		}
		_ = flatten(tr.Traces)
		if _, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(tr.Traces); err != nil {
			t.Fatalf("decoded trace does not re-encode: %v", err)
		}
	})
}

func FuzzDecodeTraceJSON(f *testing.F) {
	f.Add(fixture(f, "trace_notfound_v2.json"))
	for _, name := range []string{"trace_error_v1.json", "trace_ok_v1.json"} {
		var v1 struct{ Batches []json.RawMessage }
		if err := json.Unmarshal(fixture(f, name), &v1); err != nil {
			f.Fatal(err)
		}
		for _, rs := range v1.Batches {
			f.Add([]byte(`{"batches":[` + string(rs) + `]}`))
		}
	}
	var v2 struct {
		Trace   struct{ ResourceSpans []json.RawMessage }
		Metrics json.RawMessage
	}
	if err := json.Unmarshal(fixture(f, "trace_error_v2.json"), &v2); err != nil {
		f.Fatal(err)
	}
	for _, rs := range v2.Trace.ResourceSpans {
		f.Add([]byte(`{"trace":{"resourceSpans":[` + string(rs) + `]},"metrics":` + string(v2.Metrics) + `}`))
	}
	f.Add([]byte(smallTraceV1))
	f.Add([]byte(smallTraceV2))
	f.Add([]byte(`{"resourceSpans":["spanId":"0"0`)) // once sliced out of range
	f.Add([]byte(`{"trace":{"resourceSpans":[]},"status":"PARTIAL","message":"Trace exceeds maximum size"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		tr, err := DecodeTraceJSON(body)
		if err != nil {
			return
		}
		spans := flatten(tr.Traces)
		// What was accepted survives a round trip through OTLP/JSON, whose
		// hex ids the decoder reads as well.
		otlp, err := (&ptrace.JSONMarshaler{}).MarshalTraces(tr.Traces)
		if err != nil {
			t.Fatalf("decoded trace does not encode: %v", err)
		}
		again, err := DecodeTraceJSON(otlp)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", otlp, err)
		}
		if again.SpanCount() != tr.SpanCount() || len(flatten(again.Traces)) != len(spans) {
			t.Fatalf("round trip changed the span count")
		}
	})
}

func FuzzDecodeSearch(f *testing.F) {
	for _, name := range []string{"search_orders_errors.json", "search_structural.json", "search_healthy_recent.json", "search_slow.json"} {
		var w struct {
			Traces  []json.RawMessage
			Metrics json.RawMessage
		}
		if err := json.Unmarshal(fixture(f, name), &w); err != nil {
			f.Fatal(err)
		}
		for _, tr := range w.Traces[:5] {
			f.Add([]byte(`{"traces":[` + string(tr) + `],"metrics":` + string(w.Metrics) + `}`))
		}
	}
	f.Add([]byte(smallSearch))
	f.Fuzz(func(t *testing.T, body []byte) {
		if res, err := DecodeSearch(body); err == nil {
			useSearch(t, res)
		}
	})
}

func FuzzDecodeMetrics(f *testing.F) {
	for _, name := range []string{"metrics_error_rate_by_service.json", "metrics_p99_by_service.json"} {
		var w struct {
			Series  []json.RawMessage
			Metrics json.RawMessage
		}
		if err := json.Unmarshal(fixture(f, name), &w); err != nil {
			f.Fatal(err)
		}
		for _, s := range w.Series[:4] {
			f.Add([]byte(`{"series":[` + string(s) + `],"metrics":` + string(w.Metrics) + `}`))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := DecodeMetrics(body)
		if err != nil {
			return
		}
		for _, s := range res.Series {
			_ = s.Label("resource.service.name")
		}
	})
}

func FuzzDecodeSearchProto(f *testing.F) {
	f.Add(fixture(f, "search_select.pb"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, body []byte) {
		if res, err := DecodeSearchProto(body); err == nil {
			useSearch(t, res)
		}
	})
}

// useSearch reads every part of a decoded search, as the client's callers
// do, and encodes it again: neither may panic or fail.
func useSearch(t *testing.T, res *SearchResult) {
	for _, tr := range res.Traces {
		_ = tr.ErrorCount()
		for _, ss := range tr.SpanSets {
			for _, sp := range ss.Spans {
				for _, a := range sp.Attributes {
					_ = a.String()
				}
			}
		}
	}
	if _, err := json.Marshal(res); err != nil {
		t.Fatalf("decoded result does not encode: %v", err)
	}
}
