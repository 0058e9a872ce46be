package loki_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/sources/loki"
	"github.com/triagectl/triage/sources/sourcestest"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	return sourcestest.Fixture(t, name)
}

// recorder is a loopback Loki that answers every request with one canned
// response and keeps the requests it saw.
type recorder struct {
	mu     sync.Mutex
	reqs   []*http.Request
	bodies [][]byte
	status int
	ctype  string
	body   []byte
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.reqs = append(r.reqs, req.Clone(context.Background()))
	r.bodies = append(r.bodies, b)
	r.mu.Unlock()
	if r.ctype != "" {
		w.Header().Set("Content-Type", r.ctype)
	}
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body)
}

func (r *recorder) last(t *testing.T) *http.Request {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reqs) == 0 {
		t.Fatal("no request reached the server")
	}
	return r.reqs[len(r.reqs)-1]
}

func (r *recorder) lastBody() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.bodies) == 0 {
		return nil
	}
	return r.bodies[len(r.bodies)-1]
}

// newServer starts a loopback server for the test and returns its URL.
func newServer(t testing.TB, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// serve answers with a fixture file; "" answers with an empty 200.
func serve(t *testing.T, status int, ctype, file string) (*loki.Client, *recorder) {
	t.Helper()
	var body []byte
	if file != "" {
		body = fixture(t, file)
	}
	return serveBody(t, status, ctype, body, sources.Config{})
}

func serveBody(t *testing.T, status int, ctype string, body []byte, cfg sources.Config) (*loki.Client, *recorder) {
	t.Helper()
	rec := &recorder{status: status, ctype: ctype, body: body}
	cfg.URL = newServer(t, rec)
	zero := 0
	if cfg.Retries == nil {
		cfg.Retries = &zero
	}
	c, err := loki.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, rec
}

const jsonType = "application/json; charset=UTF-8"
const textType = "text/plain; charset=utf-8"

var (
	t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	t1 = t0.Add(15 * time.Minute)
)

func TestQueryRangeRequest(t *testing.T) {
	c, rec := serve(t, 200, jsonType, "query_range_streams_categorized.json")
	_, err := c.QueryRange(context.Background(), loki.QueryRangeRequest{
		Query: `{service_name="payments"} |= "error"`, Start: t0.Add(123 * time.Nanosecond), End: t1,
		Limit: 500, Direction: loki.Forward, Step: 1500 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	r := rec.last(t)
	if r.URL.Path != "/loki/api/v1/query_range" {
		t.Errorf("path = %s", r.URL.Path)
	}
	if got := r.Header.Get("X-Loki-Response-Encoding-Flags"); got != "categorize-labels" {
		t.Errorf("encoding flags header = %q", got)
	}
	q := r.URL.Query()
	want := map[string]string{
		"query":     `{service_name="payments"} |= "error"`,
		"start":     "1795514400000000123",
		"end":       "1795515300000000000",
		"limit":     "500",
		"direction": "forward",
		"step":      "1.5",
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
}

func TestQueryRangeDefaultsOmitted(t *testing.T) {
	c, rec := serve(t, 200, jsonType, "query_range_streams_categorized.json")
	if _, err := c.QueryRange(context.Background(), loki.QueryRangeRequest{Query: `{env="sim"}`}); err != nil {
		t.Fatal(err)
	}
	q := rec.last(t).URL.Query()
	for _, k := range []string{"start", "end", "limit", "direction", "step"} {
		if q.Has(k) {
			t.Errorf("%s sent although unset: %q", k, q.Get(k))
		}
	}
}

func TestQueryRangeRejectsBadRequests(t *testing.T) {
	c, rec := serve(t, 200, jsonType, "query_range_streams_categorized.json")
	for _, tc := range []struct {
		name string
		req  loki.QueryRangeRequest
	}{
		{"empty query", loki.QueryRangeRequest{}},
		{"end before start", loki.QueryRangeRequest{Query: `{a="b"}`, Start: t1, End: t0}},
		{"negative limit", loki.QueryRangeRequest{Query: `{a="b"}`, Limit: -1}},
		{"bad direction", loki.QueryRangeRequest{Query: `{a="b"}`, Direction: "sideways"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.QueryRange(context.Background(), tc.req)
			if sources.KindOf(err) != sources.KindBadRequest {
				t.Fatalf("err = %v, want bad_request", err)
			}
		})
	}
	if len(rec.reqs) != 0 {
		t.Fatalf("%d invalid requests were sent", len(rec.reqs))
	}
}

func TestErrorMapping(t *testing.T) {
	cases := []struct {
		name     string
		status   int
		ctype    string
		file     string
		kind     sources.Kind
		msg      string
		check    func(error) bool
		checkNot func(error) bool
	}{
		{"parse error", 400, textType, "error_parse.txt", sources.KindBadRequest, "parse error", loki.IsParseError, loki.IsMaxEntries},
		{"max entries", 400, textType, "error_max_entries.txt", sources.KindBadRequest, "max entries limit", loki.IsMaxEntries, loki.IsParseError},
		{"max series", 400, textType, "error_max_series.txt", sources.KindBadRequest, "maximum number of series", loki.IsMaxSeries, loki.IsMaxEntries},
		{"range too long", 400, textType, "error_range_limit.txt", sources.KindBadRequest, "time range exceeds the limit", nil, loki.IsMaxEntries},
		{"no org id", 400, textType, "error_no_org_id.txt", sources.KindAuth, "no org id", nil, loki.IsParseError},
		{"rate limited", 429, textType, "error_too_many_requests.txt", sources.KindRateLimited, "too many outstanding requests", nil, nil},
		{"query timeout", 504, textType, "error_timeout.txt", sources.KindTimeout, "request timed out", nil, nil},
		{"200 not json", 200, textType, "ready.txt", sources.KindDecode, "cannot decode", nil, nil},
		{"status error envelope", 200, jsonType, "error_envelope.json", sources.KindBadRequest, "parse error", nil, nil},
		{"no status", 200, jsonType, "query_no_status.json", sources.KindDecode, "no status", nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := serve(t, tc.status, tc.ctype, tc.file)
			_, err := c.QueryRange(context.Background(), loki.QueryRangeRequest{Query: `{env="sim"}`, Limit: 10000})
			se, ok := sources.AsError(err)
			if !ok {
				t.Fatalf("err = %T %v, want *sources.Error", err, err)
			}
			if se.Kind != tc.kind || se.Source != "loki" || se.Op != "query_range" {
				t.Fatalf("err = %+v, want kind %s from loki/query_range", se, tc.kind)
			}
			if !strings.Contains(se.Error(), tc.msg) {
				t.Fatalf("message %q lacks %q", se.Error(), tc.msg)
			}
			if tc.check != nil && !tc.check(err) {
				t.Fatalf("classifier does not recognise %v", err)
			}
			if tc.checkNot != nil && tc.checkNot(err) {
				t.Fatalf("wrong classifier recognises %v", err)
			}
		})
	}
}

func TestMaxEntriesLimit(t *testing.T) {
	c, _ := serve(t, 400, textType, "error_max_entries.txt")
	_, err := c.QueryRange(context.Background(), loki.QueryRangeRequest{Query: `{env="sim"}`, Limit: 10000})
	if got := loki.MaxEntriesLimit(err); got != 5000 {
		t.Fatalf("MaxEntriesLimit = %d, want 5000 (err %v)", got, err)
	}
	if loki.MaxEntriesLimit(errors.New("other")) != 0 {
		t.Fatal("limit found in an unrelated error")
	}
}

func sourcesConfig(u string) sources.Config {
	zero := 0
	return sources.Config{URL: u, Retries: &zero}
}

func TestPush(t *testing.T) {
	c, rec := serveBody(t, 204, "", nil, sources.Config{})
	streams := []loki.Stream{{Labels: map[string]string{"service_name": "payments", "env": "sim"}, Entries: []loki.Entry{
		{Time: time.Unix(0, 1795567430002000000), Line: `boom "quoted"`, StructuredMetadata: map[string]string{"trace_id": "abc"}},
		{Time: time.Unix(0, 1795567430003000000), Line: "plain"},
	}}}
	if err := c.Push(context.Background(), streams); err != nil {
		t.Fatal(err)
	}
	r := rec.last(t)
	if r.Method != http.MethodPost || r.URL.Path != "/loki/api/v1/push" || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("request = %s %s %s", r.Method, r.URL, r.Header.Get("Content-Type"))
	}
	want := `{"streams":[{"stream":{"env":"sim","service_name":"payments"},"values":[` +
		`["1795567430002000000","boom \"quoted\"",{"trace_id":"abc"}],["1795567430003000000","plain"]]}]}`
	if got := string(rec.lastBody()); got != want {
		t.Fatalf("body =\n%s\nwant\n%s", got, want)
	}
	if err := c.Push(context.Background(), []loki.Stream{{}}); sources.KindOf(err) != sources.KindBadRequest {
		t.Fatalf("stream without labels: %v", err)
	}
}
