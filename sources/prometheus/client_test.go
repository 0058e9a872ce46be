package prometheus_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/sources/prometheus"
	"github.com/triagectl/triage/sources/sourcestest"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	return sourcestest.Fixture(t, name)
}

// answer is what the test server sends for one path.
type answer struct {
	status int
	ct     string
	body   []byte
}

func jsonAnswer(t testing.TB, status int, file string) answer {
	return answer{status: status, ct: "application/json", body: fixture(t, file)}
}

// seen is one request as the server got it, form and query merged.
type seen struct {
	method string
	path   string
	form   url.Values
	header http.Header
}

type recorder struct {
	addr string
	mu   sync.Mutex
	reqs []seen
}

func (r *recorder) all() []seen {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.reqs)
}

func (r *recorder) last(t testing.TB) seen {
	t.Helper()
	all := r.all()
	if len(all) == 0 {
		t.Fatal("the server got no request")
	}
	return all[len(all)-1]
}

func zero() *int { n := 0; return &n }

// serve starts a loopback server answering by path, and a client aimed at
// it with retries off.
func serve(t testing.TB, routes map[string]answer) (*prometheus.Client, *recorder) {
	t.Helper()
	rec := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, seen{method: r.Method, path: r.URL.Path, form: r.Form, header: r.Header.Clone()})
		rec.mu.Unlock()
		a, ok := routes[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if a.ct != "" {
			w.Header().Set("Content-Type", a.ct)
		}
		w.WriteHeader(a.status)
		_, _ = w.Write(a.body)
	}))
	t.Cleanup(srv.Close)
	rec.addr = srv.Listener.Addr().String()
	c, err := prometheus.New(sources.Config{URL: srv.URL, Timeout: 2 * time.Second, Retries: zero()})
	if err != nil {
		t.Fatal(err)
	}
	return c, rec
}

func TestQueryDecodesValues(t *testing.T) {
	ts := time.Unix(1795566839, 0)
	tests := []struct {
		name     string
		path     string
		file     string
		run      func(*prometheus.Client) (prometheus.Result, error)
		wantType model.ValueType
		wantLen  int
		warnings int
		infos    int
	}{
		{"instant vector", "/api/v1/query", "query_vector.json",
			func(c *prometheus.Client) (prometheus.Result, error) {
				return c.Query(context.Background(), "sum by (service)(rate(traces_spanmetrics_calls_total[1m]))", ts)
			}, model.ValVector, 3, 0, 0},
		{"range matrix", "/api/v1/query_range", "query_matrix.json",
			func(c *prometheus.Client) (prometheus.Result, error) {
				return c.QueryRange(context.Background(), "sum by (service)(rate(traces_spanmetrics_calls_total[1m]))",
					v1.Range{Start: ts.Add(-20 * time.Second), End: ts, Step: 10 * time.Second})
			}, model.ValMatrix, 3, 0, 0},
		{"scalar", "/api/v1/query", "query_scalar.json",
			func(c *prometheus.Client) (prometheus.Result, error) {
				return c.Query(context.Background(), "scalar(sum(up))", ts)
			}, model.ValScalar, 0, 0, 0},
		{"warnings and infos are kept", "/api/v1/query", "query_warnings.json",
			func(c *prometheus.Client) (prometheus.Result, error) {
				return c.Query(context.Background(), "quantile(2, rate(up[1m]))", ts)
			}, model.ValVector, 1, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rec := serve(t, map[string]answer{tt.path: jsonAnswer(t, 200, tt.file)})
			res, err := tt.run(c)
			if err != nil {
				t.Fatal(err)
			}
			if res.Value == nil || res.Value.Type() != tt.wantType {
				t.Fatalf("value = %v, want a %s", res.Value, tt.wantType)
			}
			switch tt.wantType {
			case model.ValVector:
				if got := len(res.Vector()); got != tt.wantLen {
					t.Fatalf("vector has %d samples, want %d", got, tt.wantLen)
				}
			case model.ValMatrix:
				m := res.Matrix()
				if len(m) != tt.wantLen || len(m[0].Values) != 3 {
					t.Fatalf("matrix = %v", m)
				}
			}
			if len(res.Warnings) != tt.warnings || len(res.Infos) != tt.infos {
				t.Fatalf("warnings %q infos %q", res.Warnings, res.Infos)
			}
			if q := rec.last(t).form.Get("query"); q == "" {
				t.Fatal("query parameter not sent")
			}
		})
	}
}

