package bundle_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/triagectl/triage/internal/app"
	"github.com/triagectl/triage/internal/config"
	"github.com/triagectl/triage/internal/testenv"
	"github.com/triagectl/triage/sources/bundle"
	"github.com/triagectl/triage/triage"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// traceBackends are the live trace backends, Jaeger first; "" alone when
// neither is live.
func traceBackends(t *testing.T) []string {
	si := testenv.Incident(t)
	var out []string
	if si.Jaeger != nil {
		out = append(out, triage.SourceJaeger)
	}
	if si.Tempo != nil {
		out = append(out, triage.SourceTempo)
	}
	if len(out) == 0 {
		t.Log("no trace backend live: the round trip covers Prometheus and Loki only")
		out = append(out, "")
	}
	return out
}

// liveRecording is the simulator's incident in the live backends, as a
// recording, its traces read from the named backend ("" for none).
func liveRecording(t *testing.T, traces string) app.Recording {
	t.Helper()
	testenv.Prometheus(t)
	testenv.Loki(t)
	si := testenv.Incident(t)
	cfg := config.Default()
	cfg.Sources.Prometheus = si.Prometheus.Config()
	cfg.Sources.Loki = si.Loki.Config()
	switch traces {
	case triage.SourceTempo:
		cfg.Sources.Tempo = si.Tempo.Config()
		cfg.Sources.Tempo.Timeout = 30 * time.Second // searches over a fresh live store are slow on small machines
	case triage.SourceJaeger:
		cfg.Sources.Jaeger = si.Jaeger.Config()
		cfg.Sources.Jaeger.Timeout = 30 * time.Second // scans of a thousand whole traces on a small machine
	}
	if si.Alertmanager != nil {
		cfg.Sources.Alertmanager = si.Alertmanager.Config()
	}
	tr := si.Truth
	o := triage.DefaultOptions()
	o.Lookback = tr.End.Sub(tr.IncidentStart) + 10*time.Minute
	o.SourceDeadline = 60 * time.Second
	return app.Recording{Config: cfg, Options: &o, TriageVersion: "test",
		Alert: triage.Alert{Name: tr.AlertName, StartsAt: tr.IncidentStart.Add(time.Minute), Fingerprint: "live",
			Labels: map[string]string{"alertname": tr.AlertName, "service": tr.AlertService, "severity": "critical"}}}
}

// A live investigation recorded, then replayed through the real clients,
// gives the same report. The replay is paced as recorded, because the
// engine's sources hand each other trace ids while they run.
func TestLiveRoundTrip(t *testing.T) {
	testenv.Prometheus(t)
	testenv.Loki(t)
	for _, traces := range traceBackends(t) {
		t.Run(traces, func(t *testing.T) { liveRoundTrip(t, traces) })
	}
}

func liveRoundTrip(t *testing.T, traces string) {
	rec := liveRecording(t, traces)
	ctx := context.Background()
	var buf bytes.Buffer
	w, err := bundle.NewWriter(&buf, rec.Header())
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	live, err := app.Record(ctx, w, rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded in %s", time.Since(t0).Round(time.Millisecond))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("bundle: %d exchanges, %d bytes compressed", w.Exchanges(), buf.Len())
	b, err := bundle.Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !jsonEqual(t, b.Report, live, false) {
		t.Fatal("the bundle's report differs from the live one")
	}
	rp, err := app.ReplaySources(b, bundle.ReplayOptions{Pace: true})
	if err != nil {
		t.Fatal(err)
	}
	t0 = time.Now()
	replayed, err := rp.Investigate(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("replayed in %s", time.Since(t0).Round(time.Millisecond))
	if missed := rp.Replay.Missed(); len(missed) > 0 {
		t.Errorf("the replay asked %d requests the recording did not, first: %s", len(missed), missed[0])
	}
	if !jsonEqual(t, replayed, live, true) {
		t.Fatal("the replayed report differs from the live one")
	}
	// The console's drill-down, offline: every request was recorded.
	triage.AskDrillDowns(ctx, rp.Sources, replayed, rp.RED, rp.Options)
	if missed := rp.Replay.Missed(); len(missed) > 0 {
		t.Errorf("the drill-down asked %d requests the recording did not, first: %s", len(missed), missed[0])
	}
}

// jsonEqual compares reports as their JSON. With latencies set it ignores
// each source's latency_ms, the one thing a replay cannot reproduce (it
// measures the replay, not the backends), and the ok/slow distinction that
// is read from it alone.
func jsonEqual(t *testing.T, got, want *triage.Report, latencies bool) bool {
	t.Helper()
	norm := func(r *triage.Report) string {
		c := r.Clone()
		if latencies {
			for i := range c.Sources {
				c.Sources[i].LatencyMS = 0
				if c.Sources[i].State == triage.StateSlow {
					c.Sources[i].State = triage.StateOK
				}
			}
		}
		b, err := json.MarshalIndent(c, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	g, w := norm(got), norm(want)
	if g == w {
		return true
	}
	gl, wl := bytes.Split([]byte(g), []byte("\n")), bytes.Split([]byte(w), []byte("\n"))
	for i := 0; i < min(len(gl), len(wl)); i++ {
		if !bytes.Equal(gl[i], wl[i]) {
			t.Errorf("first difference at line %d:\n got: %s\nwant: %s", i+1, gl[i], wl[i])
			break
		}
	}
	return false
}
