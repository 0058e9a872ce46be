package triage

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/triagectl/triage/internal/sim"
)

// analysisSimNow fixes the simulator's clock so every run sees the same incident.
var analysisSimNow = time.Date(2025, 11, 24, 3, 15, 0, 0, time.UTC)

// simIncident is a generated incident converted to the engine's model.
type simIncident struct {
	truth  sim.GroundTruth
	traces []*Trace // by start, as generated
	byID   map[string]*Trace
}

func generateSim(t testing.TB, sc sim.Scenario) *simIncident {
	t.Helper()
	inc, err := sim.Generate(sc, analysisSimNow)
	if err != nil {
		t.Fatal(err)
	}
	s := &simIncident{truth: inc.Truth(), byID: map[string]*Trace{}}
	s.traces = fromPTraces(inc.PTraces())
	for _, tr := range s.traces {
		s.byID[tr.ID] = tr
	}
	return s
}

var simAnalysis = AnalysisOptions{
	UserAttributes:       []string{"enduser.id", "user.id", "customer.id"},
	UserDetailAttributes: []string{"user.tier", "user.region"},
	SlowThreshold:        time.Second,
}

// simRun is one investigation of a simulated incident, done the way the
// engine does it: a random sample of the affected traces with slow and
// noisy distractors, the traces they link to, and a baseline of healthy
// traces through the alert's service from before the incident.
type simRun struct {
	all               []TraceAnalysis
	sample, baseline  []TraceAnalysis
	affected          int // affected traces in the sample
	totalAffected     float64
	latency           bool
	services          []ServiceRank
	users             []UserImpact
	differences       []Difference
	estimate          *Estimate
	sampledTruthUsers map[string]bool
}

func investigateSim(inc *simIncident, seed uint64, sampleSize int) *simRun {
	gt := inc.truth
	r := &simRun{latency: gt.Kind == sim.KindLatency}
	r.all = make([]TraceAnalysis, len(inc.traces))
	for i, tr := range inc.traces {
		r.all[i] = AnalyzeTrace(tr, simAnalysis)
	}
	incidentAt := gt.Start.Add(gt.Scenario.IncidentAfter)
	var affected, slow, noise, healthy []int
	for i := range r.all {
		a := &r.all[i]
		switch {
		case a.Failing:
			if !r.latency {
				affected = append(affected, i)
			}
		case a.Slow:
			if r.latency {
				affected = append(affected, i)
			} else {
				slow = append(slow, i)
			}
		case len(a.Origins) > 0:
			noise = append(noise, i)
		case a.RootService == gt.AlertService && a.Start.Before(incidentAt):
			healthy = append(healthy, i)
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0x73696d))
	pick := func(idx []int, n int) []TraceAnalysis {
		idx = slices.Clone(idx)
		rng.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		out := make([]TraceAnalysis, 0, n)
		for _, i := range idx[:min(n, len(idx))] {
			out = append(out, r.all[i])
		}
		return out
	}
	r.sample = slices.Concat(pick(affected, sampleSize), pick(slow, 50), pick(noise, 30))
	r.affected = min(sampleSize, len(affected))
	r.baseline = pick(healthy, 100)
	// Fetch what the sample links to, join, and keep only the sample.
	n := len(r.sample)
	for _, id := range LinkedTraceIDs(r.sample) {
		if tr := inc.byID[id]; tr != nil {
			r.sample = append(r.sample, AnalyzeTrace(tr, simAnalysis))
		}
	}
	JoinLinked(r.sample)
	r.sample = r.sample[:n]

	r.services = RankServices(r.sample, nil, RankOptions{})
	r.users = RankUsers(r.sample, UserOptions{})
	r.differences = Differences(r.sample, r.baseline, DiffOptions{SkipKeys: simAnalysis.UserAttributes})
	// The total is what metrics count: the affected traces' root spans.
	kind := KindErrors
	r.totalAffected = float64(len(gt.FailingTraceIDs))
	if r.latency {
		kind, r.totalAffected = KindLatency, float64(len(gt.SlowTraceIDs))
	}
	r.estimate = EstimateAffectedUsers(r.users, SampledWork(r.sample, r.latency), kind, &r.totalAffected, "truth")

	inSample := map[string]bool{}
	for k := range r.sample[:r.affected] {
		inSample[r.sample[k].TraceID] = true
	}
	r.sampledTruthUsers = map[string]bool{}
	for _, u := range gt.Users {
		ids := u.TraceIDs
		if r.latency {
			ids = u.SlowTraceIDs
		}
		if slices.ContainsFunc(ids, func(id string) bool { return inSample[id] }) {
			r.sampledTruthUsers[u.ID] = true
		}
	}
	return r
}