func TestQueryVectorValues(t *testing.T) {
	c, rec := serve(t, map[string]answer{"/api/v1/query": jsonAnswer(t, 200, "query_vector.json")})
	ts := time.Unix(1795566839, 0)
	res, err := c.Query(context.Background(), "sum by (service)(rate(traces_spanmetrics_calls_total[1m]))", ts)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, s := range res.Vector() {
		got[string(s.Metric["service"])] = float64(s.Value)
		if !s.Timestamp.Time().Equal(ts) {
			t.Errorf("timestamp %v, want %v", s.Timestamp.Time(), ts)
		}
	}
	if got["payments"] != 0.5116333333333334 || len(got) != 3 {
		t.Fatalf("samples = %v", got)
	}
	if tm := rec.last(t).form.Get("time"); tm != "1795566839" {
		t.Fatalf("time = %q", tm)
	}
}

func TestQueryRangeSendsRange(t *testing.T) {
	c, rec := serve(t, map[string]answer{"/api/v1/query_range": jsonAnswer(t, 200, "query_matrix.json")})
	end := time.Unix(1795566839, 0)
	if _, err := c.QueryRange(context.Background(), "up", v1.Range{Start: end.Add(-time.Minute), End: end, Step: 15 * time.Second}); err != nil {
		t.Fatal(err)
	}
	f := rec.last(t).form
	if f.Get("start") != "1795566779" || f.Get("end") != "1795566839" || f.Get("step") != "15" {
		t.Fatalf("range params = %v", f)
	}
}

func TestLookups(t *testing.T) {
	start, end := time.Unix(1795566539, 0), time.Unix(1795566839, 0)
	c, rec := serve(t, map[string]answer{
		"/api/v1/series":               jsonAnswer(t, 200, "series.json"),
		"/api/v1/labels":               jsonAnswer(t, 200, "labels.json"),
		"/api/v1/label/service/values": jsonAnswer(t, 200, "label_values.json"),
	})
	ctx := context.Background()

	series, err := c.Series(ctx, []string{`traces_spanmetrics_calls_total{status_code="STATUS_CODE_ERROR"}`}, start, end)
	if err != nil {
		t.Fatal(err)
	}
	if len(series) != 2 || series[1]["service"] != "payments" || series[1]["span_kind"] != "SPAN_KIND_CLIENT" {
		t.Fatalf("series = %v", series)
	}
	if m := rec.last(t).form["match[]"]; len(m) != 1 || m[0] != `traces_spanmetrics_calls_total{status_code="STATUS_CODE_ERROR"}` {
		t.Fatalf("match[] = %q", m)
	}

	names, err := c.LabelNames(ctx, nil, start, end)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(names, "service") || !slices.Contains(names, "status_code") {
		t.Fatalf("label names = %v", names)
	}

	vals, err := c.LabelValues(ctx, "service", []string{"traces_spanmetrics_calls_total"}, start, end)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(vals, []string{"checkout", "payments", "storefront"}) {
		t.Fatalf("values = %v", vals)
	}
	last := rec.last(t)
	if last.path != "/api/v1/label/service/values" || last.form.Get("start") != "1795566539" || last.form.Get("match[]") != "traces_spanmetrics_calls_total" {
		t.Fatalf("label values request = %s %v", last.path, last.form)
	}
}

