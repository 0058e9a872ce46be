package adapter_test

import (
	"context"
	"testing"

	"github.com/triagectl/triage/internal/sim"
	"github.com/triagectl/triage/internal/simsource"
	"github.com/triagectl/triage/internal/testenv"
	"github.com/triagectl/triage/triage"
)

// The engine against each scenario's ground truth in the real backends:
// every scenario gets its own Prometheus (holding the incident's metric
// history), Loki and, when a tempo binary is present, Tempo. Without Tempo
// the traces come from the generated incident, with metrics and logs live.
func TestLiveAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a set of backends per scenario")
	}
	testenv.Prometheus(t)
	testenv.Loki(t)
	var rows []simsource.Accuracy
	for _, p := range sim.Presets() {
		t.Run(p.Name, func(t *testing.T) {
			defer testenv.StopScenario(p.Name)
			si := testenv.IncidentFor(t, p.Name)
			src, mode := liveSources(t, si)
			r, err := triage.NewInvestigation(src, liveOptions(si), triage.REDQueries{}).Run(context.Background(), liveAlert(si), nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range r.Sources {
				if s.State == triage.StateFailed {
					t.Errorf("source %s failed: %s", s.Name, s.Error)
				}
			}
			a := simsource.Score(r, si.Truth)
			a.Scenario += " (" + mode + ")"
			rows = append(rows, a)
			for _, p := range a.Problems() {
				t.Error(p)
			}
			if t.Failed() {
				for _, s := range r.Sources {
					t.Logf("%s: %s %dms %q queries=%q", s.Name, s.State, s.LatencyMS, s.Error, s.Queries)
				}
				t.Logf("sampled traces %d, users %d, window %s – %s", len(r.Traces), len(r.Users), r.Window.Start, r.Window.End)
			}
		})
	}
	t.Log("\n" + simsource.Table(rows))
}
