package sim

import (
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func labelsOf(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

func gather(t *testing.T, c prometheus.Collector) map[string]*dto.MetricFamily {
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

func find(mf *dto.MetricFamily, want map[string]string) *dto.Metric {
	if mf == nil {
		return nil
	}
	for _, m := range mf.GetMetric() {
		got := labelsOf(m)
		match := true
		for k, v := range want {
			match = match && got[k] == v
		}
		if match {
			return m
		}
	}
	return nil
}

func TestMetricsLintClean(t *testing.T) {
	inc := mustGenerate(t, DefaultScenario())
	problems, err := testutil.CollectAndLint(inc.MetricsCollector(time.Now))
	if err != nil || len(problems) > 0 {
		t.Fatalf("lint: %v %v", err, problems)
	}
}

func TestMetricsSeriesLikeTempo(t *testing.T) {
	inc := mustGenerate(t, DefaultScenario())
	mfs := gather(t, inc.MetricsCollector(time.Now))
	for _, name := range []string{
		"traces_spanmetrics_calls_total", "traces_spanmetrics_latency",
		"traces_service_graph_request_total", "traces_service_graph_request_failed_total",
		"traces_service_graph_request_server_seconds", "traces_service_graph_request_client_seconds",
	} {
		if mfs[name] == nil {
			t.Errorf("missing family %s", name)
		}
	}
	edges := []map[string]string{
		{"client": "payments", "server": "ledger-db", "connection_type": "database"},
		{"client": "checkout", "server": "notifications", "connection_type": "messaging_system"},
		{"client": "user", "server": "storefront", "connection_type": "virtual_node"},
		{"client": "storefront", "server": "checkout", "connection_type": ""},
	}
	for _, e := range edges {
		if find(mfs["traces_service_graph_request_total"], e) == nil {
			t.Errorf("no service-graph edge %v", e)
		}
	}
	if find(mfs["traces_service_graph_request_failed_total"], edges[0]) == nil {
		t.Error("payments → ledger-db has no failed requests")
	}
	errSeries := map[string]string{"service": "storefront", "span_kind": "SPAN_KIND_SERVER", "span_name": "POST /checkout", "status_code": "STATUS_CODE_ERROR"}
	m := find(mfs["traces_spanmetrics_calls_total"], errSeries)
	if m == nil {
		t.Fatal("no error series for POST /checkout")
	}
	if got, want := m.GetCounter().GetValue(), float64(len(inc.Truth().FailingTraceIDs)); math.Abs(got-want) > want*0.05+2 {
		t.Errorf("error calls %v right after Generate, want about the %v failing traces", got, want)
	}
}

// TestMetricsGrowAtIncidentRates scrapes at two fake instants 30s apart.
func TestMetricsGrowAtIncidentRates(t *testing.T) {
	inc := mustGenerate(t, DefaultScenario())
	gt := inc.Truth()
	now := time.Now()
	at := now
	c := inc.MetricsCollector(func() time.Time { return at })
	before := gather(t, c)
	at = now.Add(30 * time.Second)
	after := gather(t, c)

	for name, mf := range before {
		for _, m0 := range mf.GetMetric() {
			m1 := find(after[name], labelsOf(m0))
			if m1 == nil {
				t.Fatalf("%s%v vanished", name, labelsOf(m0))
			}
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				if m1.GetCounter().GetValue() < m0.GetCounter().GetValue() {
					t.Fatalf("%s%v went down", name, labelsOf(m0))
				}
			case dto.MetricType_HISTOGRAM:
				if m1.GetHistogram().GetSampleCount() < m0.GetHistogram().GetSampleCount() {
					t.Fatalf("%s%v count went down", name, labelsOf(m0))
				}
			}
		}
	}
	errSeries := map[string]string{"service": "storefront", "span_kind": "SPAN_KIND_SERVER", "span_name": "POST /checkout", "status_code": "STATUS_CODE_ERROR"}
	v0 := find(before["traces_spanmetrics_calls_total"], errSeries).GetCounter().GetValue()
	v1 := find(after["traces_spanmetrics_calls_total"], errSeries).GetCounter().GetValue()
	incidentSecs := gt.End.Sub(gt.Start.Add(gt.Scenario.IncidentAfter)).Seconds()
	wantRate := float64(len(gt.FailingTraceIDs)) / incidentSecs
	if got := (v1 - v0) / 30; math.Abs(got-wantRate) > 1e-9 {
		t.Errorf("error rate %v/s, want the incident's %v/s", got, wantRate)
	}
}

func scrape(t *testing.T, url, accept string) (string, http.Header) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept", accept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %s: %s", resp.Status, body)
	}
	return string(body), resp.Header
}

