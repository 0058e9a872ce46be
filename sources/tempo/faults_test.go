package tempo

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/sources/sourcestest"
)

// Small real answers, cut down from the recordings so that the fault
// table's truncated and over-cap cases fit its 1 KiB cap.
const (
	smallSearch        = `{"traces":[{"traceID":"3dfa4db9d4e3ef1902fbcfd6b2984408","rootServiceName":"web","rootTraceName":"POST /checkout","startTimeUnixNano":"1795566084298039552","durationMs":2039,"spanSets":[{"spans":[{"spanID":"88f4ce130964b79c","startTimeUnixNano":"1795566084312499468","durationNanos":"2018388363","attributes":[{"key":"service.name","value":{"stringValue":"orders"}},{"key":"status","value":{"stringValue":"error"}}]}],"matched":2}],"serviceStats":{"orders":{"spanCount":3,"errorCount":2}}}],"metrics":{"inspectedBytes":"277700","completedJobs":3,"totalJobs":3}}`
	smallResourceSpans = `[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"web"}}]},"scopeSpans":[{"scope":{"name":"acceptance/gen"},"spans":[{"traceId":"F1NO7HuCMRq3Go1c+fFvfA==","spanId":"M0H7+u8hr7o=","name":"POST /checkout","kind":"SPAN_KIND_SERVER","startTimeUnixNano":"1795566023164708112","endTimeUnixNano":"1795566023211042466","attributes":[{"key":"enduser.id","value":{"stringValue":"u-02120"}},{"key":"user.tier","value":{"stringValue":"free"}}],"status":{}}]}]}]`
	smallTraceV1       = `{"batches":` + smallResourceSpans + `}`
	smallTraceV2       = `{"trace":{"resourceSpans":` + smallResourceSpans + `},"metrics":{"inspectedBytes":"1234"}}`
)

func TestSmallBodiesDecode(t *testing.T) {
	if _, err := DecodeSearch([]byte(smallSearch)); err != nil {
		t.Error(err)
	}
	for _, b := range []string{smallTraceV1, smallTraceV2} {
		tr, err := DecodeTraceJSON([]byte(b))
		if err != nil || tr.SpanCount() != 1 || firstTraceID(tr) != okTraceID {
			t.Errorf("decode: %v", err)
		}
	}
}

func TestFaultsSearch(t *testing.T) {
	for _, f := range sourcestest.Faults(smallSearch) {
		t.Run(f.Name, func(t *testing.T) {
			c, err := New(sourcestest.Serve(t, f))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Search(context.Background(), SearchRequest{Query: "{ status = error }", Start: recStart, End: recEnd})
			sourcestest.Check(t, f, err)
		})
	}
}

func TestFaultsTrace(t *testing.T) {
	// A JSON body makes the truncated case a JSON decode failure; the
	// client asks for protobuf but reads JSON when a server answers it.
	for _, format := range []TraceFormat{TraceProtobuf, TraceJSON} {
		body := smallTraceV1
		if format == TraceJSON {
			body = smallTraceV2
		}
		for _, f := range sourcestest.Faults(body) {
			t.Run(format.String()+"/"+f.Name, func(t *testing.T) {
				c, err := NewWithOptions(sourcestest.Serve(t, f), Options{TraceFormat: format})
				if err != nil {
					t.Fatal(err)
				}
				_, err = c.Trace(context.Background(), okTraceID)
				sourcestest.Check(t, f, err)
			})
		}
	}
}

func TestFaultsTruncatedProtobuf(t *testing.T) {
	pb := fixture(t, "trace_ok_v1.pb")
	cfg := serveStatic(t, 200, "application/protobuf", string(pb[:len(pb)/2])).cfg
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Trace(context.Background(), okTraceID)
	if sources.KindOf(err) != sources.KindDecode {
		t.Fatalf("err = %v, want decode", err)
	}
}

func TestTraceTooLarge(t *testing.T) {
	const body = "trace exceeds max size (max bytes: 5000000)"
	tests := []struct {
		name, body string
		wantMsg    string
	}{
		{"with body", body, body},
		{"empty body", "", "trace exceeds max size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serveStatic(t, http.StatusUnprocessableEntity, "text/plain; charset=utf-8", tt.body)
			c, err := New(srv.cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Trace(context.Background(), okTraceID)
			se, ok := sources.AsError(err)
			if !ok || se.Kind != sources.KindTooLarge || se.Status != 422 || !strings.Contains(se.Msg, tt.wantMsg) || se.Body != tt.body {
				t.Fatalf("err = %#v", err)
			}
			if srv.calls() != 1 {
				t.Errorf("422 was retried: %d calls", srv.calls())
			}
		})
	}
}

// Tempo 3's lagging live-store fails the query rather than returning
// partial results; it is a server error, retried by the shared client.
func TestLiveStoreLagRetried(t *testing.T) {
	srv := serveStatic(t, 500, "text/plain; charset=utf-8",
		"error querying live-stores in Querier.SearchRecent: partition 0 is lagging behind")
	c, err := New(srv.cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Search(context.Background(), SearchRequest{Query: "{}"})
	se, ok := sources.AsError(err)
	if !ok || se.Kind != sources.KindServer || !se.Kind.Retryable() || !strings.Contains(se.Msg, "live-stores") {
		t.Fatalf("err = %v", err)
	}
	if srv.calls() != 2 {
		t.Errorf("calls = %d, want 2 (one retry)", srv.calls())
	}
}

type staticServer struct {
	cfg      sources.Config
	mu       sync.Mutex
	n        int
	lastPath string
}

func (s *staticServer) calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// serveStatic answers every request alike and counts them; one retry,
// no backoff to speak of.
func serveStatic(t *testing.T, status int, contentType, body string) *staticServer {
	t.Helper()
	s := &staticServer{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.n++
		s.lastPath = r.URL.Path
		s.mu.Unlock()
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	one := 1
	s.cfg = sources.Config{URL: srv.URL, Timeout: 2 * time.Second, Retries: &one, RetryBackoff: time.Millisecond}
	return s
}
