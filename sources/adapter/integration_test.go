package adapter_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/triagectl/triage/internal/sim"
	"github.com/triagectl/triage/internal/simsource"
	"github.com/triagectl/triage/internal/testenv"
	"github.com/triagectl/triage/sources/adapter"
	"github.com/triagectl/triage/sources/jaeger"
	"github.com/triagectl/triage/sources/loki"
	"github.com/triagectl/triage/sources/prometheus"
	"github.com/triagectl/triage/sources/tempo"
	"github.com/triagectl/triage/triage"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// Trace backends a live test runs against.
const (
	backendJaeger    = triage.SourceJaeger
	backendTempo     = triage.SourceTempo
	backendGenerated = "generated" // the incident's own traces, no trace backend
)

// traceBackends are the trace backends live for si, Jaeger first; the
// generated traces only when neither is.
func traceBackends(si *testenv.SimIncident) []string {
	var out []string
	if si.Jaeger != nil {
		out = append(out, backendJaeger)
	}
	if si.Tempo != nil {
		out = append(out, backendTempo)
	}
	if len(out) == 0 {
		out = append(out, backendGenerated)
	}
	return out
}

// liveSources wires the real clients to the live backends, the traces to
// the named backend (the generated incident's traces for "generated", so
// the metrics and logs paths stay live without a trace backend).
func liveSources(t testing.TB, si *testenv.SimIncident, backend string) triage.Sources {
	t.Helper()
	var src triage.Sources
	p, err := prometheus.New(si.Prometheus.Config())
	if err != nil {
		t.Fatal(err)
	}
	src.Metrics = adapter.Metrics{C: p}
	l, err := loki.New(si.Loki.Config())
	if err != nil {
		t.Fatal(err)
	}
	src.Logs = adapter.Logs{C: l}
	switch backend {
	case backendTempo:
		cfg := si.Tempo.Config()
		cfg.Timeout = 30 * time.Second // searches over a fresh live store are slow on small machines
		tc, err := tempo.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		src.Traces = adapter.Traces{C: tc}
	case backendJaeger:
		cfg := si.Jaeger.Config()
		cfg.Timeout = 30 * time.Second // scans of a thousand whole traces on a small machine
		jc, err := jaeger.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		src.Traces = adapter.JaegerTraces{C: jc}
	default:
		src.Traces = simsource.Traces{I: simsource.New(si.Incident)}
	}
	return src
}

func liveAlert(si *testenv.SimIncident) triage.Alert {
	tr := si.Truth
	return triage.Alert{Name: tr.AlertName, Labels: map[string]string{"alertname": tr.AlertName, "service": tr.AlertService, "severity": "critical"},
		StartsAt: tr.IncidentStart.Add(time.Minute), Fingerprint: "live"}
}

func liveOptions(si *testenv.SimIncident) triage.Options {
	o := triage.DefaultOptions()
	o.Lookback = si.Truth.End.Sub(si.Truth.IncidentStart) + 10*time.Minute
	o.SourceDeadline = 60 * time.Second
	return o
}

// The engine against the simulator's incident in the real backends: the
// culprit, the users, the logs, every source ok.
func TestLiveInvestigation(t *testing.T) {
	testenv.Prometheus(t)
	testenv.Loki(t)
	si := testenv.Incident(t)
	for _, backend := range traceBackends(si) {
		t.Run(backend, func(t *testing.T) { liveInvestigation(t, si, backend) })
	}
}

