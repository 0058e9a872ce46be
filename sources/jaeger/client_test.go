package jaeger

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/triagectl/triage/sources"
)

func TestServicesAndOperations(t *testing.T) {
	c, _ := newReplay(t, Options{}, nil)
	w := recWindow(t)
	ctx := context.Background()
	svcs, err := c.Services(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct{ Services []string }
	if err := json.Unmarshal(fixture(t, "services.json"), &raw); err != nil {
		t.Fatal(err)
	}
	if len(svcs) != len(raw.Services) || !slices.IsSorted(svcs) || !slices.Contains(svcs, w.caller) || !slices.Contains(svcs, w.entry) {
		t.Errorf("services = %v, recorded %v", svcs, raw.Services)
	}
	ops, err := c.Operations(ctx, w.caller, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) == 0 || !slices.ContainsFunc(ops, func(o Operation) bool { return o.SpanKind == "server" && o.Name != "" }) {
		t.Errorf("operations of %s = %+v", w.caller, ops)
	}
	// An unknown service has no operation: an empty list, not an error.
	ops, err = c.Operations(ctx, "no-such-service", "")
	if err != nil || ops == nil || len(ops) != 0 {
		t.Errorf("unknown service: %v, %v", ops, err)
	}
	if _, err := c.Operations(ctx, " ", ""); sources.KindOf(err) != sources.KindBadRequest {
		t.Errorf("blank service: err = %v", err)
	}
}

func TestTraceByID(t *testing.T) {
	c, rp := newReplay(t, Options{}, nil)
	w := recWindow(t)
	ctx := context.Background()
	// Upper case, leading zeros dropped: the id Jaeger is asked is the same.
	tr, err := c.Trace(ctx, strings.ToUpper(strings.TrimLeft(w.failingID, "0")))
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Result struct {
			ResourceSpans []struct {
				ScopeSpans []struct{ Spans []json.RawMessage }
			}
		}
	}
	if err := json.Unmarshal(fixture(t, "trace_failing.json"), &raw); err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, rs := range raw.Result.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			want += len(ss.Spans)
		}
	}
	if tr.ID != w.failingID || tr.SpanCount() != want || want == 0 {
		t.Fatalf("trace %s: %d spans, recorded %d", tr.ID, tr.SpanCount(), want)
	}
	s := summarize(tr)
	if s.RootServiceName != w.entry || s.ErrorCount() == 0 || s.ServiceStats[w.caller].ErrorCount == 0 {
		t.Errorf("summary %+v", s)
	}
	// Ids are hex in api/v3, as pdata writes them.
	forSpans(tr.Traces, func(_ string, sp ptrace.Span) {
		if sp.TraceID().String() != w.failingID || sp.SpanID().IsEmpty() {
			t.Errorf("span %s of trace %s", sp.SpanID(), sp.TraceID())
		}
	})

	_, err = c.Trace(ctx, "0badc0ffee0000000000000000000001")
	se, ok := sources.AsError(err)
	if !ok || se.Kind != sources.KindNotFound || se.Status != 404 || se.Msg != "trace 0badc0ffee0000000000000000000001 not found" ||
		!strings.Contains(se.Body, "No traces found") {
		t.Errorf("missing trace: %#v", err)
	}

	n := len(rp.paths())
	for _, bad := range []string{"", "xyz", strings.Repeat("f", 33), "00000000"} {
		if _, err := c.Trace(ctx, bad); sources.KindOf(err) != sources.KindBadRequest {
			t.Errorf("id %q: err = %v", bad, err)
		}
	}
	if len(rp.paths()) != n {
		t.Error("a malformed id reached the server")
	}
}

func TestTraceOptions(t *testing.T) {
	c, rp := newReplay(t, Options{}, nil)
	start := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	_, _ = c.TraceWith(context.Background(), "ab", TraceOptions{Start: start, End: start.Add(time.Hour), Raw: true})
	got := rp.paths()[0]
	want := "/api/v3/traces/000000000000000000000000000000ab?end_time=2026-01-02T04%3A04%3A05.000006Z&raw_traces=true&start_time=2026-01-02T03%3A04%3A05.000006Z"
	if got != want {
		t.Errorf("request %s\nwant    %s", got, want)
	}
	if _, err := c.TraceWith(context.Background(), "ab", TraceOptions{Start: start, End: start.Add(-time.Hour)}); sources.KindOf(err) != sources.KindBadRequest {
		t.Errorf("end before start: %v", err)
	}
}