// seenUsers are the users of the sampled affected traces.
func (r *simRun) seenUsers() []string {
	var out []string
	for _, u := range r.users {
		if u.Failed > 0 || r.latency && u.Slow > 0 {
			out = append(out, u.ID)
		}
	}
	return out
}

func (r *simRun) role(svc string) Role {
	for _, s := range r.services {
		if s.Name == svc {
			return s.Role
		}
	}
	return ""
}

func (r *simRun) topCulprit() *ServiceRank {
	for k := range r.services {
		if r.services[k].Role == RoleCulprit {
			return &r.services[k]
		}
	}
	return nil
}

// TestAccuracyOnSimulatedIncidents runs the analysis on every simulator
// preset and checks it against the ground truth: the culprit, noise never
// blamed, the users, the planted difference and the user estimate.
func TestAccuracyOnSimulatedIncidents(t *testing.T) {
	table := []string{"| preset | kind | culprit (truth) | top culprit | roles on the path | noise | users seen ⊆ truth | coverage | planted difference rank | users: estimate [95%] vs truth |", "|---|---|---|---|---|---|---|---|---|---|"}
	for _, p := range sim.Presets() {
		t.Run(p.Name, func(t *testing.T) {
			inc := generateSim(t, p.Scenario)
			gt := inc.truth
			r := investigateSim(inc, 1, 200)
			row := simRow(t, p.Name, gt, r)
			table = append(table, row)
		})
	}
	t.Log("\n" + strings.Join(table, "\n"))
}

