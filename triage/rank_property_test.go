package triage

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// forestShape says how broken a generated trace is.
type forestShape struct {
	spans     int
	services  int
	missing   float64 // share of spans pointing at a parent not in the trace
	cycles    int     // parent cycles planted
	dups      float64 // share of spans repeating an earlier span id
	skew      float64 // share of spans moved outside their parent
	errorRate float64 // share of traces with an error chain
	noise     float64 // share of traces with a tolerated error
	users     int
}

// forest generates a trace: a random tree of client/server hops across
// services, then breaks it as shape says.
func forest(rng *rand.Rand, id int, shape forestShape, resources []*Resource) *Trace {
	n := max(shape.spans, 1)
	t := &Trace{ID: fmt.Sprintf("%032x", id+1), Spans: make([]Span, n)}
	start := time.Unix(1_700_000_000, 0).Add(time.Duration(id) * time.Second)
	t.Spans[0] = Span{SpanID: fmt.Sprintf("%016x", uint64(id)<<20), Start: start, End: start.Add(time.Second), Kind: KindServer}
	for i := 1; i < n; i++ {
		p := rng.IntN(i)
		ps := &t.Spans[p]
		off := time.Duration(rng.Int64N(int64(ps.End.Sub(ps.Start)) + 1))
		s := ps.Start.Add(off)
		e := s.Add(time.Duration(rng.Int64N(int64(ps.End.Sub(s)) + 1)))
		kind := KindClient
		if ps.Kind == KindClient {
			kind = KindServer
		}
		t.Spans[i] = Span{SpanID: fmt.Sprintf("%016x", uint64(id)<<20|uint64(i)), ParentID: ps.SpanID, Start: s, End: e, Kind: kind}
	}
	svc := 0
	for i := range t.Spans {
		s := &t.Spans[i]
		s.TraceID = t.ID
		if s.Kind == KindServer {
			svc = rng.IntN(len(resources))
		}
		s.Resource = resources[svc]
		s.Name = fmt.Sprintf("op-%d", rng.IntN(8))
		s.Attrs = Attrs{
			{"http.route", fmt.Sprintf("/r/%d", rng.IntN(4))}, {"http.request.method", "GET"},
			{"rpc.system", "grpc"}, {"net.peer.port", "443"}, {"request.size", fmt.Sprint(rng.IntN(5))},
			{"url.path", fmt.Sprintf("/r/%d/%d", rng.IntN(4), rng.IntN(1000))}, {"http.response.status_code", "200"},
			{"server.address", fmt.Sprintf("svc-%d", rng.IntN(12))}, {"code.function", fmt.Sprintf("handler%d", rng.IntN(6))},
			{"thread.id", fmt.Sprint(rng.IntN(64))}, {"network.protocol.version", "1.1"},
		}
		if s.Kind == KindClient && rng.IntN(4) == 0 {
			s.Attrs = append(s.Attrs, Attr{"db.system", "postgresql"}, Attr{"peer.service", fmt.Sprintf("db-%d", rng.IntN(3))})
		}
	}
	if shape.users > 0 {
		t.Spans[0].Attrs = append(t.Spans[0].Attrs, Attr{"enduser.id", fmt.Sprintf("u-%d", rng.IntN(shape.users))},
			Attr{"user.tier", [...]string{"free", "pro"}[rng.IntN(2)]})
	}
	if rng.Float64() < shape.errorRate {
		// An error chain from a random span up to the root.
		for i := rng.IntN(n); ; {
			t.Spans[i].Error, t.Spans[i].StatusMessage = true, "boom"
			p := slices.IndexFunc(t.Spans, func(s Span) bool { return s.SpanID == t.Spans[i].ParentID })
			if p < 0 {
				break
			}
			i = p
		}
	} else if rng.Float64() < shape.noise && n > 1 {
		t.Spans[1+rng.IntN(n-1)].Error = true
	}
	for i := 1; i < n; i++ {
		switch r := rng.Float64(); {
		case r < shape.missing:
			t.Spans[i].ParentID = fmt.Sprintf("%016x", rng.Uint64())
		case r < shape.missing+shape.dups:
			t.Spans[i].SpanID = t.Spans[rng.IntN(i)].SpanID
		}
		if rng.Float64() < shape.skew {
			t.Spans[i].Start = t.Spans[i].Start.Add(-time.Duration(rng.Int64N(int64(time.Second))))
			t.Spans[i].End = t.Spans[i].End.Add(time.Duration(rng.Int64N(int64(time.Second))))
		}
	}
	for range shape.cycles {
		if n < 2 {
			break
		}
		a, b := rng.IntN(n), rng.IntN(n)
		t.Spans[a].ParentID, t.Spans[b].ParentID = t.Spans[b].SpanID, t.Spans[a].SpanID
	}
	return t
}

func resourcesFor(n int) []*Resource {
	out := make([]*Resource, n)
	for i := range out {
		name := fmt.Sprintf("svc-%d", i)
		out[i] = &Resource{Service: name, Attrs: Attrs{
			{"service.name", name}, {"service.version", "1.0." + fmt.Sprint(i%3)},
			{"k8s.node.name", fmt.Sprintf("node-%d", i%5)}, {"k8s.pod.name", name + "-pod"},
			{"cloud.region", "eu-west-1"}, {"cloud.availability_zone", fmt.Sprintf("eu-west-1%c", 'a'+i%3)},
			{"deployment.environment", "prod"}, {"telemetry.sdk.language", "go"},
		}}
	}
	return out
}