func TestSearchOverAPIv3(t *testing.T) {
	c, rp := newReplay(t, Options{}, nil)
	w := recWindow(t)
	res, err := c.Search(context.Background(), Query{Service: w.caller, Start: w.start, End: w.end, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.API != "api/v3" || res.Depth != 2 || res.Scanned != 2 || res.Complete || res.Dropped != 0 || res.ErrorFilter != "" || len(res.Traces) != 2 {
		t.Fatalf("result %+v", res)
	}
	// The whole traces come with the search; their summaries agree with
	// them.
	spans := 0
	for _, s := range res.Traces {
		full, ok := res.Trace(strings.ToUpper(s.TraceID))
		if !ok {
			t.Fatalf("no full trace for %s", s.TraceID)
		}
		if got := summarize(full); !summariesEqual(got, s) {
			t.Errorf("summary %+v\nof its trace %+v", s, got)
		}
		if s.RootServiceName != w.entry || s.RootTraceName == "" || s.Duration <= 0 || s.Start.Before(w.start) ||
			s.ServiceStats[w.caller].SpanCount == 0 {
			t.Errorf("summary %+v", s)
		}
		spans += s.SpanCount
	}
	if td, err := DecodeTraces(fixture(t, "search_v3.json")); err != nil || td.SpanCount() != spans {
		t.Errorf("summaries count %d spans, the body holds %d (%v)", spans, td.SpanCount(), err)
	}
	if p := rp.paths(); len(p) != 1 || !strings.HasPrefix(p[0], "/api/v3/traces?") {
		t.Errorf("requests %v", p)
	}
}

func summariesEqual(a, b TraceSummary) bool {
	return a.TraceID == b.TraceID && a.RootServiceName == b.RootServiceName && a.RootTraceName == b.RootTraceName &&
		a.Start.Equal(b.Start) && a.Duration == b.Duration && a.SpanCount == b.SpanCount && len(a.ServiceStats) == len(b.ServiceStats)
}

// api/v3 answers a search that finds nothing with a 404 in its error
// envelope: that is an empty, complete result. Too deep a search is the
// caller's mistake, not the server's.
func TestSearchEmptyAndTooDeep(t *testing.T) {
	c, _ := newReplay(t, Options{}, nil)
	w := recWindow(t)
	ctx := context.Background()
	res, err := c.Search(ctx, Query{Service: "no-such-service", Start: w.start, End: w.end, Limit: 2})
	if err != nil || len(res.Traces) != 0 || res.Traces == nil || !res.Complete {
		t.Fatalf("empty search: %+v, %v", res, err)
	}
	_, err = c.Search(ctx, Query{Service: w.caller, Start: w.start, End: w.end, Limit: 1 << 30})
	se, ok := sources.AsError(err)
	if !ok || se.Kind != sources.KindBadRequest || se.Status != 500 || !strings.Contains(se.Msg, "max_traces") || se.Kind.Retryable() {
		t.Errorf("too deep: %#v", err)
	}
}

// Attributes go through the UI API: api/v3's gateway ignores them.
func TestSearchByAttribute(t *testing.T) {
	c, rp := newReplay(t, Options{}, nil)
	w := recWindow(t)
	res, err := c.Search(context.Background(), Query{Service: w.entry, Attributes: map[string]string{"enduser.id": w.user},
		Start: w.start, End: w.end, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.API != "api" || len(res.Traces) != 2 || res.Scanned != 2 || res.Dropped != 0 {
		t.Fatalf("result %+v", res)
	}
	for _, s := range res.Traces {
		if len(s.TraceID) != 32 || s.RootServiceName != w.entry || s.SpanCount == 0 || s.Duration <= 0 {
			t.Errorf("summary %+v", s)
		}
		// The UI model comes back as OTLP: every span, its kind, its
		// resource, the attribute searched for.
		full, ok := res.Trace(s.TraceID)
		if !ok || full.SpanCount() != s.SpanCount || summarize(full).RootServiceName != w.entry {
			t.Fatalf("whole trace of %s: %v, %d spans, want %d", s.TraceID, ok, full.SpanCount(), s.SpanCount)
		}
		kinds, user := map[ptrace.SpanKind]int{}, false
		forSpans(full.Traces, func(_ string, sp ptrace.Span) {
			kinds[sp.Kind()]++
			if v, ok := sp.Attributes().Get("enduser.id"); ok && v.AsString() == w.user {
				user = true
			}
			if _, ok := sp.Attributes().Get("span.kind"); ok {
				t.Error("span.kind left among the attributes")
			}
		})
		if kinds[ptrace.SpanKindServer] == 0 || kinds[ptrace.SpanKindClient] == 0 || !user {
			t.Errorf("kinds %v, user attribute found %v", kinds, user)
		}
	}
	if p := rp.paths(); len(p) != 1 || !strings.HasPrefix(p[0], "/api/traces?") || !strings.Contains(p[0], "enduser.id") {
		t.Errorf("requests %v", p)
	}
}

// Jaeger v2.12's in-memory store answers error=true with nothing: the
// client then looks for failed spans itself, and says so.
func TestSearchErrorsFallsBackToTheClient(t *testing.T) {
	w := recWindow(t)
	for _, tc := range []struct {
		name  string
		q     Query
		first string
		then  string
		kept  int
	}{
		{"by service", Query{Service: w.caller}, "/api/traces?", "/api/v3/traces?", 1},
		{"with an attribute", Query{Service: w.entry, Attributes: map[string]string{"enduser.id": w.user}}, "/api/traces?", "/api/traces?", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, rp := newReplay(t, Options{}, nil)
			q := tc.q
			q.Errors, q.Start, q.End, q.Limit, q.ScanLimit = true, w.start, w.end, 2, 2
			res, err := c.Search(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			p := rp.paths()
			if len(p) != 2 || !strings.HasPrefix(p[0], tc.first) || !strings.Contains(p[0], "error") ||
				!strings.HasPrefix(p[1], tc.then) || strings.Contains(p[1], "error") {
				t.Fatalf("requests %v", p)
			}
			if res.ErrorFilter != ErrorFilterClient || res.Scanned != 2 || len(res.Traces) != tc.kept || res.Dropped+len(res.Traces) != res.Scanned {
				t.Errorf("result %+v", res)
			}
			for _, s := range res.Traces {
				if s.ServiceStats[q.Service].ErrorCount == 0 {
					t.Errorf("kept %s without a failed %s span: %+v", s.TraceID, q.Service, s.ServiceStats)
				}
			}
		})
	}
}

func TestSearchValidation(t *testing.T) {
	c, rp := newReplay(t, Options{}, nil)
	now := time.Now()
	for _, tc := range []struct {
		name string
		q    Query
		want string
	}{
		{"no service", Query{Start: now, End: now}, "service is required"},
		{"no window", Query{Service: "a"}, "start and end are required"},
		{"end first", Query{Service: "a", Start: now, End: now.Add(-time.Second)}, "is before start"},
		{"negative limit", Query{Service: "a", Start: now, End: now, Limit: -1}, "negative"},
		{"durations crossed", Query{Service: "a", Start: now, End: now, MinDuration: time.Second, MaxDuration: time.Millisecond}, "below min duration"},
		{"error as attribute", Query{Service: "a", Start: now, End: now, Attributes: map[string]string{"error": "true"}}, "use Errors"},
		{"empty key", Query{Service: "a", Start: now, End: now, Attributes: map[string]string{"": "x"}}, "empty key"},
	} {
		_, err := c.Search(context.Background(), tc.q)
		if sources.KindOf(err) != sources.KindBadRequest || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v", tc.name, err)
		}
	}
	if len(rp.paths()) != 0 {
		t.Errorf("invalid searches reached the server: %v", rp.paths())
	}
}

func TestQueryParameters(t *testing.T) {
	c, rp := newReplay(t, Options{DefaultLimit: 7}, nil)
	start := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)
	q := Query{Service: "svc", Operation: "GET /x", MinDuration: 1500 * time.Millisecond, MaxDuration: time.Minute,
		Start: start, End: start.Add(time.Hour)}
	_, _ = c.Search(context.Background(), q)
	q.Attributes = map[string]string{"http.route": "/x"}
	_, _ = c.Search(context.Background(), q)
	p := rp.paths()
	want := []string{
		"/api/v3/traces?query.duration_max=1m0s&query.duration_min=1.5s&query.num_traces=7&query.operation_name=GET+%2Fx&query.search_depth=7" +
			"&query.service_name=svc&query.start_time_max=2026-01-02T04%3A04%3A05.123456789Z&query.start_time_min=2026-01-02T03%3A04%3A05.123456789Z",
		"/api/traces?end=1767326645123457&limit=7&maxDuration=1m0s&minDuration=1.5s&operation=GET+%2Fx&service=svc&start=1767323045123456" +
			"&tags=%7B%22http.route%22%3A%22%2Fx%22%7D",
	}
	if !slices.Equal(p, want) {
		t.Errorf("requests\n%s\nwant\n%s", strings.Join(p, "\n"), strings.Join(want, "\n"))
	}
}

func TestDependencies(t *testing.T) {
	c, _ := newReplay(t, Options{}, nil)
	w := recWindow(t)
	deps, err := c.Dependencies(context.Background(), w.depsEnd, w.depsLength)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(deps, func(d Dependency) bool { return d.Child == w.caller && d.Parent != w.caller && d.CallCount > 0 }) {
		t.Errorf("no edge into %s: %+v", w.caller, deps)
	}
	// The in-memory store counts calls inside a service too.
	if !slices.ContainsFunc(deps, func(d Dependency) bool { return d.Parent == d.Child }) {
		t.Errorf("no self-edge: %+v", deps)
	}
	if !slices.IsSortedFunc(deps, func(a, b Dependency) int { return strings.Compare(a.Parent+"\x00"+a.Child, b.Parent+"\x00"+b.Child) }) {
		t.Error("edges not sorted")
	}
	for _, tc := range []struct {
		end      time.Time
		lookback time.Duration
	}{{time.Time{}, time.Hour}, {w.depsEnd, 0}} {
		if _, err := c.Dependencies(context.Background(), tc.end, tc.lookback); sources.KindOf(err) != sources.KindBadRequest {
			t.Errorf("%v %v: err = %v", tc.end, tc.lookback, err)
		}
	}
}

func TestProbes(t *testing.T) {
	c, _ := newReplay(t, Options{}, nil)
	ctx := context.Background()
	if err := c.Ready(ctx); err != nil {
		t.Error(err)
	}
	bi, err := c.BuildInfo(ctx)
	if err != nil || bi.Version != "v2.12.0" || bi.Revision == "" {
		t.Errorf("build info %+v, %v", bi, err)
	}
	if err := c.AuthCheck(ctx); err != nil {
		t.Error(err)
	}
	if c.Name() != "jaeger" || !strings.HasPrefix(c.URL(), "http://127.0.0.1:") {
		t.Errorf("name %s url %s", c.Name(), c.URL())
	}
}

// The UI API's error envelope gives its message; so does api/v3's.
func TestErrorEnvelopes(t *testing.T) {
	c, _ := newReplay(t, Options{}, nil)
	_, err := c.get(context.Background(), "search", "/api/traces", map[string][]string{"limit": {"1"}})
	se, ok := sources.AsError(err)
	if !ok || se.Kind != sources.KindBadRequest || se.Msg != "parameter 'service' is required" {
		t.Errorf("UI API error: %#v", err)
	}
	for _, tc := range []struct{ body, want string }{
		{`{"error":{"httpCode":404,"message":"No traces found"}}`, "No traces found"},
		{`{"data":null,"total":0,"limit":0,"offset":0,"errors":[{"code":400,"msg":"bad"},{"code":400,"msg":"worse"}]}`, "bad (and more)"},
		{`{"error":"plain"}`, ""},
		{`not json`, ""},
	} {
		if got := errorMessage([]byte(tc.body)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.body, got, tc.want)
		}
	}
}

// A query service behind a base path, given in the URL or as an option.
func TestBasePath(t *testing.T) {
	w := recWindow(t)
	c, _ := newReplay(t, Options{}, func(rp *replay) { rp.prefix = "/jaeger" })
	if _, err := c.Trace(context.Background(), w.failingID); err != nil {
		t.Errorf("base path in the URL: %v", err)
	}
	if bi, err := c.BuildInfo(context.Background()); err != nil || bi.Version == "" {
		t.Errorf("build info under a base path: %+v %v", bi, err)
	}
	rp := &replay{t: t, recs: loadManifest(t), prefix: "/jaeger"}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	c2, err := NewWithOptions(sources.Config{URL: srv.URL}, Options{BasePath: "/jaeger/"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Services(context.Background()); err != nil {
		t.Errorf("base path as an option: %v", err)
	}
	if bi, err := c2.BuildInfo(context.Background()); err != nil || bi.Version == "" {
		t.Errorf("build info under a base path option: %+v %v", bi, err)
	}
}

// A path Jaeger does not route gets its UI page with a 200: an HTML page
// where JSON was expected is a decode error that says so.
func TestUIPageWhereJSONExpected(t *testing.T) {
	c, _ := newReplay(t, Options{}, func(rp *replay) { rp.recs = nil })
	_, err := c.Services(context.Background())
	se, ok := sources.AsError(err)
	if !ok || se.Kind != sources.KindDecode || !strings.Contains(se.Msg, "HTML page") {
		t.Errorf("err = %#v", err)
	}
}