func TestQueryExemplarsExtractsTraceIDs(t *testing.T) {
	c, rec := serve(t, map[string]answer{"/api/v1/query_exemplars": jsonAnswer(t, 200, "exemplars.json")})
	ex, err := c.QueryExemplars(context.Background(), "traces_spanmetrics_calls_total", time.Unix(1795566834, 0), time.Unix(1795566839, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(ex) != 6 {
		t.Fatalf("got %d exemplars, want 6", len(ex))
	}
	want := map[string]string{
		"STATUS_CODE_ERROR/checkout": "0af7651916cd43dd8448eb211c80319c",
		"STATUS_CODE_UNSET/checkout": "4bf92f3577b34da6a3ce929d0e0e4736",
		// A 64-bit id under traceID, padded the way Tempo prints it.
		"STATUS_CODE_ERROR/payments": "000000000000000000f067aa0ba902b7",
	}
	for _, e := range ex {
		key := string(e.Series["status_code"]) + "/" + string(e.Series["service"])
		if e.TraceID != want[key] {
			t.Errorf("%s: trace id %q, want %q", key, e.TraceID, want[key])
		}
		if e.Value != 1 || e.Timestamp.IsZero() {
			t.Errorf("%s: value %v at %v", key, e.Value, e.Timestamp)
		}
	}
	if f := rec.last(t).form; f.Get("start") != "1795566834" || f.Get("end") != "1795566839" {
		t.Fatalf("params = %v", f)
	}
}

func TestTraceID(t *testing.T) {
	tests := []struct {
		labels model.LabelSet
		want   string
	}{
		{model.LabelSet{"trace_id": "4BF92F3577B34DA6A3CE929D0E0E4736"}, "4bf92f3577b34da6a3ce929d0e0e4736"},
		{model.LabelSet{"traceID": "abc"}, "00000000000000000000000000000abc"},
		{model.LabelSet{"traceId": " 4bf92f3577b34da6a3ce929d0e0e4736 "}, "4bf92f3577b34da6a3ce929d0e0e4736"},
		{model.LabelSet{"trace_id": "", "traceID": "0af7651916cd43dd8448eb211c80319c"}, "0af7651916cd43dd8448eb211c80319c"},
		{model.LabelSet{"trace_id": "not-hex"}, "not-hex"},
		{model.LabelSet{"span_id": "00f067aa0ba902b7"}, ""},
	}
	for _, tt := range tests {
		if got := prometheus.TraceID(tt.labels); got != tt.want {
			t.Errorf("TraceID(%v) = %q, want %q", tt.labels, got, tt.want)
		}
	}
}

func TestAlertsAndRules(t *testing.T) {
	c, _ := serve(t, map[string]answer{
		"/api/v1/alerts": jsonAnswer(t, 200, "alerts.json"),
		"/api/v1/rules":  jsonAnswer(t, 200, "rules.json"),
	})
	alerts, err := c.Alerts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 2 || alerts[0].Labels["alertname"] != "HighErrorRate" || alerts[0].State != v1.AlertStateFiring {
		t.Fatalf("alerts = %+v", alerts)
	}
	groups, err := c.Rules(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 1 || len(groups[0].Rules) != 2 {
		t.Fatalf("rule groups = %+v", groups)
	}
	if _, ok := groups[0].Rules[0].(v1.RecordingRule); !ok {
		t.Fatalf("first rule is %T, want a recording rule", groups[0].Rules[0])
	}
	ar, ok := groups[0].Rules[1].(v1.AlertingRule)
	if !ok || ar.Name != "HighErrorRate" || len(ar.Alerts) != 2 {
		t.Fatalf("second rule = %+v", groups[0].Rules[1])
	}
}

func TestProbes(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		version string
		goVer   string
	}{
		{"release build", "buildinfo.json", "3.7.3", "go1.25.3"},
		{"source build has no version", "buildinfo_source_build.json", "", "go1.26.8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rec := serve(t, map[string]answer{
				"/api/v1/status/buildinfo": jsonAnswer(t, 200, tt.file),
				"/api/v1/labels":           jsonAnswer(t, 200, "labels.json"),
				"/-/ready":                 {status: 200, ct: "text/plain; charset=utf-8", body: []byte("Prometheus Server is Ready.\n")},
			})
			var p sources.Prober = c
			ctx := context.Background()
			bi, err := p.BuildInfo(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if bi.Version != tt.version || bi.GoVersion != tt.goVer {
				t.Fatalf("build info = %+v", bi)
			}
			if err := p.Ready(ctx); err != nil {
				t.Fatal(err)
			}
			if err := p.AuthCheck(ctx); err != nil {
				t.Fatal(err)
			}
			last := rec.last(t)
			if last.path != "/api/v1/labels" || last.form.Get("start") == "" || last.form.Get("end") == "" {
				t.Fatalf("auth check sent %s %v", last.path, last.form)
			}
			if p.Name() != "prometheus" || p.URL() == "" {
				t.Fatalf("name %q url %q", p.Name(), p.URL())
			}
		})
	}
}

func TestReadyNotReady(t *testing.T) {
	c, _ := serve(t, map[string]answer{"/-/ready": {status: 503, ct: "text/plain; charset=utf-8", body: []byte("Service Unavailable")}})
	err := c.Ready(context.Background())
	se, ok := sources.AsError(err)
	if !ok || se.Kind != sources.KindServer || se.Status != 503 || se.Op != "ready" {
		t.Fatalf("err = %v", err)
	}
}

func TestNewRejectsBadURL(t *testing.T) {
	for _, u := range []string{"", "ftp://x", "http://"} {
		if _, err := prometheus.New(sources.Config{URL: u}); err == nil {
			t.Errorf("New(%q) succeeded", u)
		}
	}
}

func TestBasePathIsKept(t *testing.T) {
	c, rec := serve(t, map[string]answer{"/prom/api/v1/label/service/values": jsonAnswer(t, 200, "label_values.json")})
	c2, err := prometheus.New(sources.Config{URL: c.URL() + "/prom/", Retries: zero()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c2.LabelValues(context.Background(), "service", nil, time.Time{}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if p := rec.last(t).path; p != "/prom/api/v1/label/service/values" {
		t.Fatalf("path = %q", p)
	}
}
