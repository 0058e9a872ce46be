package tempo

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/triagectl/triage/sources"
)

func TestSearchRecorded(t *testing.T) {
	c, rp := newReplay(t, Options{}, nil)
	tests := []struct {
		name       string
		req        SearchRequest
		wantTraces int
		check      func(t *testing.T, res *SearchResult)
	}{
		{
			name:       "orders errors",
			req:        SearchRequest{Query: `{ resource.service.name = "orders" && status = error }`, Start: recStart, End: recEnd, Limit: 20, SpansPerSpanSet: 10},
			wantTraces: 20,
			check: func(t *testing.T, res *SearchResult) {
				tr := res.Traces[0]
				if tr.TraceID != "3dfa4db9d4e3ef1902fbcfd6b2984408" || tr.RootServiceName != "web" || tr.RootTraceName != "POST /checkout" {
					t.Errorf("first trace = %s %s %q", tr.TraceID, tr.RootServiceName, tr.RootTraceName)
				}
				if want := time.Unix(0, 1795566084298039552).UTC(); !tr.Start.Equal(want) {
					t.Errorf("start = %v, want %v", tr.Start, want)
				}
				if tr.Duration != 2039*time.Millisecond {
					t.Errorf("duration = %v", tr.Duration)
				}
				if got := tr.ServiceStats["orders"]; got != (ServiceStats{SpanCount: 3, ErrorCount: 2}) {
					t.Errorf("orders stats = %+v", got)
				}
				if got := tr.ServiceStats["risk"]; got != (ServiceStats{SpanCount: 1}) {
					t.Errorf("risk stats = %+v (errorCount omitted means 0)", got)
				}
				if tr.ErrorCount() != 6 {
					t.Errorf("error count = %d, want 6", tr.ErrorCount())
				}
				if len(tr.SpanSets) != 1 || tr.SpanSets[0].Matched != 2 || len(tr.SpanSets[0].Spans) != 2 {
					t.Fatalf("span sets = %+v", tr.SpanSets)
				}
				sp := tr.SpanSets[0].Spans[0]
				if sp.SpanID != "88f4ce130964b79c" || sp.Duration != 2018388363 || LookupString(sp.Attributes, "service.name") != "orders" || LookupString(sp.Attributes, "status") != "error" {
					t.Errorf("span = %+v", sp)
				}
				if want := time.Unix(0, 1795566084312499468).UTC(); !sp.Start.Equal(want) {
					t.Errorf("span start = %v", sp.Start)
				}
				// Tempo strips leading zeros from ids; they come back padded.
				padded := 0
				for _, tr := range res.Traces {
					if len(tr.TraceID) != 32 {
						t.Errorf("trace id %q not 32 digits", tr.TraceID)
					}
					if tr.TraceID == "05e7f832ea0e8dbf4d35f2f2491ddd25" || tr.TraceID == "0dfe553eb95c0cf03213bbe973da54e8" {
						padded++
					}
				}
				if padded != 2 {
					t.Errorf("found %d of the 2 padded ids", padded)
				}
				if res.Metrics.InspectedBytes != 277700 || res.Metrics.CompletedJobs != 3 || res.Metrics.TotalJobs != 3 {
					t.Errorf("metrics = %+v", res.Metrics)
				}
			},
		},
		{
			name:       "structural with select",
			req:        SearchRequest{Query: `{ resource.service.name = "web" } >> { status = error } | select(resource.service.name, span:name, span.enduser.id)`, Start: recStart, End: recEnd, Limit: 20, SpansPerSpanSet: 20},
			wantTraces: 20,
			check: func(t *testing.T, res *SearchResult) {
				ss := res.Traces[0].SpanSets[0]
				if ss.Matched != 5 || len(ss.Spans) != 5 {
					t.Fatalf("span set = %d matched, %d spans", ss.Matched, len(ss.Spans))
				}
				byName := map[string]SpanMatch{}
				for _, sp := range ss.Spans {
					byName[sp.Name] = sp
				}
				sp, ok := byName["INSERT ledger_entries"]
				if !ok || LookupString(sp.Attributes, "service.name") != "billing" || sp.Duration != 2*time.Second {
					t.Errorf("INSERT ledger_entries = %+v", sp)
				}
				// The selected user is the one on that span of the same trace
				// fetched by id (trace_error_v2.json records it).
				tr, err := DecodeTraceJSON(fixture(t, "trace_error_v2.json"))
				if err != nil {
					t.Fatal(err)
				}
				var want any
				for _, f := range flatten(tr.Traces) {
					if f.Name == "PlaceOrder" && f.TraceID == res.Traces[0].TraceID {
						want = f.Attrs["enduser.id"]
					}
				}
				if got, _ := Lookup(byName["PlaceOrder"].Attributes, "enduser.id"); want == nil || got != want {
					t.Errorf("enduser.id = %#v, want %#v as in the trace", got, want)
				}
			},
		},
		{
			name:       "healthy most recent",
			req:        SearchRequest{Query: `{ resource.service.name = "web" && span.http.route = "/checkout" && status != error } with (most_recent=true)`, Start: recStart, End: recEnd, Limit: 20},
			wantTraces: 20,
			check: func(t *testing.T, res *SearchResult) {
				for _, tr := range res.Traces {
					if tr.ErrorCount() != 0 || !tr.HasRoot() {
						t.Errorf("trace %s: errors %d root %q", tr.TraceID, tr.ErrorCount(), tr.RootServiceName)
					}
				}
			},
		},
		{
			name:       "slow",
			req:        SearchRequest{Query: `{ resource.service.name = "billing" && duration > 1s }`, Start: recStart, End: recEnd, Limit: 20},
			wantTraces: 20,
			check: func(t *testing.T, res *SearchResult) {
				for _, tr := range res.Traces {
					for _, sp := range tr.SpanSets[0].Spans {
						if sp.Duration <= time.Second {
							t.Errorf("span %s lasted %v", sp.SpanID, sp.Duration)
						}
					}
				}
				if res.Metrics.CompletedJobs != 2 || res.Metrics.TotalJobs != 3 {
					t.Errorf("metrics = %+v", res.Metrics)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := c.Search(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Traces) != tt.wantTraces {
				t.Fatalf("traces = %d, want %d", len(res.Traces), tt.wantTraces)
			}
			// Tempo 3.1 answers these in JSON: the recordings were made so.
			if got := rp.last().Header.Get("Accept"); got != "application/protobuf" {
				t.Errorf("Accept = %q", got)
			}
			tt.check(t, res)
		})
	}
}

func TestSearchErrors(t *testing.T) {
	ctx := context.Background()
	orders := `{ resource.service.name = "orders" && status = error }`
	tests := []struct {
		name      string
		opts      Options
		req       SearchRequest
		wantKind  sources.Kind
		wantMsg   string
		wantCalls int
	}{
		{name: "bad TraceQL", req: SearchRequest{Query: `{ status = }`, Start: recStart, End: recEnd},
			wantKind: sources.KindBadRequest, wantMsg: "invalid TraceQL query: parse error at line 1, col 12: syntax error: unexpected }", wantCalls: 1},
		{name: "range too long, refused before sending", req: SearchRequest{Query: orders, Start: time.Unix(1794666204, 0), End: recEnd},
			wantKind: sources.KindBadRequest, wantMsg: "time range 250h0m0s exceeds Tempo's search limit of 168h0m0s"},
		{name: "range too long, refused by Tempo", opts: Options{MaxSearchRange: 1000 * time.Hour}, req: SearchRequest{Query: orders, Start: time.Unix(1794666204, 0), End: recEnd},
			wantKind: sources.KindBadRequest, wantMsg: "exceeds 168h0m0s", wantCalls: 1},
		{name: "start without end", req: SearchRequest{Query: orders, Start: recStart},
			wantKind: sources.KindBadRequest, wantMsg: "start and end must be given together"},
		{name: "end before start", req: SearchRequest{Query: orders, Start: recEnd, End: recStart},
			wantKind: sources.KindBadRequest, wantMsg: "is before start"},
		{name: "negative limit", req: SearchRequest{Query: orders, Limit: -1},
			wantKind: sources.KindBadRequest, wantMsg: "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rp := newReplay(t, tt.opts, nil)
			_, err := c.Search(ctx, tt.req)
			se, ok := sources.AsError(err)
			if !ok || se.Kind != tt.wantKind || !strings.Contains(se.Error(), tt.wantMsg) {
				t.Fatalf("err = %v, want %s containing %q", err, tt.wantKind, tt.wantMsg)
			}
			if tt.wantCalls > 0 && se.Body == "" {
				t.Error("server body dropped")
			}
			if rp.count() != tt.wantCalls {
				t.Errorf("requests = %d, want %d", rp.count(), tt.wantCalls)
			}
		})
	}
}

