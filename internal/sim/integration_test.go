package sim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/triagectl/triage/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// pollUntil retries f until it succeeds or the deadline passes.
func pollUntil(t *testing.T, timeout time.Duration, f func() error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		err := f()
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("gave up after %s: %v", timeout, err)
		case <-tick.C:
		}
	}
}

func getJSON(u string, header http.Header, v any) error {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s: %.300s", u, resp.Status, body)
	}
	return json.Unmarshal(body, v)
}

func TestLiveLokiLinesCarryTraceMetadata(t *testing.T) {
	si := testenv.Incident(t)
	if si.Loki == nil {
		t.Skip("loki not live")
	}
	gt := si.Truth
	id := gt.FailingTraceIDs[0]
	q := url.Values{
		"query": {fmt.Sprintf(`{service_name=%q, env="sim"} | trace_id=%q`, gt.CulpritCaller, id)},
		"start": {strconv.FormatInt(gt.Start.Add(-time.Minute).UnixNano(), 10)},
		"end":   {strconv.FormatInt(gt.End.Add(time.Minute).UnixNano(), 10)},
		"limit": {"100"},
	}
	var resp struct {
		Data struct {
			Result []struct {
				Stream map[string]string `json:"stream"`
				Values [][]json.RawMessage
			} `json:"result"`
		} `json:"data"`
	}
	hdr := http.Header{"X-Loki-Response-Encoding-Flags": {"categorize-labels"}}
	if err := getJSON(si.Loki.URL+"/loki/api/v1/query_range?"+q.Encode(), hdr, &resp); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range resp.Data.Result {
		for _, v := range r.Values {
			var line string
			var meta struct {
				StructuredMetadata map[string]string `json:"structuredMetadata"`
			}
			if len(v) != 3 || json.Unmarshal(v[1], &line) != nil || json.Unmarshal(v[2], &meta) != nil {
				t.Fatalf("entry %s lacks categorized metadata", v)
			}
			if meta.StructuredMetadata["trace_id"] != id {
				t.Fatalf("line %q has trace_id %q, want %s", line, meta.StructuredMetadata["trace_id"], id)
			}
			found = found || strings.Contains(line, "timeout acquiring connection from pool")
		}
	}
	if !found {
		t.Fatalf("no pool timeout line for failing trace %s: %+v", id, resp.Data.Result)
	}

	// Every error line of the culprit's caller arrived, with its level detected.
	want := 0
	for _, l := range si.Incident.Logs() {
		if l.Service == gt.CulpritCaller && l.Level == "error" {
			want++
		}
	}
	span := gt.End.Sub(gt.Start) + 2*time.Minute
	cq := url.Values{
		"query": {fmt.Sprintf(`sum(count_over_time({service_name=%q} | detected_level="error" [%ds]))`, gt.CulpritCaller, int(span.Seconds()))},
		"time":  {strconv.FormatInt(gt.End.Add(time.Minute).Unix(), 10)},
	}
	var vec struct {
		Data struct {
			Result []struct {
				Value [2]json.RawMessage `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := getJSON(si.Loki.URL+"/loki/api/v1/query?"+cq.Encode(), nil, &vec); err != nil {
		t.Fatal(err)
	}
	if len(vec.Data.Result) != 1 || strings.Trim(string(vec.Data.Result[0].Value[1]), `"`) != strconv.Itoa(want) {
		t.Fatalf("Loki counts %+v error lines of %s, generated %d", vec.Data.Result, gt.CulpritCaller, want)
	}
}

type promAlert struct {
	Labels map[string]string `json:"labels"`
	State  string            `json:"state"`
}

func TestLivePrometheusFiresHighErrorRate(t *testing.T) {
	si := testenv.Incident(t)
	if si.Prometheus == nil {
		t.Skip("prometheus not live")
	}
	pollUntil(t, 90*time.Second, func() error {
		var resp struct {
			Data struct {
				Alerts []promAlert `json:"alerts"`
			} `json:"data"`
		}
		if err := getJSON(si.Prometheus.URL+"/api/v1/alerts", nil, &resp); err != nil {
			return err
		}
		firing := map[string]promAlert{}
		for _, a := range resp.Data.Alerts {
			if a.State == "firing" {
				firing[a.Labels["alertname"]] = a
			}
		}
		high, ok := firing["HighErrorRate"]
		if !ok || firing["Watchdog"].State != "firing" {
			return fmt.Errorf("firing: %v", firing)
		}
		if high.Labels["service"] != si.Truth.EntryService || high.Labels["severity"] != "critical" {
			return fmt.Errorf("HighErrorRate labels %v", high.Labels)
		}
		return nil
	})
}

func TestLivePrometheusExemplarsNameFailingTraces(t *testing.T) {
	si := testenv.Incident(t)
	if si.Prometheus == nil {
		t.Skip("prometheus not live")
	}
	gt := si.Truth
	q := url.Values{
		"query": {fmt.Sprintf(`traces_spanmetrics_calls_total{service=%q, span_kind="SPAN_KIND_SERVER", status_code="STATUS_CODE_ERROR"}`, gt.EntryService)},
		"start": {strconv.FormatInt(gt.Start.Add(-time.Minute).Unix(), 10)},
		"end":   {strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10)},
	}
	pollUntil(t, 60*time.Second, func() error {
		var resp struct {
			Data []struct {
				Exemplars []struct {
					Labels map[string]string `json:"labels"`
				} `json:"exemplars"`
			} `json:"data"`
		}
		if err := getJSON(si.Prometheus.URL+"/api/v1/query_exemplars?"+q.Encode(), nil, &resp); err != nil {
			return err
		}
		n := 0
		for _, s := range resp.Data {
			for _, e := range s.Exemplars {
				if id := e.Labels[gt.ExemplarLabel]; !slices.Contains(gt.FailingTraceIDs, id) {
					t.Fatalf("exemplar %v on an error series is not a failing trace", e.Labels)
				}
				n++
			}
		}
		if n == 0 {
			return fmt.Errorf("no exemplars yet")
		}
		return nil
	})
}

func TestLiveTempoServesGeneratedTrace(t *testing.T) {
	si := testenv.Incident(t)
	if si.Tempo == nil {
		t.Skip("tempo not live")
	}
	id := si.Truth.FailingTraceIDs[0]
	want := 0
	td := si.Incident.PTraces()
	for i := 0; i < td.ResourceSpans().Len(); i++ {
		rs := td.ResourceSpans().At(i)
		for j := 0; j < rs.ScopeSpans().Len(); j++ {
			ss := rs.ScopeSpans().At(j).Spans()
			for k := 0; k < ss.Len(); k++ {
				if ss.At(k).TraceID().String() == id {
					want++
				}
			}
		}
	}
	pollUntil(t, 60*time.Second, func() error {
		req, _ := http.NewRequest(http.MethodGet, si.Tempo.URL+"/api/traces/"+id, nil)
		req.Header.Set("Accept", "application/protobuf")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("trace %s: %s", id, resp.Status)
		}
		got, err := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(body)
		if err != nil {
			return err
		}
		if got.SpanCount() != want {
			return fmt.Errorf("Tempo has %d spans of trace %s, sent %d", got.SpanCount(), id, want)
		}
		return nil
	})
}

