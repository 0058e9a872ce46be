package sources_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/triagectl/triage/sources"
)

// A chunked answer cut off mid-body is a truncated answer from a reachable
// server, not an unreachable one, and says how much arrived.
func TestChunkedBodyCutShort(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		fmt.Fprint(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{\"status\":\"succe\r\n")
		_ = buf.Flush()
	}))
	defer srv.Close()
	c, err := sources.NewClient("loki", sources.Config{URL: srv.URL, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Do(context.Background(), sources.Request{Op: "query_range", Path: "/x"})
	se, ok := sources.AsError(err)
	if !ok || se.Kind != sources.KindDecode || se.Status != 200 ||
		!strings.Contains(se.Msg, "truncated response: got 16 bytes, then unexpected EOF") {
		t.Fatalf("err = %v", err)
	}
}

// A header HTTP cannot carry fails before anything is sent, once, with a
// kind that names the config.
func TestInvalidHeaderIsAConfigError(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	for _, h := range []map[string]string{{"X-Scope-OrgID": "a\nb"}, {"X Scope": "a"}} {
		c, err := sources.NewClient("loki", sources.Config{URL: srv.URL, Headers: h})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Do(context.Background(), sources.Request{Op: "ready", Path: "/ready"})
		if sources.KindOf(err) != sources.KindConfig || sources.KindConfig.Retryable() {
			t.Fatalf("%v: err = %v", h, err)
		}
		for name := range h {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("%v: error %q does not name the header", h, err)
			}
		}
	}
	if hits.Load() != 0 {
		t.Fatalf("%d requests sent", hits.Load())
	}
}
