// Package sourcestest injects faults into source clients: a table of broken
// servers (refused, slow, 4xx/5xx with bodies, HTML pages, truncated JSON,
// bodies over the cap) and the Kind each must map to. Every client's tests
// run the same table.
package sourcestest

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/triagectl/triage/sources"
)

// Fault is one broken-server behaviour and what a client must make of it.
type Fault struct {
	Name        string
	Status      int
	ContentType string
	Body        string
	Delay       time.Duration // the handler stalls this long before answering
	Refused     bool          // no server at all: the port is closed
	WantKind    sources.Kind
	WantMsg     string // a substring the error message must keep
	// Truncated marks a 200 whose JSON body is cut short.
	Truncated bool
	// OverCap marks a 200 whose body is larger than the client's cap.
	OverCap bool
	// ShortBody marks a 200 that declares a Content-Length larger than
	// the body it sends before closing the connection.
	ShortBody bool
	// Headers are set in the client's config (sources.<name>.headers).
	Headers map[string]string
}

// CapBytes is the body cap clients should be configured with when running
// the table, so that the over-cap case stays small.
const CapBytes = 1 << 10

// Timeout is the client timeout to configure when running the table.
const Timeout = 300 * time.Millisecond

// Faults returns the standard table. okBody is a valid 2xx body for the call
// under test; the truncated case cuts it in half.
func Faults(okBody string) []Fault {
	half := okBody[:len(okBody)/2]
	return []Fault{
		{Name: "connection refused", Refused: true, WantKind: sources.KindUnreachable, WantMsg: "connection refused"},
		{Name: "timeout", Delay: 3 * Timeout, Status: 200, Body: okBody, WantKind: sources.KindTimeout, WantMsg: "deadline exceeded"},
		{Name: "400 with body", Status: 400, ContentType: "text/plain; charset=utf-8", Body: "parse error at line 1, col 7: syntax error: unexpected }", WantKind: sources.KindBadRequest, WantMsg: "parse error at line 1"},
		{Name: "401", Status: 401, ContentType: "text/plain", Body: "no org id", WantKind: sources.KindAuth, WantMsg: "no org id"},
		{Name: "403", Status: 403, ContentType: "text/plain", Body: "forbidden: tenant team-b", WantKind: sources.KindAuth, WantMsg: "tenant team-b"},
		{Name: "404", Status: 404, ContentType: "text/plain", Body: "404 page not found", WantKind: sources.KindNotFound, WantMsg: "page not found"},
		{Name: "429", Status: 429, ContentType: "text/plain", Body: "too many outstanding requests", WantKind: sources.KindRateLimited, WantMsg: "too many outstanding requests"},
		{Name: "500", Status: 500, ContentType: "text/plain", Body: "internal: ingester crashed", WantKind: sources.KindServer, WantMsg: "ingester crashed"},
		{Name: "503", Status: 503, ContentType: "text/plain", Body: "Service Unavailable: not ready", WantKind: sources.KindServer, WantMsg: "not ready"},
		{Name: "html error page", Status: 502, ContentType: "text/html", Body: "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>", WantKind: sources.KindServer, WantMsg: "502 Bad Gateway"},
		{Name: "html on 200", Status: 200, ContentType: "text/html", Body: "<html><head><title>Sign in - SSO</title></head><body>login</body></html>", WantKind: sources.KindDecode, WantMsg: "Sign in - SSO"},
		{Name: "truncated json", Status: 200, ContentType: "application/json", Body: half, Truncated: true, WantKind: sources.KindDecode},
		{Name: "body over cap", Status: 200, ContentType: "application/json", Body: okBody + strings.Repeat(" ", 2*CapBytes), OverCap: true, WantKind: sources.KindTooLarge, WantMsg: "cap"},
		{Name: "body shorter than its content-length", Status: 200, ContentType: "application/json", Body: half, ShortBody: true,
			WantKind: sources.KindDecode, WantMsg: fmt.Sprintf("truncated response: got %d of %d bytes", len(half), 2*len(half))},
		{Name: "line break in a configured header", Status: 200, ContentType: "application/json", Body: okBody,
			Headers: map[string]string{"X-Scope-OrgID": "team-a\r\nX-Injected: 1"}, WantKind: sources.KindConfig, WantMsg: "X-Scope-OrgID"},
	}
}

// Serve starts a loopback server that answers every request with f and
// returns a config pointing at it, with the table's timeout and cap and no
// retry backoff to speak of. A refused fault gets the URL of a closed port.
func Serve(t testing.TB, f Fault) sources.Config {
	t.Helper()
	zero := 1
	cfg := sources.Config{Timeout: Timeout, MaxBodyBytes: CapBytes, Retries: &zero, RetryBackoff: time.Millisecond,
		Headers: f.Headers}
	if f.Refused {
		cfg.URL = "http://" + ClosedAddr(t)
		return cfg
	}
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if f.ShortBody {
			shortBody(t, w, f)
			return
		}
		if f.Delay > 0 {
			select {
			case <-time.After(f.Delay):
			case <-r.Context().Done():
				return
			}
		}
		if f.ContentType != "" {
			w.Header().Set("Content-Type", f.ContentType)
		}
		w.WriteHeader(f.Status)
		_, _ = w.Write([]byte(f.Body))
	}))
	t.Cleanup(srv.Close)
	if f.Headers != nil {
		// A header HTTP cannot carry is a config error: no request leaves.
		t.Cleanup(func() {
			if n := hits.Load(); n != 0 {
				t.Errorf("%s: %d requests reached the server", f.Name, n)
			}
		})
	}
	cfg.URL = srv.URL
	return cfg
}

// shortBody answers with a Content-Length twice the body's, sends the
// body and closes the connection, as a server or proxy that dies mid-answer
// does.
func shortBody(t testing.TB, w http.ResponseWriter, f Fault) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	defer conn.Close()
	fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s",
		f.Status, http.StatusText(f.Status), f.ContentType, 2*len(f.Body), f.Body)
	_ = buf.Flush()
}

// ClosedAddr returns a loopback address on which nothing listens.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// Check asserts that err is an *sources.Error of the fault's Kind that
// keeps the server's message and status.
func Check(t testing.TB, f Fault, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: want a %s error, got nil", f.Name, f.WantKind)
	}
	se, ok := sources.AsError(err)
	if !ok {
		t.Fatalf("%s: want *sources.Error, got %T: %v", f.Name, err, err)
	}
	if se.Kind != f.WantKind {
		t.Fatalf("%s: kind = %s, want %s (err: %v)", f.Name, se.Kind, f.WantKind, err)
	}
	if f.WantMsg != "" && !strings.Contains(se.Error(), f.WantMsg) {
		t.Fatalf("%s: message %q does not keep %q", f.Name, se.Error(), f.WantMsg)
	}
	if f.Status >= 400 && se.Status != f.Status {
		t.Fatalf("%s: status = %d, want %d", f.Name, se.Status, f.Status)
	}
	if f.Status >= 400 && f.Body != "" && se.Body == "" {
		t.Fatalf("%s: server body dropped", f.Name)
	}
}

// Fixture reads a file from the calling package's testdata folder.
func Fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
