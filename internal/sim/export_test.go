package sim

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// otlpSink decodes every OTLP/HTTP request it receives.
type otlpSink struct {
	mu       sync.Mutex
	requests int
	got      ptrace.Traces
	status   int
}

func (s *otlpSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if s.status != 0 {
		_, _ = io.Copy(io.Discard, r.Body)
		http.Error(w, "rejected by test", s.status)
		return
	}
	if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "unexpected "+r.URL.Path+" "+r.Header.Get("Content-Type"), http.StatusBadRequest)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	raw, _ := io.ReadAll(body)
	// An OTLP export request carries its resource spans as field 1, like
	// TracesData, so the pdata protobuf decoder reads it as is.
	td, err := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(raw)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	td.ResourceSpans().MoveAndAppendTo(s.got.ResourceSpans())
	// An empty export response: every span accepted.
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
}

func TestSendTracesDeliversEverySpan(t *testing.T) {
	inc := mustGenerate(t, DefaultScenario())
	sink := &otlpSink{got: ptrace.NewTraces()}
	srv := httptest.NewServer(sink)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := inc.SendTraces(ctx, srv.URL); err != nil {
		t.Fatalf("SendTraces: %v", err)
	}
	want, got := viewOf(inc.PTraces()), viewOf(sink.got)
	if len(got.spans) != len(want.spans) || len(got.traces) != len(want.traces) {
		t.Fatalf("received %d spans in %d traces, generated %d in %d", len(got.spans), len(got.traces), len(want.spans), len(want.traces))
	}
	if min := len(want.traces) / exportBatch; sink.requests < min {
		t.Errorf("%d requests, want batches of %d traces", sink.requests, exportBatch)
	}
	for id, w := range want.spans {
		g, ok := got.spans[id]
		if !ok {
			t.Fatalf("span %s not received", id)
		}
		if g.TraceID() != w.TraceID() || g.ParentSpanID() != w.ParentSpanID() || g.Name() != w.Name() || g.Kind() != w.Kind() ||
			g.StartTimestamp() != w.StartTimestamp() || g.EndTimestamp() != w.EndTimestamp() ||
			g.Status().Code() != w.Status().Code() || g.Status().Message() != w.Status().Message() ||
			g.Flags() != w.Flags() || g.Events().Len() != w.Events().Len() || g.Links().Len() != w.Links().Len() ||
			!g.Attributes().Equal(w.Attributes()) || !g.res.Equal(w.res) {
			t.Fatalf("span %s differs after export:\ngot  %s %q %v\nwant %s %q %v", id, g.svc(), g.Name(), g.Attributes().AsRaw(), w.svc(), w.Name(), w.Attributes().AsRaw())
		}
		if g.Links().Len() == 1 && (g.Links().At(0).SpanID() != w.Links().At(0).SpanID() || g.Links().At(0).TraceID() != w.Links().At(0).TraceID()) {
			t.Fatalf("span %s link changed", id)
		}
	}
}

func TestSendTracesReportsRejection(t *testing.T) {
	inc := mustGenerate(t, DefaultScenario())
	sink := &otlpSink{got: ptrace.NewTraces(), status: http.StatusBadRequest}
	srv := httptest.NewServer(sink)
	defer srv.Close()
	err := inc.SendTraces(context.Background(), srv.URL)
	if err == nil || !strings.Contains(err.Error(), "400") {
		t.Fatalf("got %v, want the 400", err)
	}
	if sink.requests != 1 {
		t.Errorf("%d requests after a rejection, want 1", sink.requests)
	}
	if err := inc.SendTraces(context.Background(), "127.0.0.1:4318"); err == nil {
		t.Error("an endpoint without scheme must be refused")
	}
}

// lokiSink decodes Loki push requests.
type lokiSink struct {
	mu      sync.Mutex
	bodies  []int
	streams []pushStreamJSON
	replies []int // statuses to answer with before accepting
}

type pushStreamJSON struct {
	Stream map[string]string   `json:"stream"`
	Values [][]json.RawMessage `json:"values"`
}

