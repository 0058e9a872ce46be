package demo_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/triagectl/triage/internal/app"
	"github.com/triagectl/triage/internal/config"
	"github.com/triagectl/triage/internal/demo"
	"github.com/triagectl/triage/internal/testenv"
	"github.com/triagectl/triage/sources/adapter"
	"github.com/triagectl/triage/sources/alertmanager"
	"github.com/triagectl/triage/sources/bundle"
	"github.com/triagectl/triage/triage"
)

var record = flag.Bool("record", false, "record demo.bundle against the live backends (Prometheus, Loki, Tempo, Alertmanager)")

func TestMain(m *testing.M) { testenv.Main(m) }

// TestRecordDemo records the demo incident: the simulator's default
// scenario loaded into real Prometheus, Loki, Tempo and Alertmanager,
// investigated with every exchange recorded. Run it with
//
//	go test ./internal/demo -run TestRecordDemo -record
//
// and the backends' binaries in PROMETHEUS_BIN, LOKI_BIN, TEMPO_BIN and
// ALERTMANAGER_BIN. It checks the new bundle as the embedded one is
// checked before it replaces demo.bundle.
func TestRecordDemo(t *testing.T) {
	if !*record {
		t.Skip("records demo.bundle only with -record")
	}
	testenv.Prometheus(t)
	testenv.Loki(t)
	testenv.Tempo(t)
	am := testenv.Alertmanager(t)
	si := testenv.Incident(t)
	tr := si.Truth
	ctx := context.Background()

	// The alert arrives through Alertmanager, as in production, so the
	// bundle holds Alertmanager's list with its real fingerprint.
	amc, err := alertmanager.New(am.Config())
	if err != nil {
		t.Fatal(err)
	}
	gen := si.Prometheus.URL + "/graph?" + url.Values{"g0.expr": {tr.AlertExpr}, "g0.tab": {"1"}}.Encode()
	posted := alertmanager.PostableAlert{
		Labels: map[string]string{"alertname": tr.AlertName, "service": tr.AlertService, "severity": "critical",
			"team": "payments", "env": "demo"},
		Annotations: map[string]string{"summary": fmt.Sprintf("More than %.1f%% of %s requests are failing", 100*tr.AlertThreshold, tr.AlertService),
			"runbook_url": "https://runbooks.example/" + tr.AlertName},
		StartsAt: tr.IncidentStart.Add(time.Minute), GeneratorURL: gen,
	}
	if err := amc.PostAlerts(ctx, []alertmanager.PostableAlert{posted}); err != nil {
		t.Fatal(err)
	}
	alert := waitForAlert(t, amc, tr.AlertName)

	cfg := config.Default()
	cfg.Sources.Prometheus = si.Prometheus.Config()
	cfg.Sources.Loki = si.Loki.Config()
	cfg.Sources.Tempo = si.Tempo.Config()
	cfg.Sources.Tempo.Timeout = 30 * time.Second // searches over a fresh live store are slow on small machines
	cfg.Sources.Alertmanager = am.Config()
	o := app.EngineOptions(cfg)
	o.Lookback = tr.End.Sub(tr.IncidentStart) + 10*time.Minute
	o.SourceDeadline = 60 * time.Second
	rec := app.Recording{Config: cfg, Alert: alert, Options: &o, TriageVersion: "demo", Demo: true,
		Title: "Demo: " + tr.AlertName + " on " + tr.AlertService}
	var buf bytes.Buffer
	w, err := bundle.NewWriter(&buf, rec.Header())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Record(ctx, w, rec, nil); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := bundle.Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	checkRich(t, b, buf.Len())
	checkDrillDown(t, b)
	if t.Failed() {
		t.Fatal("demo.bundle left as it was")
	}
	if err := os.WriteFile("demo.bundle", buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("demo.bundle: %d exchanges, %d bytes (limit %d)", b.Len(), buf.Len(), demo.MaxBytes)
}

func waitForAlert(t *testing.T, c *alertmanager.Client, name string) triage.Alert {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		alerts, err := c.Alerts(ctx, alertmanager.AlertsFilter{Filter: []string{`alertname="` + name + `"`, `env="demo"`}})
		if err != nil {
			t.Fatal(err)
		}
		if len(alerts) > 0 {
			return adapter.AlertFromAPI(alerts[0])
		}
		time.Sleep(200 * time.Millisecond) // polling Alertmanager's API, bounded by the deadline
	}
	t.Fatal("Alertmanager never listed the demo alert")
	return triage.Alert{}
}

var (
	recordScenario = flag.String("record-scenario", "", "record a bundle of this simulator scenario against live Prometheus, Loki and Tempo")
	recordOut      = flag.String("record-out", "", "where -record-scenario writes its bundle")
)

// TestRecordScenario records a bundle of any simulator scenario, to open
// with `triage open --bundle F`:
//
//	go test ./internal/demo -run TestRecordScenario -record-scenario batch-consumer -record-out /tmp/batch.bundle
//
// The alert is the scenario's own rule, as Alertmanager would send it.
func TestRecordScenario(t *testing.T) {
	if *recordScenario == "" || *recordOut == "" {
		t.Skip("records only with -record-scenario and -record-out")
	}
	testenv.Prometheus(t)
	testenv.Loki(t)
	testenv.Tempo(t)
	si := testenv.IncidentFor(t, *recordScenario)
	defer testenv.StopScenario(*recordScenario)
	tr := si.Truth
	cfg := config.Default()
	cfg.Sources.Prometheus = si.Prometheus.Config()
	cfg.Sources.Loki = si.Loki.Config()
	cfg.Sources.Tempo = si.Tempo.Config()
	cfg.Sources.Tempo.Timeout = 30 * time.Second
	o := app.EngineOptions(cfg)
	o.Lookback = tr.End.Sub(tr.IncidentStart) + 10*time.Minute
	o.SourceDeadline = 60 * time.Second
	alert := triage.Alert{Name: tr.AlertName, Labels: map[string]string{"alertname": tr.AlertName, "service": tr.AlertService, "severity": "critical"},
		StartsAt: tr.IncidentStart.Add(time.Minute), Fingerprint: *recordScenario}
	rec := app.Recording{Config: cfg, Alert: alert, Options: &o, TriageVersion: "scenario",
		Title: *recordScenario + ": " + tr.AlertName + " on " + tr.AlertService}
	var buf bytes.Buffer
	w, err := bundle.NewWriter(&buf, rec.Header())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Record(context.Background(), w, rec, nil); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.Parse(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(*recordOut, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d bytes", *recordOut, buf.Len())
}
