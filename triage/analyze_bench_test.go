package triage

import (
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkAnalyze1000x100 is the acceptance benchmark: analyse 1,000
// traces of 100 spans, then rank services and users and find differences.
// Run it on one core: go test -run '^$' -bench Analyze1000x100 -benchmem -cpu 1 ./triage/
func BenchmarkAnalyze1000x100(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 7))
	res := resourcesFor(12)
	shape := forestShape{spans: 100, services: 12, missing: 0.01, dups: 0.005, skew: 0.02, errorRate: 0.4, noise: 0.3, users: 400}
	traces := make([]*Trace, 1000)
	for i := range traces {
		traces[i] = forest(rng, i, shape, res)
	}
	opts := AnalysisOptions{
		UserAttributes:       []string{"enduser.id", "user.id", "customer.id"},
		UserDetailAttributes: []string{"user.tier", "user.region"},
		SlowThreshold:        900 * time.Millisecond,
	}
	analyses := make([]TraceAnalysis, len(traces))
	b.ReportAllocs()
	for b.Loop() {
		for i, t := range traces {
			analyses[i] = AnalyzeTrace(t, opts)
		}
		JoinLinked(analyses)
		if len(RankServices(analyses, nil, RankOptions{})) == 0 {
			b.Fatal("no services ranked")
		}
		RankUsers(analyses, UserOptions{})
		Differences(analyses, analyses, DiffOptions{SkipKeys: opts.UserAttributes})
	}
}
