package triage

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// usersWith makes users with the given failed counts.
func usersWith(counts ...int) []UserImpact {
	out := make([]UserImpact, len(counts))
	for i, c := range counts {
		out[i] = UserImpact{ID: fmt.Sprintf("u-%d", i), Failed: c}
	}
	return out
}

func repeatCounts(pairs ...int) []int {
	var out []int
	for i := 0; i+1 < len(pairs); i += 2 {
		for range pairs[i+1] {
			out = append(out, pairs[i])
		}
	}
	return out
}

func TestEstimateUsers(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	heavy := usersWith(repeatCounts(1, 125, 2, 28, 3, 7)...) // 160 users in 200 traces
	tests := []struct {
		name           string
		users          []UserImpact
		sampled        int
		total          *float64
		want           *Estimate // nil: unknown
		value, lo, hi  float64   // when want is not given exactly
		basisHasPrefix string
	}{
		{name: "no metrics: unknown", users: heavy, sampled: 200, total: nil},
		{name: "NaN metrics: unknown", users: heavy, sampled: 200, total: f(math.NaN())},
		{name: "no user attribute in the sample: unknown", users: nil, sampled: 200, total: f(500)},
		{name: "no failing requests", users: nil, sampled: 0, total: f(0), want: &Estimate{Basis: "no failing requests (Prometheus)"}},
		{
			name: "the sample is every failing request", users: usersWith(3, 1, 1), sampled: 5, total: f(5),
			want: &Estimate{Value: 3, Low: 3, High: 3, Basis: "3 users seen in 5 of ≈5 failing requests; every one sampled",
				Method: "failing requests counted by Prometheus; every failing request sampled"},
		},
		{
			name: "every user seen once: one user per request, at most", users: usersWith(1, 1, 1, 1), sampled: 4, total: f(40),
			value: 40, lo: 4, hi: 40,
		},
		{
			name: "repeat users: fewer users than requests", users: heavy, sampled: 200, total: f(3100),
			basisHasPrefix: "160 users seen in 200 of ≈3,100 failing requests; ≈",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := EstimateUsers(tc.users, tc.sampled, tc.total, "Prometheus")
			switch {
			case tc.want != nil:
				if !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("got %+v, want %+v", got, tc.want)
				}
			case tc.value != 0:
				if got == nil || got.Value != tc.value || got.Low != tc.lo || got.High != tc.hi {
					t.Fatalf("got %+v, want %v [%v, %v]", got, tc.value, tc.lo, tc.hi)
				}
			case tc.basisHasPrefix != "":
				if got == nil || !strings.HasPrefix(got.Basis, tc.basisHasPrefix) {
					t.Fatalf("got %+v", got)
				}
				if want := fmt.Sprintf("; ≈%s in all, 95%% range %s–%s", Thousands(got.Value), Thousands(got.Low), Thousands(got.High)); !strings.HasSuffix(got.Basis, want) {
					t.Fatalf("basis %q does not end with the figure and its range %q", got.Basis, want)
				}
				if !strings.HasPrefix(got.Method, "failing requests counted by Prometheus; species-richness extrapolation (negative-binomial fit") {
					t.Fatalf("method %q", got.Method)
				}
				if !(160 <= got.Low && got.Low <= got.Value && got.Value <= got.High && got.High <= 3100) {
					t.Fatalf("estimate %+v: want seen ≤ low ≤ value ≤ high ≤ requests", got)
				}
				if got.Value < 200 || got.Value > 3100/2 {
					t.Fatalf("estimate %v: neither the users seen nor one per request", got.Value)
				}
				if again := EstimateUsers(tc.users, tc.sampled, tc.total, "Prometheus"); !reflect.DeepEqual(again, got) {
					t.Fatalf("not reproducible: %+v then %+v", got, again)
				}
			default:
				if got != nil {
					t.Fatalf("got %+v, want unknown", got)
				}
			}
		})
	}
}

func TestEstimateScalesOnlyTracesWithUsers(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	// Half the sampled traces carry no user: only half of the total can
	// add users, so every request being sampled-or-not halves the reach.
	got := EstimateUsers(usersWith(1, 1, 1, 1), 8, f(16), "m")
	if got.Value != 8 || got.High != 8 {
		t.Fatalf("got %+v, want at most 8 users for the 8 requests with one", got)
	}
}

