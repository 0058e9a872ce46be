package adapter_test

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/triagectl/triage/internal/sim"
	"github.com/triagectl/triage/internal/simsource"
	"github.com/triagectl/triage/internal/testenv"
	"github.com/triagectl/triage/sources/adapter"
	"github.com/triagectl/triage/sources/prometheus"
	"github.com/triagectl/triage/triage"
)

// Each metrics preset against real series of its shape: the simulator
// writes one incident's metric history to a Prometheus as Tempo's
// metrics-generator would, and to another as the OpenTelemetry
// Collector's connectors would. With the same traces, each preset reading
// its own shape gives the same verdict, the same error ratios and user
// estimate, and exemplars naming failing traces.
func TestLiveMetricsPresets(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Prometheus per scenario and shape")
	}
	testenv.Prometheus(t)
	for _, scenario := range []string{"db-region", "cache-tier"} {
		t.Run(scenario, func(t *testing.T) {
			reports := map[string]*triage.Report{}
			for _, shape := range []string{sim.MetricsTempo, sim.MetricsOTel} {
				si := testenv.MetricsIncident(t, scenario, shape)
				p, err := prometheus.New(si.Prometheus.Config())
				if err != nil {
					t.Fatal(err)
				}
				src := triage.Sources{Metrics: adapter.Metrics{C: p}, Traces: simsource.Traces{I: simsource.New(si.Incident)}}
				traces := map[string]*triage.Trace{}
				for _, tr := range adapter.ConvertTraces(si.Incident.PTraces()) {
					traces[tr.ID] = tr
				}
				red, err := triage.REDPreset(shape)
				if err != nil {
					t.Fatal(err)
				}
				r, err := triage.NewInvestigation(src, liveOptions(si), red).Run(context.Background(), liveAlert(si), nil)
				if err != nil {
					t.Fatal(err)
				}
				reports[shape] = r
				checkPresetReport(t, shape, r, si)

				// Exemplars of the scope's failures name traces with a
				// failed span there.
				if si.Truth.Kind == sim.KindError {
					svc := si.Truth.AlertService
					q := strings.ReplaceAll(red.Exemplars, "$service", svc)
					ex, err := adapter.Metrics{C: p}.Exemplars(context.Background(), q, r.Window.Start, r.Window.End)
					if err != nil || len(ex) == 0 {
						t.Errorf("%s exemplars of %s: %d, %v", shape, q, len(ex), err)
					}
					failedIn := triage.TraceSearch{Service: svc, Status: triage.StatusError}
					for _, e := range ex {
						if !failedIn.Matches(traces[e.TraceID]) {
							t.Errorf("%s exemplar %q names no trace with a failed %s span", shape, e.TraceID, svc)
						}
					}
				}

				testenv.StopMetricsIncident(scenario, shape)
			}
			a, b := reports[sim.MetricsTempo], reports[sim.MetricsOTel]
			if a == nil || b == nil {
				return
			}
			if na, nb := names(a), names(b); !slices.Equal(na, nb) {
				t.Errorf("services ranked %v with Tempo's series, %v with the collector's", na, nb)
			}
			if a.Impact.FailingRatio != nil || b.Impact.FailingRatio != nil {
				closeTo(t, "failing ratio", ptrOf(a.Impact.FailingRatio), ptrOf(b.Impact.FailingRatio), 0.01)
			}
			if a.Impact.UsersEstimate != nil && b.Impact.UsersEstimate != nil {
				closeTo(t, "user estimate", a.Impact.UsersEstimate.Value, b.Impact.UsersEstimate.Value, 0.15)
			}
			for _, sa := range a.Services {
				for _, sb := range b.Services {
					if sa.Name == sb.Name && sa.ErrorRatio != nil && sb.ErrorRatio != nil {
						closeTo(t, sa.Name+" error ratio", *sa.ErrorRatio, *sb.ErrorRatio, 0.01)
					}
				}
			}
		})
	}
}

// checkPresetReport checks what a preset reading its own shape must find.
func checkPresetReport(t *testing.T, shape string, r *triage.Report, si *testenv.SimIncident) {
	t.Helper()
	for _, s := range r.Sources {
		if s.Name == triage.SourcePrometheus && s.State != triage.StateOK && s.State != triage.StateSlow {
			t.Errorf("%s: prometheus %s: %s", shape, s.State, s.Error)
		}
	}
	switch {
	case r.Impact == nil || r.Impact.UsersEstimate == nil:
		t.Fatalf("%s: no user estimate: %+v", shape, r.Impact)
	case si.Truth.Kind == sim.KindError && (r.Impact.FailingRatio == nil || *r.Impact.FailingRatio <= 0):
		t.Fatalf("%s: no failing ratio: %+v", shape, r.Impact)
	}
	known := 0
	for _, s := range r.Services {
		if s.ErrorRatio != nil && s.P99MS != nil {
			known++
		}
	}
	if known == 0 {
		t.Errorf("%s: no ranked service has its RED from Prometheus", shape)
	}
	if len(r.Services) == 0 || r.Services[0].Name != si.Truth.Culprit {
		t.Errorf("%s: culprit %v, want %s", shape, names(r), si.Truth.Culprit)
	}
}

func names(r *triage.Report) []string {
	var out []string
	for _, s := range r.Services {
		out = append(out, s.Name+"/"+string(s.Role))
	}
	return out
}

func ptrOf(v *float64) float64 {
	if v == nil {
		return math.NaN()
	}
	return *v
}

// closeTo checks b against a within a relative tolerance (absolute below
// 1e-3).
func closeTo(t *testing.T, what string, a, b, tol float64) {
	t.Helper()
	if math.IsNaN(a) || math.IsNaN(b) || math.Abs(a-b) > tol*math.Max(math.Abs(a), 1e-3) {
		t.Errorf("%s: %v with Tempo's series, %v with the collector's", what, a, b)
	}
}