func simRow(t *testing.T, name string, gt sim.GroundTruth, r *simRun) string {
	t.Helper()
	// The engine's failing and slow traces are the truth's.
	var failing, slow []string
	for k := range r.all {
		if r.all[k].Failing {
			failing = append(failing, r.all[k].TraceID)
		}
		if r.all[k].Slow {
			slow = append(slow, r.all[k].TraceID)
		}
	}
	slices.Sort(failing)
	slices.Sort(slow)
	if !slices.Equal(failing, gt.FailingTraceIDs) || !slices.Equal(slow, gt.SlowTraceIDs) {
		t.Errorf("failing %d / slow %d traces, truth %d / %d", len(failing), len(slow), len(gt.FailingTraceIDs), len(gt.SlowTraceIDs))
	}
	top := r.topCulprit()
	if top == nil || top.Name != gt.Culprit || r.services[0].Name != gt.Culprit {
		t.Errorf("culprit %+v, first %s; truth %s", top, r.services[0].Name, gt.Culprit)
	} else if top.Uninstrumented != slices.Contains(gt.Uninstrumented, gt.Culprit) {
		t.Errorf("culprit %s uninstrumented %v, truth %v", top.Name, top.Uninstrumented, gt.Uninstrumented)
	}
	var roles []string
	for k, svc := range gt.Path {
		want := RolePropagating
		switch {
		case k == len(gt.Path)-1:
			want = RoleCulprit
		case k == 0:
			want = RoleEntry
		}
		if got := r.role(svc); got != want {
			t.Errorf("%s on the truth's path %v: role %q, want %q", svc, gt.Path, got, want)
		}
		roles = append(roles, fmt.Sprintf("%s %s", svc, r.role(svc)))
	}
	if m := gt.Messaging; len(gt.Path) == 1 && m.Consumer == gt.Culprit {
		// Judged with its producer: the request that queued the work is the entry.
		if got := r.role(gt.EntryService); got != RoleEntry {
			t.Errorf("producer's entry %s: role %q, want entry", gt.EntryService, got)
		}
		roles = append(roles, fmt.Sprintf("%s %s (linked)", gt.EntryService, r.role(gt.EntryService)))
	}
	var noise []string
	for _, o := range slices.Concat(gt.NoiseOrigins, []string{gt.Scenario.NoiseService}) {
		if o == "" || o == gt.Culprit {
			continue
		}
		if r.role(o) == RoleCulprit {
			t.Errorf("noise service %s is a culprit", o)
		}
		if !slices.Contains(noise, o+" "+string(r.role(o))) {
			noise = append(noise, o+" "+string(r.role(o)))
		}
	}

	truthUsers := map[string]bool{}
	for _, u := range gt.Users {
		truthUsers[u.ID] = true
	}
	seen := r.seenUsers()
	var strangers []string
	for _, id := range seen {
		if !truthUsers[id] {
			strangers = append(strangers, id)
		}
	}
	if len(strangers) > 0 {
		t.Errorf("users seen but not affected: %v", strangers)
	}
	covered := 0
	for id := range r.sampledTruthUsers {
		if slices.Contains(seen, id) {
			covered++
		}
	}
	coverage := float64(covered) / math.Max(float64(len(r.sampledTruthUsers)), 1)
	if coverage < 0.99 {
		t.Errorf("users seen cover %.1f%% of the truth's users in the sample", 100*coverage)
	}

	rank := slices.IndexFunc(r.differences, func(d Difference) bool {
		return d.Attribute == gt.Difference.Attribute && d.Value == gt.Difference.Value
	})
	if rank < 0 || rank > 2 {
		t.Errorf("planted %s=%s ranks %d in %+v", gt.Difference.Attribute, gt.Difference.Value, rank+1, r.differences)
	}

	est := r.estimate
	truth := float64(gt.AffectedUsers)
	var errRel float64
	if est == nil {
		t.Fatal("no user estimate")
	}
	errRel = (est.Value - truth) / truth
	if math.Abs(errRel) > 0.15 {
		t.Errorf("estimate %+v, truth %v: %+.1f%%", est, truth, 100*errRel)
	}
	return fmt.Sprintf("| %s | %s | %s | %s (score %.1f) | %s | %s | %d ⊆ %d | %.0f%% of %d | %s=%s #%d | %.0f [%.0f, %.0f] vs %.0f (%+.1f%%) |",
		name, gt.Kind, gt.Culprit, top.Name, top.Score, strings.Join(roles, ", "), strings.Join(noise, ", "),
		len(seen), len(truthUsers), 100*coverage, len(r.sampledTruthUsers), gt.Difference.Attribute, gt.Difference.Value, rank+1,
		est.Value, est.Low, est.High, truth, 100*errRel)
}

// TestUserEstimateOnBusierIncidents samples 200 of several hundred failing
// requests, where the estimate must extrapolate up to threefold.
func TestUserEstimateOnBusierIncidents(t *testing.T) {
	table := []string{"| scenario | failing requests | users seen in 200 | estimate [95%] | truth | error |", "|---|---|---|---|---|---|"}
	for _, tc := range []struct {
		rps   float64
		users int
		seed  int64
	}{
		{12, 2000, 1}, {14, 2000, 2}, {14, 500, 3}, {18, 1000, 4},
	} {
		name := fmt.Sprintf("db-region at %v rps, %d users, seed %d", tc.rps, tc.users, tc.seed)
		t.Run(name, func(t *testing.T) {
			sc := sim.DefaultScenario()
			sc.RPS, sc.Users, sc.Seed = tc.rps, tc.users, tc.seed
			inc := generateSim(t, sc)
			for _, seed := range []uint64{1, 2, 3} {
				r := investigateSim(inc, seed, 200)
				est, truth := r.estimate, float64(inc.truth.AffectedUsers)
				errRel := (est.Value - truth) / truth
				if math.Abs(errRel) > 0.15 {
					t.Errorf("sample %d: estimate %+v, truth %v (%+.1f%%)", seed, est, truth, 100*errRel)
				}
				table = append(table, fmt.Sprintf("| %s, sample %d | %.0f | %d | %.0f [%.0f, %.0f] | %.0f | %+.1f%% |",
					name, seed, r.totalAffected, len(r.seenUsers()), est.Value, est.Low, est.High, truth, 100*errRel))
			}
		})
	}
	t.Log("\n" + strings.Join(table, "\n"))
}