func TestMetricsHandlerTextParsesAndGrows(t *testing.T) {
	inc := mustGenerate(t, DefaultScenario())
	srv := httptest.NewServer(inc.MetricsHandler())
	defer srv.Close()
	parse := func() map[string]*dto.MetricFamily {
		body, _ := scrape(t, srv.URL, "text/plain; version=0.0.4")
		p := expfmt.NewTextParser(model.UTF8Validation)
		mfs, err := p.TextToMetricFamilies(strings.NewReader(body))
		if err != nil {
			t.Fatalf("parse: %v", err)
		}
		return mfs
	}
	first, second := parse(), parse()
	errSeries := map[string]string{"service": "storefront", "span_kind": "SPAN_KIND_SERVER", "status_code": "STATUS_CODE_ERROR"}
	m0 := find(first["traces_spanmetrics_calls_total"], errSeries)
	m1 := find(second["traces_spanmetrics_calls_total"], errSeries)
	if m0 == nil || m1 == nil {
		t.Fatal("no storefront error series")
	}
	if v0, v1 := m0.GetCounter().GetValue(), m1.GetCounter().GetValue(); v1 <= v0 {
		t.Errorf("counter did not grow between scrapes: %v then %v", v0, v1)
	}
	if len(first["traces_spanmetrics_latency"].GetMetric()) == 0 {
		t.Error("no latency histograms")
	}
}

// TestMetricsHandlerExemplars decodes the calls family as OpenMetrics; the
// whole page is valid too but the grammar-based decoder is slow.
func TestMetricsHandlerExemplars(t *testing.T) {
	inc := mustGenerate(t, DefaultScenario())
	gt := inc.Truth()
	srv := httptest.NewServer(inc.MetricsHandler())
	defer srv.Close()
	body, hdr := scrape(t, srv.URL, "application/openmetrics-text; version=1.0.0")
	if !strings.HasPrefix(hdr.Get("Content-Type"), "application/openmetrics-text") {
		t.Fatalf("content type %q", hdr.Get("Content-Type"))
	}
	if !strings.HasSuffix(body, "# EOF\n") || strings.Count(body, ` # {traceID="`) < 50 {
		t.Fatalf("OpenMetrics page without EOF or exemplars:\n%.2000s", body)
	}
	var part strings.Builder
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "# HELP traces_spanmetrics_calls ") || strings.HasPrefix(line, "# TYPE traces_spanmetrics_calls ") ||
			strings.HasPrefix(line, `traces_spanmetrics_calls_total{service="storefront"`) {
			part.WriteString(line + "\n")
		}
	}
	part.WriteString("# EOF\n")
	dec := expfmt.NewDecoder(strings.NewReader(part.String()), expfmt.ResponseFormat(hdr))
	mf := &dto.MetricFamily{}
	if err := dec.Decode(mf); err != nil {
		t.Fatalf("decode OpenMetrics: %v\n%s", err, part.String())
	}
	m := find(mf, map[string]string{"service": "storefront", "span_kind": "SPAN_KIND_SERVER", "status_code": "STATUS_CODE_ERROR"})
	if m == nil || m.GetCounter().GetExemplar() == nil {
		t.Fatalf("error series without exemplar: %v", m)
	}
	id := ""
	for _, l := range m.GetCounter().GetExemplar().GetLabel() {
		if l.GetName() == exemplarLabel {
			id = l.GetValue()
		}
	}
	if !slices.Contains(gt.FailingTraceIDs, id) {
		t.Errorf("error series exemplar %q is not a failing trace", id)
	}
}

