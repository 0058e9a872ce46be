package serve

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func scrape(t testing.TB, url string) string {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d %s", resp.StatusCode, b)
	}
	return string(b)
}

func grep(text, substr string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestMetricsCoverTheDaemon(t *testing.T) {
	b := newBackends()
	d := start(t, Config{Token: "t"}, Deps{Sources: b.sources(), Options: b.options()})
	d.SSHMetrics().Sessions.Inc()
	d.SSHMetrics().SessionsTotal.WithLabelValues("ok").Inc()
	post(t, d.url, fixture(t, "am-firing.json"), nil) // 401
	post(t, d.url, fixture(t, "am-firing.json"), http.Header{"Authorization": {"Bearer t"}})
	eventually(t, 10*time.Second, "both pre-warms", func() bool {
		return strings.Contains(scrape(t, d.url), `triage_investigations_total{result="ok"} 2`)
	})
	m := scrape(t, d.url)
	for _, want := range []string{
		`triage_webhook_requests_total{code="200"} 1`,
		`triage_webhook_requests_total{code="401"} 1`,
		`triage_webhook_alerts_total{outcome="new"} 2`,
		`triage_incidents_created_total 2`,
		`triage_incidents{status="firing"} 2`,
		`triage_investigation_duration_seconds_count 2`,
		`triage_investigation_source_duration_seconds_count{source="loki"} 2`,
		`triage_ssh_sessions 1`,
		`triage_ssh_sessions_total{result="ok"} 1`,
		`triage_store_commit_duration_seconds_count`,
		`go_goroutines`,
		`process_open_fds`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestSourceErrorsAreCounted(t *testing.T) {
	b := newBackends()
	b.fail = context.DeadlineExceeded
	d := start(t, Config{}, Deps{Sources: b.sources(), Options: b.options()})
	post(t, d.url, fixture(t, "grafana-firing.json"), nil)
	eventually(t, 10*time.Second, "the failed pre-warm", func() bool {
		return strings.Contains(scrape(t, d.url), `triage_investigations_total{result="failed"} 1`)
	})
	m := scrape(t, d.url)
	for _, src := range []string{"prometheus", "loki", "tempo"} {
		if !strings.Contains(m, `triage_source_errors_total{kind="timeout",source="`+src+`"} 1`) {
			t.Errorf("no timeout counted for %s:\n%s", src, grep(m, "triage_source_errors_total"))
		}
	}
}

func TestHealthAndReadiness(t *testing.T) {
	s, err := New(context.Background(), Config{StorePath: filepath.Join(t.TempDir(), "x.db")}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h := s.Handler()
	get := func(path string) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code
	}
	if get("/healthz") != 200 || get("/readyz") != 503 {
		t.Fatalf("before Run: healthz %d readyz %d", get("/healthz"), get("/readyz"))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Run(ctx) }()
	eventually(t, 5*time.Second, "readiness", func() bool { return get("/readyz") == 200 })
	cancel()
	<-done
	if get("/readyz") != 503 {
		t.Fatal("ready after Run returned")
	}
}