// TestUserEstimateBehindABatchConsumer samples some of a batch consumer's
// failing traces: the sample is of messages, each batch many requests'
// work, and the estimate scales the failing batches metrics count by the
// messages each carried in the sample.
func TestUserEstimateBehindABatchConsumer(t *testing.T) {
	table := []string{"| scenario | failing batches | sampled | messages sampled | users seen | estimate [95%] | truth | error |", "|---|---|---|---|---|---|---|---|"}
	for _, tc := range []struct {
		rps     float64
		users   int
		sampled int
	}{
		{4, 300, 12}, {10, 1000, 30}, {14, 2000, 40},
	} {
		sc, err := sim.PresetScenario("batch-consumer")
		if err != nil {
			t.Fatal(err)
		}
		sc.RPS, sc.Users = tc.rps, tc.users
		name := fmt.Sprintf("batch-consumer at %v rps, %d users", tc.rps, tc.users)
		t.Run(name, func(t *testing.T) {
			inc := generateSim(t, sc)
			for _, seed := range []uint64{1, 2, 3} {
				r := investigateSim(inc, seed, tc.sampled)
				w := SampledWork(r.sample, false)
				est, truth := r.estimate, float64(inc.truth.AffectedUsers)
				if est == nil || !w.Messages || !strings.Contains(est.Basis, "failing messages (in") || !strings.Contains(est.Method, "failing batches counted by truth") {
					t.Fatalf("sample %d: estimate %+v from %+v, want one over messages", seed, est, w)
				}
				errRel := (est.Value - truth) / truth
				if math.Abs(errRel) > 0.15 {
					t.Errorf("sample %d: estimate %+v, truth %v (%+.1f%%)", seed, est, truth, 100*errRel)
				}
				table = append(table, fmt.Sprintf("| %s, sample %d | %.0f | %d | %d | %d | %.0f [%.0f, %.0f] | %.0f | %+.1f%% |",
					name, seed, r.totalAffected, w.Traces, w.Requests, len(r.seenUsers()), est.Value, est.Low, est.High, truth, 100*errRel))
			}
		})
	}
	t.Log("\n" + strings.Join(table, "\n"))
}

// TestBatchLevelWhenMessagesCannotBeToldApart strips the message ids from
// the batch notifier's per-message spans: its work can then no longer be
// matched to its messages, so every request of a failing batch is
// credited, as batch-level (an upper bound), and no user of a failing
// batch is missed.
func TestBatchLevelWhenMessagesCannotBeToldApart(t *testing.T) {
	sc, err := sim.PresetScenario("batch-consumer")
	if err != nil {
		t.Fatal(err)
	}
	inc := generateSim(t, sc)
	var sample []TraceAnalysis
	for _, tr := range inc.traces {
		a := AnalyzeTrace(tr, simAnalysis)
		if !a.Failing || a.RootService != "notifier" || len(sample) >= 60 {
			continue
		}
		c := &Trace{ID: tr.ID, Spans: slices.Clone(tr.Spans)}
		for i := range c.Spans {
			c.Spans[i].Attrs = slices.DeleteFunc(slices.Clone(c.Spans[i].Attrs), func(kv Attr) bool { return kv.Key == "messaging.message.id" })
		}
		sample = append(sample, AnalyzeTrace(c, simAnalysis))
	}
	n := len(sample)
	want := map[string]bool{}
	for _, id := range LinkedTraceIDs(sample) {
		if tr := inc.byID[id]; tr != nil {
			p := AnalyzeTrace(tr, simAnalysis)
			if p.User != "" {
				want[p.User] = true
			}
			sample = append(sample, p)
		}
	}
	JoinLinked(sample)
	users := RankUsers(sample[:n], UserOptions{})
	if n < 20 || len(users) != len(want) {
		t.Fatalf("%d failing batches: %d users, want the %d of their producers", n, len(users), len(want))
	}
	truth := map[string]bool{}
	for _, u := range inc.truth.Users {
		truth[u.ID] = true
	}
	for _, u := range users {
		if !u.BatchLevel || !want[u.ID] || u.Attributes["user.tier"] == "" {
			t.Fatalf("user %+v: want batch-level, with the producer's details", u)
		}
		if !truth[u.ID] {
			t.Errorf("user %s credited but not affected in the truth", u.ID)
		}
	}
	w := SampledWork(sample[:n], false)
	if !w.Messages || w.Requests <= w.Traces {
		t.Errorf("sampled work %+v: want messages, several per batch", w)
	}
}