// The OpenTelemetry Collector's shape: the spanmetrics connector's names,
// labels, millisecond histogram and trace_id exemplars; the servicegraph
// connector's edges split by failed, a database named by db.name, a
// client span without a server as a virtual node. The counts are the same
// traffic as the Tempo shape's.
func TestMetricsSeriesLikeTheCollector(t *testing.T) {
	sc := DefaultScenario()
	sc.Metrics = MetricsOTel
	inc := mustGenerate(t, sc)
	problems, err := testutil.CollectAndLint(inc.MetricsCollector(time.Now))
	// The connector's histogram is in milliseconds, as it names it.
	problems = slices.DeleteFunc(problems, func(p promlint.Problem) bool {
		return p.Metric == "traces_span_metrics_duration_milliseconds" && strings.Contains(p.Text, `base unit "seconds"`)
	})
	if err != nil || len(problems) > 0 {
		t.Fatalf("lint: %v %v", err, problems)
	}
	// Both read at their Generate instant: the same traffic.
	otel := gather(t, inc.MetricsCollector(func() time.Time { return inc.born }))
	ti := mustGenerate(t, DefaultScenario())
	tempo := gather(t, ti.MetricsCollector(func() time.Time { return ti.born }))
	for _, name := range []string{"traces_span_metrics_calls_total", "traces_span_metrics_duration_milliseconds",
		"traces_service_graph_request_total", "traces_service_graph_request_failed_total", "traces_service_graph_request_server_seconds"} {
		if otel[name] == nil {
			t.Errorf("missing family %s", name)
		}
	}
	if otel["traces_spanmetrics_calls_total"] != nil {
		t.Error("Tempo's series in the collector's shape")
	}
	errSeries := map[string]string{"span_kind": "SPAN_KIND_SERVER", "span_name": "POST /checkout", "status_code": "STATUS_CODE_ERROR"}
	o, tm := find(otel["traces_span_metrics_calls_total"], with(errSeries, "service_name", "storefront")),
		find(tempo["traces_spanmetrics_calls_total"], with(errSeries, "service", "storefront"))
	if o == nil || tm == nil || o.GetCounter().GetValue() != tm.GetCounter().GetValue() {
		t.Fatalf("failed POST /checkout calls: collector %v, Tempo %v", o, tm)
	}
	if len(o.GetCounter().GetExemplar().GetLabel()) != 0 {
		t.Error("the connector's calls counter carries exemplars")
	}
	h := find(otel["traces_span_metrics_duration_milliseconds"], with(errSeries, "service_name", "storefront")).GetHistogram()
	ms := false
	for _, b := range h.GetBucket() {
		ms = ms || b.GetUpperBound() == 15000
		if ex := b.GetExemplar(); ex != nil && (ex.GetLabel()[0].GetName() != "trace_id" || ex.GetValue() < 1) {
			t.Errorf("exemplar %v: want trace_id and a value in milliseconds", ex)
		}
	}
	if !ms || h.GetSampleSum() < 1000*find(tempo["traces_spanmetrics_latency"], with(errSeries, "service", "storefront")).GetHistogram().GetSampleSum()*0.999 {
		t.Errorf("histogram not in milliseconds: %v", h)
	}
	for _, e := range []map[string]string{
		{"client": "payments", "server": "ledger", "connection_type": "database", "failed": "true"},
		{"client": "payments", "server": "ledger", "connection_type": "database", "failed": "false"},
		{"client": "cart", "server": "session-cache", "connection_type": "virtual_node", "failed": "false"},
		{"client": "checkout", "server": "notifications", "connection_type": "messaging_system"},
		{"client": "user", "server": "storefront", "connection_type": "virtual_node"},
	} {
		if find(otel["traces_service_graph_request_total"], e) == nil {
			t.Errorf("no service-graph edge %v", e)
		}
	}
	if find(otel["traces_service_graph_request_failed_total"], map[string]string{"server": "ledger", "failed": "false"}) != nil {
		t.Error("failed requests on a failed=false edge")
	}
	if _, err := Generate(Scenario{Metrics: "datadog"}, time.Now()); err == nil || !strings.Contains(err.Error(), "Metrics") {
		t.Errorf("unknown shape: %v", err)
	}
}

func with(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for a, b := range m {
		out[a] = b
	}
	return out
}