// TestRankingIsConsistentOnBrokenForests: whatever the forest, analysis
// does not panic, every service gets one role, and scores are non-negative
// and sorted.
func TestRankingIsConsistentOnBrokenForests(t *testing.T) {
	opts := AnalysisOptions{UserAttributes: []string{"enduser.id"}, UserDetailAttributes: []string{"user.tier"}, SlowThreshold: 800 * time.Millisecond}
	for seed := uint64(1); seed <= 60; seed++ {
		rng := rand.New(rand.NewPCG(seed, 1))
		shape := forestShape{
			spans: 1 + rng.IntN(60), services: 1 + rng.IntN(8),
			missing: rng.Float64() * 0.3, cycles: rng.IntN(4), dups: rng.Float64() * 0.2, skew: rng.Float64() * 0.5,
			errorRate: rng.Float64(), noise: rng.Float64(), users: 1 + rng.IntN(20),
		}
		res := resourcesFor(shape.services)
		analyses := make([]TraceAnalysis, 40)
		for k := range analyses {
			tr := forest(rng, k, shape, res)
			analyses[k] = AnalyzeTrace(tr, opts)
			checkAnalysis(t, tr, &analyses[k])
		}
		JoinLinked(analyses)
		for _, kind := range []IncidentKind{KindAuto, KindErrors, KindLatency} {
			checkRanking(t, fmt.Sprintf("seed %d kind %q", seed, kind), analyses, RankServices(analyses, nil, RankOptions{Kind: kind}))
		}
		users := RankUsers(analyses, UserOptions{MaxTraceIDs: 3})
		if !slices.IsSortedFunc(users, func(a, b UserImpact) int {
			if a.Failed != b.Failed {
				return b.Failed - a.Failed
			}
			if a.Slow != b.Slow {
				return b.Slow - a.Slow
			}
			return compareStrings(a.ID, b.ID)
		}) {
			t.Fatalf("seed %d: users not ranked", seed)
		}
		for _, u := range users {
			if len(u.TraceIDs) > 3 || u.Failed+u.Slow == 0 {
				t.Fatalf("seed %d: user %+v", seed, u)
			}
		}
		diffs := Differences(analyses[:20], analyses[20:], DiffOptions{})
		for _, d := range diffs {
			if d.FailingShare <= d.BaselineShare || d.FailingShare > 1 || d.BaselineShare < 0 {
				t.Fatalf("seed %d: difference %+v", seed, d)
			}
		}
	}
}

func checkAnalysis(t *testing.T, tr *Trace, a *TraceAnalysis) {
	t.Helper()
	tree := a.Tree()
	kept := 0
	for i := range tr.Spans {
		if !tree.Dropped(i) {
			kept++
		}
	}
	if len(tree.Order()) != kept {
		t.Fatalf("trace %s: order has %d spans, %d kept (%+v)", tr.ID, len(tree.Order()), kept, a.Anomalies)
	}
	if kept != len(tr.Spans)-a.Anomalies.DuplicateIDs {
		t.Fatalf("trace %s: %d kept of %d with %d duplicates", tr.ID, kept, len(tr.Spans), a.Anomalies.DuplicateIDs)
	}
	for _, i := range tree.Order() {
		p := tree.Parent(int(i))
		s, e := tree.Interval(int(i))
		if e.Before(s) {
			t.Fatalf("trace %s: span %d ends before it starts", tr.ID, i)
		}
		if p >= 0 {
			ps, pe := tree.Interval(p)
			if s.Before(ps) || e.After(pe) {
				t.Fatalf("trace %s: span %d not clamped into its parent", tr.ID, i)
			}
		}
	}
	if a.Failing && a.Culprit() == nil {
		t.Fatalf("trace %s fails with no fatal origin: %+v", tr.ID, a.Origins)
	}
	if !a.Failing && a.Culprit() != nil {
		t.Fatalf("trace %s does not fail, yet has fatal origin %+v", tr.ID, a.Culprit())
	}
	var sum time.Duration
	for _, st := range a.SelfTime {
		sum += st.Time
	}
	if a.CriticalPath != nil && sum != a.Duration {
		t.Fatalf("trace %s: critical time %s, duration %s", tr.ID, sum, a.Duration)
	}
}

func checkRanking(t *testing.T, name string, analyses []TraceAnalysis, ranks []ServiceRank) {
	t.Helper()
	seen := map[string]bool{}
	for k, r := range ranks {
		if seen[r.Name] {
			t.Fatalf("%s: %s ranked twice", name, r.Name)
		}
		seen[r.Name] = true
		if !slices.Contains([]Role{RoleCulprit, RolePropagating, RoleEntry, RoleImpacted}, r.Role) {
			t.Fatalf("%s: %s has role %q", name, r.Name, r.Role)
		}
		if r.Score < 0 || math.IsNaN(r.Score) || math.IsInf(r.Score, 0) {
			t.Fatalf("%s: %s scores %v", name, r.Name, r.Score)
		}
		if k > 0 && (ranks[k-1].Score < r.Score || ranks[k-1].Score == r.Score && ranks[k-1].Name > r.Name) {
			t.Fatalf("%s: %s (%v) ranked after %s (%v)", name, r.Name, r.Score, ranks[k-1].Name, ranks[k-1].Score)
		}
	}
	// Every service a failing trace names has a row.
	for k := range analyses {
		a := &analyses[k]
		if c := a.Culprit(); c != nil && c.Service != "" && !seen[c.Service] {
			t.Fatalf("%s: culprit candidate %s of %s has no row", name, c.Service, a.TraceID)
		}
	}
}