func TestTagsRecorded(t *testing.T) {
	c, _ := newReplay(t, Options{}, nil)
	ctx := context.Background()
	scopes, err := c.Tags(ctx, "", recStart, recEnd)
	if err != nil {
		t.Fatal(err)
	}
	if len(scopes) != 4 || !HasTag(scopes, "resource", "service.name") || !HasTag(scopes, "span", "http.route") ||
		!HasTag(scopes, "intrinsic", "span:status") || HasTag(scopes, "span", "service.name") {
		t.Errorf("scopes = %+v", scopes)
	}
	vals, err := c.TagValues(ctx, "resource.service.name", "", recStart, recEnd)
	if err != nil {
		t.Fatal(err)
	}
	if len(vals) != 14 || vals[0] != (TagValue{Type: "string", Value: "catalog"}) {
		t.Errorf("values = %+v", vals)
	}
	if _, err := c.TagValues(ctx, "a/b", "", time.Time{}, time.Time{}); sources.KindOf(err) != sources.KindBadRequest {
		t.Errorf("tag with a slash: err = %v", err)
	}
}

func TestMetricsRecorded(t *testing.T) {
	c, _ := newReplay(t, Options{}, nil)
	ctx := context.Background()

	rate, err := c.MetricsQueryRange(ctx, `{ status = error } | rate() by (resource.service.name)`, recStart, recEnd, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(rate.Series) != 8 {
		t.Fatalf("series = %d, want 8", len(rate.Series))
	}
	billing := rate.Series[0]
	if billing.Label("resource.service.name") != "billing" || len(billing.Samples) != 30 {
		t.Fatalf("billing = %s, %d samples", billing.Label("resource.service.name"), len(billing.Samples))
	}
	first := billing.Samples[0]
	if !first.Time.Equal(time.UnixMilli(1795565280000)) || first.Value != 0 {
		t.Errorf("first sample = %+v (an omitted value is 0)", first)
	}
	nonZero := 0
	for _, s := range billing.Samples {
		if s.Value != 0 {
			nonZero++
		}
	}
	if nonZero != 4 {
		t.Errorf("non-zero samples = %d, want 4", nonZero)
	}
	if len(billing.Exemplars) == 0 || billing.Exemplars[0].TraceID != "b137d6b9a9aaabf58c1d2fb26c83082e" || billing.Exemplars[0].Value != 1.2666666666666666 {
		t.Errorf("exemplars = %+v", billing.Exemplars)
	}

	p99, err := c.MetricsQueryRange(ctx, `{ kind = server } | quantile_over_time(span:duration, .99) by (resource.service.name)`, recStart, recEnd, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(p99.Series) != 14 {
		t.Fatalf("series = %d, want 14", len(p99.Series))
	}
	for _, s := range p99.Series {
		if v, _ := Lookup(s.Labels, "p"); v != 0.99 {
			t.Errorf("%s: p = %#v", s.Label("resource.service.name"), v)
		}
		if len(s.Samples) != 15 {
			t.Errorf("%s: %d samples", s.Label("resource.service.name"), len(s.Samples))
		}
		for _, e := range s.Exemplars {
			if len(e.TraceID) != 32 {
				t.Errorf("exemplar trace id %q not padded", e.TraceID)
			}
		}
	}
	if _, err := c.MetricsQueryRange(ctx, " ", recStart, recEnd, 0); sources.KindOf(err) != sources.KindBadRequest {
		t.Errorf("empty query: err = %v", err)
	}
}

func TestProbesRecorded(t *testing.T) {
	ctx := context.Background()
	for _, prefix := range []string{"", "tempo"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			c, rp := newReplay(t, Options{APIPrefix: prefix}, func(rp *replay) {
				if prefix != "" {
					rp.prefix = "/" + prefix
				}
			})
			if c.Name() != "tempo" || !strings.HasPrefix(c.URL(), "http://127.0.0.1:") {
				t.Errorf("name %q url %q", c.Name(), c.URL())
			}
			if err := c.Ready(ctx); err != nil {
				t.Errorf("ready: %v", err)
			}
			if rp.last().URL.Path != "/ready" {
				t.Errorf("ready path = %s", rp.last().URL.Path)
			}
			bi, err := c.BuildInfo(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if bi.Version != "unknown (go1.26.8)" || bi.GoVersion != "go1.26.8" {
				t.Errorf("build info = %+v", bi)
			}
			if want := "/" + strings.TrimLeft(prefix+"/api/status/buildinfo", "/"); rp.last().URL.Path != want {
				t.Errorf("buildinfo path = %s, want %s", rp.last().URL.Path, want)
			}
			if _, err := c.Tags(ctx, "", recStart, recEnd); err != nil {
				t.Errorf("tags with prefix: %v", err)
			}
		})
	}
}

func TestReadyNotReady(t *testing.T) {
	tests := []struct {
		name, body string
		status     int
		wantKind   sources.Kind
		wantMsg    string
	}{
		{"503", "Ingester not ready: waiting for 15s after being ready", 503, sources.KindServer, "waiting for 15s"},
		{"200 other body", "starting", 200, sources.KindDecode, `expected "ready", got "starting"`},
		{"200 html", "<html><head><title>Sign in</title></head></html>", 200, sources.KindDecode, "Sign in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(serveStatic(t, tt.status, "text/plain", tt.body).cfg)
			if err != nil {
				t.Fatal(err)
			}
			err = c.Ready(context.Background())
			if sources.KindOf(err) != tt.wantKind || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("err = %v, want %s with %q", err, tt.wantKind, tt.wantMsg)
			}
		})
	}
}

func TestAuthCheckSendsTags(t *testing.T) {
	srv := serveStatic(t, 401, "text/plain", "no org id")
	c, err := New(srv.cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = c.AuthCheck(context.Background())
	if sources.KindOf(err) != sources.KindAuth || !strings.Contains(err.Error(), "no org id") {
		t.Errorf("err = %v", err)
	}
	if srv.lastPath != "/api/v2/search/tags" {
		t.Errorf("auth check path = %s", srv.lastPath)
	}
}