// promValue evaluates a scalar-valued query at a time; an empty result is an error.
func promValue(base, query string, at time.Time) (float64, error) {
	q := url.Values{"query": {query}, "time": {strconv.FormatFloat(float64(at.UnixMilli())/1000, 'f', 3, 64)}}
	var resp struct {
		Data struct {
			Result []struct {
				Value [2]json.RawMessage `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := getJSON(base+"/api/v1/query?"+q.Encode(), nil, &resp); err != nil {
		return 0, err
	}
	if len(resp.Data.Result) != 1 {
		return 0, fmt.Errorf("%s at %s: %d results", query, at, len(resp.Data.Result))
	}
	var s string
	if err := json.Unmarshal(resp.Data.Result[0].Value[1], &s); err != nil {
		return 0, err
	}
	return strconv.ParseFloat(s, 64)
}

// serverSpans counts a service's SERVER spans started in [from, to), and the failed ones.
func serverSpans(td ptrace.Traces, service string, from, to time.Time) (all, failed int) {
	for i := 0; i < td.ResourceSpans().Len(); i++ {
		rs := td.ResourceSpans().At(i)
		if v, _ := rs.Resource().Attributes().Get("service.name"); v.Str() != service {
			continue
		}
		for j := 0; j < rs.ScopeSpans().Len(); j++ {
			ss := rs.ScopeSpans().At(j).Spans()
			for k := 0; k < ss.Len(); k++ {
				s := ss.At(k)
				at := s.StartTimestamp().AsTime()
				if s.Kind() != ptrace.SpanKindServer || at.Before(from) || !at.Before(to) {
					continue
				}
				all++
				if s.Status().Code() == ptrace.StatusCodeError {
					failed++
				}
			}
		}
	}
	return all, failed
}

// TestLivePrometheusHoldsBackfilledHistory checks the window's increase()
// against the generated spans, a healthy baseline an hour earlier, and that
// the live scrape joined the history without new series or counter resets.
func TestLivePrometheusHoldsBackfilledHistory(t *testing.T) {
	si := testenv.Incident(t)
	if si.Prometheus == nil {
		t.Skip("prometheus not live")
	}
	gt, base := si.Truth, si.Prometheus.URL
	svc := gt.EntryService
	sel := fmt.Sprintf(`traces_spanmetrics_calls_total{service=%q,span_kind="SPAN_KIND_SERVER"`, svc)
	errSel := sel + `,status_code="STATUS_CODE_ERROR"}`
	td := si.Incident.PTraces()

	window := 15 * time.Minute
	_, wantFailed := serverSpans(td, svc, si.Now.Add(-window), si.Now)
	got, err := promValue(base, fmt.Sprintf(`sum(increase(%s[15m]))`, errSel), si.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("increase of %s failing server calls over 15m: %.1f, generated %d", svc, got, wantFailed)
	if wantFailed == 0 || math.Abs(got-float64(wantFailed)) > 0.1*float64(wantFailed) {
		t.Errorf("increase over the window %.1f, want %d ±10%%", got, wantFailed)
	}

	incidentAt := gt.Start.Add(gt.Scenario.IncidentAfter)
	baseAll, baseFailed := serverSpans(td, svc, gt.Start, incidentAt)
	healthy := float64(baseFailed) / float64(baseAll)
	ratio, err := promValue(base, fmt.Sprintf(`sum(increase(%s[15m] offset 1h)) / sum(increase(%s}[15m] offset 1h))`, errSel, sel), si.Now)
	if err != nil {
		t.Fatal(err)
	}
	total, err := promValue(base, fmt.Sprintf(`sum(increase(%s}[15m] offset 1h))`, sel), si.Now)
	if err != nil {
		t.Fatal(err)
	}
	wantTotal := float64(baseAll) / incidentAt.Sub(gt.Start).Seconds() * window.Seconds()
	t.Logf("an hour earlier: error ratio %.4f (healthy %.4f), %.0f calls (baseline rate gives %.0f)", ratio, healthy, total, wantTotal)
	if math.Abs(ratio-healthy) > 0.01 {
		t.Errorf("error ratio an hour earlier %.4f, want the healthy %.4f", ratio, healthy)
	}
	if math.Abs(total-wantTotal) > 0.1*wantTotal {
		t.Errorf("calls an hour earlier %.0f, want about %.0f", total, wantTotal)
	}

	// After live scrapes the series are still the backfilled ones, unbroken.
	for _, q := range []string{
		fmt.Sprintf(`count(%s})`, sel),
		fmt.Sprintf(`count(traces_spanmetrics_latency_bucket{service=%q})`, svc),
		`count(traces_service_graph_request_server_seconds_bucket)`,
	} {
		then, err := promValue(base, q, si.Now)
		if err != nil {
			t.Fatal(err)
		}
		pollUntil(t, 30*time.Second, func() error {
			now, err := promValue(base, q, time.Now())
			if err != nil {
				return err
			}
			if now != then {
				return fmt.Errorf("%s: %v series backfilled, %v after scraping", q, then, now)
			}
			return nil
		})
	}
	resets, err := promValue(base, `sum(resets(traces_spanmetrics_calls_total[10m])) + sum(resets(traces_spanmetrics_latency_bucket[10m])) + sum(resets(traces_service_graph_request_client_seconds_sum[10m]))`, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if resets != 0 {
		t.Errorf("%v counter resets where the backfill meets the scrape", resets)
	}
}
