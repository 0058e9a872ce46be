package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/triagectl/triage/internal/testenv"
	"github.com/triagectl/triage/sources/alertmanager"
	"github.com/triagectl/triage/triage"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// Against the real backends every source is ok with its version; with Loki
// stopped, Loki alone fails with the reason and the exit code says so.
func TestCheckLiveBackends(t *testing.T) {
	prom := testenv.Prometheus(t)
	loki := testenv.Loki(t)
	am := testenv.Alertmanager(t)
	args := []string{"check", "--prometheus-url", prom.URL, "--loki-url", loki.URL, "--alertmanager-url", am.URL}
	out, errOut, code := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	for _, b := range []*testenv.Backend{prom, loki, am} {
		row := rowOf(t, out, b.Name)
		if !strings.Contains(row, "● ok") {
			t.Errorf("%s not ok: %q", b.Name, row)
		}
		if b.Version != "" && !strings.Contains(row, b.Version) {
			t.Errorf("%s row lacks version %s: %q", b.Name, b.Version, row)
		}
	}
	t.Logf("check output:\n%s", out)

	loki.Stop()
	defer loki.Start(t)
	out, _, code = runCLI(t, args...)
	if code != 1 {
		t.Fatalf("exit %d with loki stopped, want 1:\n%s", code, out)
	}
	row := rowOf(t, out, "loki")
	if !strings.Contains(row, "failed") || !strings.Contains(row, "unreachable") || !strings.Contains(row, "connection refused") {
		t.Errorf("loki row: %q", row)
	}
	if r := rowOf(t, out, "prometheus"); !strings.Contains(r, "● ok") {
		t.Errorf("prometheus affected by loki's failure: %q", r)
	}
	t.Logf("check output with loki stopped:\n%s", out)
}

// triage check probes a real Jaeger: its query service answers, states its
// version in the UI page, and serves the UI API beside api/v3.
func TestCheckLiveJaeger(t *testing.T) {
	j := testenv.Jaeger(t)
	out, errOut, code := runCLI(t, "check", "--jaeger-url", j.URL)
	if code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	row := rowOf(t, out, "jaeger")
	if !strings.Contains(row, "● ok") || j.Version == "" || !strings.Contains(row, j.Version) {
		t.Errorf("jaeger row %q (version %q)", row, j.Version)
	}
	if r := rowOf(t, out, "tempo"); !strings.Contains(r, "unconfigured") {
		t.Errorf("tempo row: %q", r)
	}
	t.Logf("check output:\n%s", out)
}

func rowOf(t *testing.T, out, name string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, name+" ") {
			return l
		}
	}
	t.Fatalf("no %s row in:\n%s", name, out)
	return ""
}

// `triage report --fingerprint` finds the alert in the real Alertmanager and
// investigates it against the live backends.
func TestReportByFingerprintLive(t *testing.T) {
	am := testenv.Alertmanager(t)
	si := testenv.Incident(t)
	c, err := alertmanager.New(am.Config())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	labels := map[string]string{"alertname": "HighErrorRate", "service": si.Truth.EntryService, "severity": "critical", "test": "fingerprint"}
	if err := c.PostAlerts(ctx, []alertmanager.PostableAlert{{Labels: labels, StartsAt: si.Truth.IncidentStart.Add(time.Minute)}}); err != nil {
		t.Fatal(err)
	}
	var fp string
	deadline := time.Now().Add(30 * time.Second)
	for fp == "" && time.Now().Before(deadline) {
		alerts, err := c.Alerts(ctx, alertmanager.AlertsFilter{Filter: []string{`test="fingerprint"`}})
		if err != nil {
			t.Fatal(err)
		}
		if len(alerts) > 0 {
			fp = alerts[0].Fingerprint
		} else {
			time.Sleep(200 * time.Millisecond)
		}
	}
	if fp == "" {
		t.Fatal("alert never listed by Alertmanager")
	}
	args := []string{"report", "-o", "json", "--fingerprint", fp, "--alertmanager-url", am.URL,
		"--prometheus-url", si.Prometheus.URL, "--loki-url", si.Loki.URL, "--lookback", "30m"}
	out, errOut, code := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r struct {
		Alert   struct{ Name, Fingerprint string }
		Sources []struct{ Name, State string }
		Impact  *struct {
			FailingRatio *float64 `json:"failing_ratio"`
		}
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if r.Alert.Name != "HighErrorRate" || r.Alert.Fingerprint != fp {
		t.Fatalf("alert = %+v, want HighErrorRate %s", r.Alert, fp)
	}
	for _, s := range r.Sources {
		if s.Name != "tempo" && s.State != "ok" && s.State != "slow" {
			t.Errorf("source %s: %s", s.Name, s.State)
		}
	}
	if r.Impact == nil || r.Impact.FailingRatio == nil {
		t.Error("failing ratio unknown with Prometheus live")
	}
}

// `triage report` with Jaeger as the trace backend: the report names the
// trace source jaeger, with its queries in Jaeger's terms and a note per
// question it could not ask as such; the culprit is the simulator's; the
// markdown's Explore links open Grafana's Jaeger datasource.
func TestReportLiveJaeger(t *testing.T) {
	j := testenv.Jaeger(t)
	testenv.Prometheus(t)
	testenv.Loki(t)
	si := testenv.Incident(t)
	alert := map[string]any{
		"labels":   map[string]string{"alertname": si.Truth.AlertName, "service": si.Truth.AlertService, "severity": "critical"},
		"startsAt": si.Truth.IncidentStart.Add(2 * time.Minute).Format(time.RFC3339),
	}
	body, _ := json.Marshal(alert)
	alertFile := filepath.Join(t.TempDir(), "alert.json")
	if err := os.WriteFile(alertFile, body, 0o644); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfgFile, []byte("grafana: {url: https://grafana.example, datasources: {jaeger: J1}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"report", "-o", "json", "--config", cfgFile, "--alert-file", alertFile, "--lookback", "30m",
		"--prometheus-url", si.Prometheus.URL, "--loki-url", si.Loki.URL, "--jaeger-url", j.URL}
	out, errOut, code := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r triage.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	var js *triage.SourceStatus
	for i := range r.Sources {
		if r.Sources[i].Name == triage.SourceJaeger {
			js = &r.Sources[i]
		}
	}
	if js == nil || (js.State != triage.StateOK && js.State != triage.StateSlow) || len(js.Notes) == 0 {
		t.Fatalf("jaeger source %+v", js)
	}
	for _, q := range js.Queries {
		q, _ = triage.SplitQuery(q) // "(baseline)", "(newest trace)" are not sent
		if _, err := triage.ParseJaegerSearch(q); err != nil {
			t.Errorf("query %q is not a Jaeger search: %v", q, err)
		}
	}
	if len(r.Services) == 0 || r.Services[0].Name != si.Truth.Culprit {
		t.Errorf("top service %+v, want %s", r.Services, si.Truth.Culprit)
	}
	md, errOut, code := runCLI(t, append(args, "-o", "markdown")...)
	if code != 0 {
		t.Fatalf("markdown: exit %d: %s", code, errOut)
	}
	if !strings.Contains(md, "https://grafana.example/explore?") || !strings.Contains(md, "%22jaeger%22") || !strings.Contains(md, "failing traces") {
		t.Errorf("markdown has no Explore link to the Jaeger datasource:\n%s", md)
	}
}