func liveInvestigation(t *testing.T, si *testenv.SimIncident, backend string) {
	src := liveSources(t, si, backend)
	r, err := triage.NewInvestigation(src, liveOptions(si), triage.REDQueries{}).Run(context.Background(), liveAlert(si), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range r.Sources {
		if s.State != triage.StateOK && s.State != triage.StateSlow {
			t.Errorf("source %s: %s %s", s.Name, s.State, s.Error)
		}
	}
	if want := src.Traces.Name(); triage.TraceSource(r) != want {
		t.Errorf("trace source named %q, want %q", triage.TraceSource(r), want)
	}
	if testing.Verbose() {
		dump, _ := json.MarshalIndent(r.Sources, "", " ")
		t.Logf("sources: %s\nwindow: %+v\ntraces: %d", dump, r.Window, len(r.Traces))
	}
	if len(r.Services) == 0 || r.Services[0].Name != si.Truth.Culprit || r.Services[0].Role != triage.RoleCulprit {
		t.Fatalf("top service = %+v, want culprit %s", first(r.Services), si.Truth.Culprit)
	}
	truthUsers := map[string]bool{}
	for _, u := range si.Truth.Users {
		truthUsers[u.ID] = true
	}
	for _, u := range r.Users {
		if u.Failed > 0 && !truthUsers[u.ID] {
			t.Errorf("user %s failed in the report, not in the truth", u.ID)
		}
	}
	if len(r.LogPatterns) == 0 {
		t.Fatal("no log patterns from live Loki")
	}
	found := false
	for _, p := range r.LogPatterns[:min(5, len(r.LogPatterns))] {
		if strings.Contains(p.Pattern, "timeout acquiring connection") {
			found = true
		}
	}
	if !found {
		t.Errorf("culprit's log pattern not in the top 5: %v", patterns(r))
	}
	if r.Impact == nil || r.Impact.FailingRatio == nil {
		t.Errorf("failing ratio unknown with Prometheus live: %+v", r.Impact)
	}
	b, _ := json.MarshalIndent(r.Services[:min(4, len(r.Services))], "", " ")
	t.Logf("services: %s", b)
}

// With Loki stopped, the report still comes, the log section is unknown
// with Loki's reason, and the rest stands.
func TestLiveInvestigationWithLokiDown(t *testing.T) {
	testenv.Prometheus(t)
	lk := testenv.Loki(t)
	si := testenv.Incident(t)
	src := liveSources(t, si, traceBackends(si)[0])
	lk.Stop()
	defer lk.Start(t)
	r, err := triage.NewInvestigation(src, liveOptions(si), triage.REDQueries{}).Run(context.Background(), liveAlert(si), nil)
	if err != nil {
		t.Fatal(err)
	}
	var st triage.SourceStatus
	for _, s := range r.Sources {
		if s.Name == triage.SourceLoki {
			st = s
		}
	}
	if st.State != triage.StateFailed || st.ErrorKind != "unreachable" || !strings.Contains(st.Error, "connection refused") {
		t.Fatalf("loki status = %+v", st)
	}
	if r.LogPatterns != nil {
		t.Fatal("log patterns known with Loki down")
	}
	if len(r.Services) == 0 || r.Services[0].Name != si.Truth.Culprit {
		t.Fatalf("culprit lost with Loki down: %+v", first(r.Services))
	}
}

func first(s []triage.ServiceRank) any {
	if len(s) == 0 {
		return nil
	}
	return s[0]
}

func patterns(r *triage.Report) []string {
	var out []string
	for _, p := range r.LogPatterns[:min(5, len(r.LogPatterns))] {
		out = append(out, p.Pattern)
	}
	return out
}

// Freshness against real Loki, Prometheus and the trace backend: a
// scenario whose logs stop ten minutes before the alert shows Loki
// lagging, and only Loki; with fresh data nothing is marked, and every
// source's freshness is measured.
func TestLiveFreshness(t *testing.T) {
	if testing.Short() {
		t.Skip("starts backends of its own")
	}
	testenv.Prometheus(t)
	testenv.Loki(t)
	fresh := testenv.Incident(t)
	r := liveReport(t, fresh)
	for _, s := range r.Sources {
		if s.Lagging() {
			t.Errorf("fresh data: %s marked lagging: %+v", s.Name, s.Freshness)
		}
		if s.State != triage.StateUnconfigured && s.FreshnessSeconds == nil {
			t.Errorf("fresh data: %s's freshness was not measured", s.Name)
		}
	}

	sc := sim.DefaultScenario()
	sc.Name, sc.IncidentAfter, sc.LogsEndAfter = "logs-stop", 11*time.Minute, 2*time.Minute
	defer testenv.StopScenario(sc.Name)
	stale := testenv.IncidentOf(t, sc.Name, sc)
	r = liveReport(t, stale)
	for _, s := range r.Sources {
		switch {
		case s.Name == triage.SourceLoki && !s.Lagging():
			t.Errorf("logs stopped 10m before the alert: loki not marked lagging: %+v", s.Freshness)
		case s.Name == triage.SourceLoki && s.Freshness.AgeSeconds < 10*60:
			t.Errorf("loki's newest line is %.0fs old, want at least 10m", s.Freshness.AgeSeconds)
		case s.Name != triage.SourceLoki && s.Lagging():
			t.Errorf("%s marked lagging: %+v", s.Name, s.Freshness)
		}
	}
	t.Logf("loki: %+v", r.Sources[1].Freshness)
}

// liveReport investigates the incident's alert on the live backends, at
// the moment its generated data ends: the package's shared incident may
// have been written minutes before this test runs, and freshness is
// measured against the investigation's now.
func liveReport(t *testing.T, si *testenv.SimIncident) *triage.Report {
	t.Helper()
	src := liveSources(t, si, traceBackends(si)[0])
	o := liveOptions(si)
	end := si.Truth.End
	o.Now = func() time.Time { return end }
	r, err := triage.NewInvestigation(src, o, triage.REDQueries{}).Run(context.Background(), liveAlert(si), nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
