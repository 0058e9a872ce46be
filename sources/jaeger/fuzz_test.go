package jaeger

import (
	"encoding/json"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// The seeds are the recordings cut into one resource or one trace each:
// the fuzzer minimises every input that finds new coverage, and doing that
// to a 40 KB body takes longer than a whole fuzzing run.

func FuzzDecodeTraces(f *testing.F) {
	for _, name := range []string{"trace_failing.json", "search_v3.json"} {
		for _, c := range resultChunks(f, name) {
			f.Add(c)
		}
	}
	chunks := resultChunks(f, "trace_failing.json")
	f.Add(append(append(chunks[0], '\n'), chunks[1]...))
	f.Add(base64IDs(f, chunks[0]))
	f.Add(fixture(f, "trace_notfound.json"))
	f.Add([]byte(smallTrace))
	f.Add([]byte(`{"result":{"resourceSpans":[]}}{"error":{"httpCode":500,"message":"x"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		td, err := DecodeTraces(body)
		if err != nil {
			return
		}
		n := td.SpanCount()
		// What was accepted survives a round trip through the envelope.
		otlp, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
		if err != nil {
			t.Fatalf("decoded traces do not encode: %v", err)
		}
		again, err := DecodeTraces(append(append([]byte(`{"result":`), otlp...), '}'))
		if err != nil || again.SpanCount() != n {
			t.Fatalf("re-decoding %s: %d spans, %v", otlp, again.SpanCount(), err)
		}
		traces := splitTraces(td) // takes td apart
		total := 0
		for _, tr := range traces {
			s := summarize(tr)
			if s.SpanCount != tr.SpanCount() || len(s.TraceID) != 32 {
				t.Fatalf("summary %+v of a %d-span trace", s, tr.SpanCount())
			}
			total += s.SpanCount
			_ = Query{Service: s.RootServiceName, Errors: true, Start: s.Start, End: s.Start.Add(s.Duration)}.matchesOTLP(tr.Traces)
		}
		if total != n {
			t.Fatalf("split %d spans into traces of %d", n, total)
		}
	})
}

func FuzzDecodeUISearch(f *testing.F) {
	var w struct {
		Data []struct {
			TraceID   string            `json:"traceID"`
			Spans     []json.RawMessage `json:"spans"`
			Processes json.RawMessage   `json:"processes"`
		}
	}
	if err := json.Unmarshal(fixture(f, "search_ui_user.json"), &w); err != nil {
		f.Fatal(err)
	}
	for _, tr := range w.Data {
		for i := 0; i < len(tr.Spans); i += 4 {
			spans, _ := json.Marshal(tr.Spans[i:min(i+4, len(tr.Spans))])
			f.Add([]byte(`{"data":[{"traceID":"` + tr.TraceID + `","spans":` + string(spans) + `,"processes":` + string(tr.Processes) + `}]}`))
		}
	}
	f.Add([]byte(smallUISearch))
	f.Add(fixture(f, "search_ui_error_tag.json"))
	f.Add(fixture(f, "search_ui_no_service.json"))
	f.Fuzz(func(t *testing.T, body []byte) {
		sums, err := DecodeUISearch(body)
		if err != nil {
			return
		}
		for _, s := range sums {
			if s.Duration < 0 || s.SpanCount < 0 {
				t.Fatalf("summary %+v", s)
			}
		}
		res, _ := decodeUISearch(body)
		for i := range res.Data {
			tr := &res.Data[i]
			q := Query{Service: "storefront", Errors: true, Attributes: map[string]string{"enduser.id": "u-1"},
				Start: time.Unix(0, 0), End: time.Now()}
			_ = q.matchesUITrace(tr)
			// The model turned into OTLP keeps every span and encodes.
			td := tr.toOTLP()
			if td.SpanCount() != len(tr.Spans) {
				t.Fatalf("%d spans in OTLP, %d in the model", td.SpanCount(), len(tr.Spans))
			}
			if _, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td); err != nil {
				t.Fatalf("OTLP of the model does not encode: %v", err)
			}
		}
		if _, err := json.Marshal(sums); err != nil {
			t.Fatalf("summaries do not encode: %v", err)
		}
	})
}

func FuzzDecodeListings(f *testing.F) {
	for _, name := range []string{"services.json", "operations_caller.json", "operations_unknown.json", "dependencies.json", "api_services.json"} {
		f.Add(fixture(f, name))
	}
	f.Add([]byte(`{"data":null,"errors":[{"code":500,"msg":"x"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		_, _ = DecodeServices(body)
		_, _ = DecodeOperations(body)
		_, _ = DecodeDependencies(body)
		_, _ = DecodeBuildInfo(body)
		_ = errorMessage(body)
	})
}
