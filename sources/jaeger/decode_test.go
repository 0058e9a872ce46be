package jaeger

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/triagectl/triage/sources"
)

// resultChunks cuts the recorded search body into one {"result":…} object
// per resource, as the grpc-gateway of Jaeger v1's api/v3 streamed them.
func resultChunks(t testing.TB, name string) [][]byte {
	t.Helper()
	var w struct {
		Result struct{ ResourceSpans []json.RawMessage }
	}
	if err := json.Unmarshal(fixture(t, name), &w); err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, rs := range w.Result.ResourceSpans {
		out = append(out, []byte(`{"result":{"resourceSpans":[`+string(rs)+`]}}`))
	}
	return out
}

func spansOf(td ptrace.Traces) []string { return spanList(td) }

func TestDecodeEnvelopes(t *testing.T) {
	whole, err := DecodeTraces(fixture(t, "search_v3.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := spansOf(whole)
	chunks := resultChunks(t, "search_v3.json")
	var bare struct{ Result json.RawMessage }
	_ = json.Unmarshal(fixture(t, "search_v3.json"), &bare)
	for _, tc := range []struct {
		name string
		body []byte
	}{
		{"chunks back to back", bytes.Join(chunks, nil)},
		{"chunks on lines", append(bytes.Join(chunks, []byte("\n")), '\n')},
		{"bare TracesData", bare.Result},
		{"base64 ids", base64IDs(t, fixture(t, "search_v3.json"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			td, err := DecodeTraces(tc.body)
			if err != nil {
				t.Fatal(err)
			}
			if got := spansOf(td); !slices.Equal(got, want) {
				t.Errorf("%d spans differ from the recording's %d", len(got), len(want))
			}
		})
	}
}

// base64IDs rewrites a body's ids as gogo jsonpb writes bytes, and its
// enums by name, as Jaeger v1's grpc-gateway answered.
func base64IDs(t testing.TB, body []byte) []byte {
	t.Helper()
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && idSize(k) > 0 && s != "" {
					b, err := hex.DecodeString(s)
					if err != nil {
						t.Fatal(err)
					}
					x[k] = base64.StdEncoding.EncodeToString(b)
					continue
				}
				if k == "kind" {
					if n, ok := e.(float64); ok {
						x[k] = "SPAN_KIND_" + strings.ToUpper(ptrace.SpanKind(int32(n)).String())
					}
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(doc)
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDecodeRejects(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"empty", "", "empty body"},
		{"spaces", " \n", "empty body"},
		{"array", `[]`, "expected an object"},
		{"cut short", `{"result":{"resourceSpans":[`, "unexpected end"},
		{"result not object", `{"result":[1]}`, "result is not an object"},
		{"garbage after", `{"result":{}}x`, "expected an object"},
		{"bad id", `{"result":{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz","spanId":"0102030405060708"}]}]}]}}`, "result"},
	} {
		if _, err := DecodeTraces([]byte(tc.body)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	for _, ok := range []string{`{}`, `{"result":null}`, `{"result":{}}`, `{"result":{"resourceSpans":[]}}{"result":{}}`} {
		td, err := DecodeTraces([]byte(ok))
		if err != nil || td.SpanCount() != 0 {
			t.Errorf("%s: %d spans, %v", ok, td.SpanCount(), err)
		}
	}
}

// The older gateway streams an error object inside a 200 when a search
// fails midway: the call fails with that error's kind and message, never
// with the traces before it as if they were all.
func TestErrorInsideA200(t *testing.T) {
	chunks := resultChunks(t, "search_v3.json")
	for _, tc := range []struct {
		errObj string
		kind   sources.Kind
		msg    string
	}{
		{`{"error":{"grpcCode":4,"httpCode":504,"message":"context deadline exceeded","httpStatus":"Gateway Timeout"}}`, sources.KindTimeout, "context deadline exceeded"},
		{`{"error":{"grpcCode":13,"httpCode":500,"message":"storage broke"}}`, sources.KindServer, "storage broke"},
		{`{"error":{}}`, sources.KindServer, "error without a message"},
	} {
		body := string(chunks[0]) + "\n" + tc.errObj + "\n"
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(body)) }))
		c, err := New(sources.Config{URL: srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Trace(context.Background(), "01")
		se, ok := sources.AsError(err)
		if !ok || se.Kind != tc.kind || se.Status != 200 || se.Msg != tc.msg {
			t.Errorf("%s: %#v", tc.errObj, err)
		}
		now := time.Now()
		if _, err := c.Search(context.Background(), Query{Service: "a", Start: now, End: now}); sources.KindOf(err) != tc.kind {
			t.Errorf("search: %v", err)
		}
		srv.Close()
	}
}

func TestSplitMixedResource(t *testing.T) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "a")
	for i, id := range []byte{1, 2, 1} {
		ss := rs.ScopeSpans().AppendEmpty()
		ss.Scope().SetName("scope")
		sp := ss.Spans().AppendEmpty()
		sp.SetTraceID([16]byte{15: id})
		sp.SetSpanID([8]byte{7: byte(i + 1)})
	}
	ts := splitTraces(td)
	if len(ts) != 2 || ts[0].SpanCount() != 2 || ts[1].SpanCount() != 1 || ts[0].ID != "00000000000000000000000000000001" {
		t.Fatalf("split into %d", len(ts))
	}
	for _, tr := range ts {
		rs := tr.Traces.ResourceSpans()
		if rs.Len() != 1 || rs.At(0).Resource().Attributes().Len() != 1 {
			t.Errorf("trace %s: resources not kept", tr.ID)
		}
	}
	s := summarize(ts[0])
	if s.RootServiceName != "a" || s.SpanCount != 2 {
		t.Errorf("summary %+v", s)
	}
	if s := summarize(&Trace{Traces: ptrace.NewTraces()}); s.RootServiceName != RootNotReceived || s.HasRoot() {
		t.Errorf("empty trace summary %+v", s)
	}
}

func TestNormalizeTraceID(t *testing.T) {
	for in, want := range map[string]string{
		"AB": "000000000000000000000000000000ab", "\t0badc0ffee0000000000000000000001\n": "0badc0ffee0000000000000000000001",
		"000" + strings.Repeat("1", 32): strings.Repeat("1", 32),
	} {
		if got, err := NormalizeTraceID(in); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "0x12", strings.Repeat("1", 33), "0000"} {
		if _, err := NormalizeTraceID(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