func (s *lokiSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	raw, _ := io.ReadAll(r.Body)
	if len(s.replies) > 0 {
		code := s.replies[0]
		s.replies = s.replies[1:]
		http.Error(w, "ingestion rate limit exceeded", code)
		return
	}
	if r.URL.Path != "/loki/api/v1/push" || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "unexpected request", http.StatusBadRequest)
		return
	}
	s.bodies = append(s.bodies, len(raw))
	var req struct {
		Streams []pushStreamJSON `json:"streams"`
	}
	if err := json.Unmarshal(raw, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.streams = append(s.streams, req.Streams...)
	w.WriteHeader(http.StatusNoContent)
}

func TestPushLogsWithStructuredMetadata(t *testing.T) {
	inc := mustGenerate(t, DefaultScenario())
	gt := inc.Truth()
	sink := &lokiSink{}
	srv := httptest.NewServer(sink)
	defer srv.Close()
	if err := inc.PushLogs(context.Background(), srv.URL); err != nil {
		t.Fatalf("PushLogs: %v", err)
	}
	if len(sink.bodies) < 2 {
		t.Errorf("%d push requests for %d lines; want batches", len(sink.bodies), gt.LogLines)
	}
	for _, n := range sink.bodies {
		if n > 1<<20 {
			t.Errorf("push body of %d bytes exceeds 1 MiB", n)
		}
	}
	hex32, hex16 := regexp.MustCompile(`^[0-9a-f]{32}$`), regexp.MustCompile(`^[0-9a-f]{16}$`)
	lines, withMeta := 0, 0
	services := map[string]bool{}
	for _, st := range sink.streams {
		if len(st.Stream) != 2 || st.Stream["env"] != "sim" || st.Stream["service_name"] == "" {
			t.Fatalf("stream labels %v, want {service_name, env=\"sim\"}", st.Stream)
		}
		services[st.Stream["service_name"]] = true
		for _, v := range st.Values {
			lines++
			var ts, line string
			if len(v) < 2 || json.Unmarshal(v[0], &ts) != nil || json.Unmarshal(v[1], &line) != nil || !strings.HasPrefix(line, "level=") {
				t.Fatalf("bad entry %s", v)
			}
			if len(v) == 3 {
				var md map[string]string
				if err := json.Unmarshal(v[2], &md); err != nil || !hex32.MatchString(md["trace_id"]) || !hex16.MatchString(md["span_id"]) {
					t.Fatalf("bad structured metadata %s", v[2])
				}
				withMeta++
			}
		}
	}
	if base := len(inc.BaselineLogs()); lines != gt.LogLines+base {
		t.Errorf("pushed %d lines, truth has %d and the baseline %d", lines, gt.LogLines, base)
	}
	if withMeta < gt.LogLines*9/10 {
		t.Errorf("only %d of %d lines carry trace_id", withMeta, lines)
	}
	if len(services) != len(gt.Services) {
		t.Errorf("logs from %d services, %d instrumented", len(services), len(gt.Services))
	}
}

func TestPushLogsRetriesRateLimits(t *testing.T) {
	sc := DefaultScenario()
	sc.Window, sc.IncidentAfter = time.Minute, 20*time.Second
	inc := mustGenerate(t, sc)
	inc.retryBase = time.Millisecond
	tests := []struct {
		name    string
		replies []int
		wantErr string
	}{
		{"rate limited once", []int{http.StatusTooManyRequests}, ""},
		{"bad request is final", []int{http.StatusBadRequest}, "400"},
		{"server errors exhaust the retries", []int{500, 502, 503, 504}, "504"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sink := &lokiSink{replies: tc.replies}
			srv := httptest.NewServer(sink)
			defer srv.Close()
			err := inc.PushLogs(context.Background(), srv.URL+"/")
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("got %v, want %q", err, tc.wantErr)
			}
		})
	}
	if err := inc.PushLogs(context.Background(), "loki:3100"); err == nil {
		t.Error("a URL without scheme must be refused")
	}
}
