package adapter_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/triagectl/triage/internal/testenv"
	"github.com/triagectl/triage/triage"
)

// BenchmarkInvestigation is a whole investigation of the simulator's
// default incident (a few hundred failing entry requests) against the live
// backends, per trace backend and trace sample: what raising the sample
// costs. Beside the wall time per investigation it reports the failing
// entry traces and all the traces analysed, the healthy traces in the
// baseline, the sampled traces read from skeletons and those selected by
// id rather than fetched whole, and the trace phase's own time. Each
// backend is warmed by one untimed investigation first.
//
//	go test -run '^$' -bench 'Investigation$' -benchtime 1x ./sources/adapter/
func BenchmarkInvestigation(b *testing.B) {
	testenv.Prometheus(b)
	testenv.Loki(b)
	benchInvestigation(b, testenv.Incident(b))
}

// BenchmarkInvestigationLatency is BenchmarkInvestigation on the
// simulator's latency incident (cache-tier): slow traces, no failures.
//
//	go test -run '^$' -bench InvestigationLatency -benchtime 1x ./sources/adapter/
func BenchmarkInvestigationLatency(b *testing.B) {
	testenv.Prometheus(b)
	testenv.Loki(b)
	benchInvestigation(b, testenv.IncidentFor(b, "cache-tier"))
}

func benchInvestigation(b *testing.B, si *testenv.SimIncident) {
	for _, backend := range traceBackends(si) {
		// One investigation first, untimed: the first one otherwise pays
		// the backends' cold start (their first queries, connections), which
		// a session opened by an alert webhook has already paid.
		src := liveSources(b, si, backend)
		if _, err := triage.NewInvestigation(src, liveOptions(si), triage.REDQueries{}).Run(context.Background(), liveAlert(si), nil); err != nil {
			b.Fatal(err)
		}
		for _, sample := range []int{200, 1000, 3000} {
			b.Run(fmt.Sprintf("%s/sample=%d", backend, sample), func(b *testing.B) {
				src := liveSources(b, si, backend)
				o := liveOptions(si)
				o.TraceSample = sample
				var failing, sampled, phase, baseline, skeletons, selected float64
				for b.Loop() {
					r, err := triage.NewInvestigation(src, o, triage.REDQueries{}).Run(context.Background(), liveAlert(si), nil)
					if err != nil {
						b.Fatal(err)
					}
					f := 0
					for _, t := range r.Traces {
						if t.Failing {
							f++
						}
					}
					failing += float64(f)
					if r.Impact != nil && r.Impact.SampledTraces != nil {
						sampled += float64(*r.Impact.SampledTraces)
					}
					if r.Evidence != nil && r.Evidence.BaselineTraces != nil {
						baseline += float64(*r.Evidence.BaselineTraces)
					}
					if r.Evidence != nil && r.Evidence.SkeletonTraces != nil {
						skeletons += float64(*r.Evidence.SkeletonTraces)
					}
					if r.Evidence != nil && r.Evidence.SelectedTraces != nil {
						selected += float64(*r.Evidence.SelectedTraces)
					}
					for _, s := range r.Sources {
						if s.State == triage.StateFailed {
							b.Fatalf("source %s failed: %s", s.Name, s.Error)
						}
						if triage.IsTraceSource(s.Name) {
							phase += float64(s.LatencyMS)
						}
					}
				}
				n := float64(b.N)
				b.ReportMetric(failing/n, "failing/op")
				b.ReportMetric(sampled/n, "sampled/op")
				b.ReportMetric(phase/n, "trace-ms/op")
				b.ReportMetric(baseline/n, "baseline/op")
				b.ReportMetric(skeletons/n, "skeletons/op")
				b.ReportMetric(selected/n, "selected/op")
			})
		}
	}
}