// TestEstimateRecoversAKnownPopulation draws failing requests from a
// population of users with skewed activity, samples 200, and checks the
// estimate of the distinct users among all of them.
func TestEstimateRecoversAKnownPopulation(t *testing.T) {
	for _, tc := range []struct {
		users, requests int
		sigma           float64
	}{
		{users: 400, requests: 500, sigma: 1},
		{users: 2000, requests: 600, sigma: 1},
		{users: 300, requests: 450, sigma: 0.5},
		{users: 5000, requests: 400, sigma: 1.5},
	} {
		t.Run(fmt.Sprintf("%d users %d requests σ=%v", tc.users, tc.requests, tc.sigma), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(tc.users), uint64(tc.requests)))
			cdf := make([]float64, tc.users)
			acc := 0.0
			for i := range cdf {
				acc += math.Exp(tc.sigma * rng.NormFloat64())
				cdf[i] = acc
			}
			reqs := make([]int, tc.requests)
			truth := map[int]bool{}
			for i := range reqs {
				u := 0
				for x := rng.Float64() * acc; cdf[u] < x; u++ {
				}
				reqs[i] = u
				truth[u] = true
			}
			covered, worst := 0, 0.0
			const rounds = 10
			for r := range rounds {
				rng.Shuffle(len(reqs), func(a, b int) { reqs[a], reqs[b] = reqs[b], reqs[a] })
				counts := map[int]int{}
				for _, u := range reqs[:200] {
					counts[u]++
				}
				var users []UserImpact
				for u, c := range counts {
					users = append(users, UserImpact{ID: fmt.Sprint(u), Failed: c})
				}
				total := float64(tc.requests)
				est := EstimateUsers(users, 200, &total, "test")
				errRel := (est.Value - float64(len(truth))) / float64(len(truth))
				worst = math.Max(worst, math.Abs(errRel))
				if est.Low <= float64(len(truth)) && float64(len(truth)) <= est.High {
					covered++
				}
				t.Logf("round %d: %d seen, estimate %v [%v, %v], truth %d (%+.1f%%)", r, len(users), est.Value, est.Low, est.High, len(truth), 100*errRel)
			}
			if worst > 0.15 {
				t.Errorf("worst error %.1f%%, want within 15%%", 100*worst)
			}
			if covered < rounds*8/10 {
				t.Errorf("the 95%% interval covered the truth %d times in %d", covered, rounds)
			}
		})
	}
}

func TestThousands(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 3100.4: "3,100", 1234567: "1,234,567", -4200: "-4,200"} {
		if got := Thousands(in); got != want {
			t.Errorf("Thousands(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestEstimateSurvivesExtremeCounts(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	for _, tc := range []struct {
		users   []UserImpact
		sampled int
		total   float64
	}{
		{usersWith(1_000_000_000, 1, 1), 10, 1e12},
		{usersWith(5000, 3000, 1, 1, 2), 8000, 1e6},
		{usersWith(2, 2, 2, 2), 8, 1e9},
		{usersWith(1, 2), 1, 2}, // metrics counted fewer failing requests than were sampled
	} {
		got := EstimateUsers(tc.users, tc.sampled, f(tc.total), "m")
		seen := float64(len(tc.users))
		if got == nil || math.IsNaN(got.Value) || got.Low < seen || got.Value < got.Low || got.High < got.Value {
			t.Errorf("%v users, %d sampled, %v total: %+v", len(tc.users), tc.sampled, tc.total, got)
		}
	}
}

func TestEstimateSlowUsersCountsSlowTraces(t *testing.T) {
	total := 3.0
	users := []UserImpact{{ID: "a", Slow: 2, Failed: 5}, {ID: "b", Slow: 1}, {ID: "c", Failed: 1}}
	got := EstimateSlowUsers(users, 3, &total, "Prometheus")
	want := &Estimate{Value: 2, Low: 2, High: 2, Basis: "2 users seen in 3 of ≈3 slow requests; every one sampled",
		Method: "slow requests counted by Prometheus; every slow request sampled"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}
