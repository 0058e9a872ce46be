package triage

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"testing"
	"time"
)

// toleratedRecs is a healthy request during which recommendations failed
// and storefront carried on without it.
func toleratedRecs(id string) *Trace {
	return buildTrace(id,
		spanSpec{id: "a", svc: "storefront", name: "GET /product/{id}", kind: KindServer, start: 0, end: 50, attrs: Attrs{{"enduser.id", "u-2"}}},
		spanSpec{id: "b", parent: "a", svc: "storefront", name: "GET /v1/recommendations", kind: KindClient, start: 1, end: 49, err: true},
		spanSpec{id: "c", parent: "b", svc: "recommendations", name: "GET /v1/recommendations", kind: KindServer, start: 2, end: 48, err: true, msg: "model inference failed"},
	)
}

// slowInventory is a healthy request that waited 1.5s on inventory.
func slowInventory(id, user string) *Trace {
	return buildTrace(id,
		spanSpec{id: "a", svc: "storefront", name: "GET /product/{id}", kind: KindServer, start: 0, end: 1600, attrs: Attrs{{"enduser.id", user}}},
		spanSpec{id: "b", parent: "a", svc: "storefront", kind: KindClient, start: 10, end: 1590},
		spanSpec{id: "c", parent: "b", svc: "inventory", name: "GetStock", kind: KindServer, start: 11, end: 1589},
	)
}

func analyseMany(n int, mk func(id string) *Trace) []TraceAnalysis {
	out := make([]TraceAnalysis, n)
	for i := range out {
		out[i] = AnalyzeTrace(mk(fmt.Sprintf("%s-%d", "t", i)), testAnalysis)
	}
	return out
}

func roleMap(ranks []ServiceRank) map[string]Role {
	m := map[string]Role{}
	for _, r := range ranks {
		m[r.Name] = r.Role
	}
	return m
}

func TestRankServices(t *testing.T) {
	failing := analyseMany(10, checkoutFailure)
	noise := analyseMany(40, toleratedRecs)
	slow := analyseMany(30, func(id string) *Trace { return slowInventory(id, "u-3") })
	tests := []struct {
		name     string
		analyses []TraceAnalysis
		kind     IncidentKind
		roles    map[string]Role
		first    string
	}{
		{
			name:     "failing traces name the culprit; noise and latency only impact",
			analyses: slices.Concat(failing, noise, slow[:5]),
			roles: map[string]Role{
				"ledger-db": RoleCulprit, "payments": RolePropagating, "checkout": RolePropagating,
				"storefront": RoleEntry, "recommendations": RoleImpacted, "inventory": RoleImpacted,
			},
			first: "ledger-db",
		},
		{
			name:     "tolerated errors alone never make a culprit",
			analyses: noise,
			roles:    map[string]Role{"recommendations": RoleImpacted},
			first:    "recommendations",
		},
		{
			name:     "with few failing traces latency decides",
			analyses: slices.Concat(slow, noise[:3]),
			roles:    map[string]Role{"inventory": RoleCulprit, "storefront": RoleEntry, "recommendations": RoleImpacted},
			first:    "inventory",
		},
		{
			name:     "an errors incident keeps latency impacted",
			analyses: slices.Concat(slow, failing[:2]),
			kind:     KindErrors,
			roles: map[string]Role{
				"ledger-db": RoleCulprit, "payments": RolePropagating, "checkout": RolePropagating,
				"storefront": RoleEntry, "inventory": RoleImpacted,
			},
			first: "ledger-db",
		},
		{
			name:     "nothing failing or slow",
			analyses: analyseMany(3, func(id string) *Trace { return buildTrace(id, spanSpec{id: "a", svc: "web", end: 5}) }),
			roles:    map[string]Role{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ranks := RankServices(tc.analyses, nil, RankOptions{Kind: tc.kind})
			checkRanking(t, tc.name, tc.analyses, ranks)
			if ranks == nil {
				t.Fatal("nil ranking: an empty one is known, not unknown")
			}
			if got := roleMap(ranks); !reflect.DeepEqual(got, tc.roles) {
				t.Errorf("roles %v, want %v", got, tc.roles)
			}
			if tc.first != "" && ranks[0].Name != tc.first {
				t.Errorf("first %s, want %s: %+v", ranks[0].Name, tc.first, ranks)
			}
			for _, r := range ranks {
				if len(r.Evidence) == 0 || len(r.Evidence) > 5 {
					t.Errorf("%s has %d evidence trace ids", r.Name, len(r.Evidence))
				}
			}
		})
	}
}

func TestRankServicesCounts(t *testing.T) {
	as := slices.Concat(analyseMany(10, checkoutFailure), analyseMany(4, func(id string) *Trace { return slowInventory(id, "u") }))
	ranks := RankServices(as, nil, RankOptions{})
	byName := map[string]ServiceRank{}
	for _, r := range ranks {
		byName[r.Name] = r
	}
	ledger := byName["ledger-db"]
	if ledger.FailingTraces != 10 || ledger.SlowTraces != 0 || !ledger.Uninstrumented || ledger.Score != 10 {
		t.Errorf("ledger-db %+v", ledger)
	}
	if p := byName["payments"]; p.Uninstrumented || p.Score <= byName["checkout"].Score || byName["checkout"].Score <= byName["storefront"].Score {
		t.Errorf("payments %v, checkout %v, storefront %v: propagation nearest the culprit should weigh most", p.Score, byName["checkout"].Score, byName["storefront"].Score)
	}
	if inv := byName["inventory"]; inv.SlowTraces != 4 || inv.FailingTraces != 0 {
		t.Errorf("inventory %+v", inv)
	}
	if sf := byName["storefront"]; sf.FailingTraces != 10 {
		t.Errorf("storefront %+v", sf)
	}
}

func TestRankServicesJoinsRED(t *testing.T) {
	// Two culprits with the same traces: the one whose error ratio rose wins.
	mk := func(svc string) func(string) *Trace {
		return func(id string) *Trace {
			return buildTrace(id,
				spanSpec{id: "a", svc: "web", kind: KindServer, end: 10, err: true},
				spanSpec{id: "b", parent: "a", svc: svc, kind: KindServer, start: 1, end: 9, err: true},
			)
		}
	}
	as := slices.Concat(analyseMany(5, mk("alpha")), analyseMany(5, mk("beta")))
	f := func(v float64) *float64 { return &v }
	red := map[string]RED{
		"beta":  {ErrorRatio: f(0.42), ErrorRatioBaseline: f(0.02), FailedPerS: f(12.4), P99MS: f(2100)},
		"alpha": {ErrorRatio: f(math.NaN()), ErrorRatioBaseline: f(0.01)},
		"web":   {ErrorRatio: f(0.1)},
	}
	ranks := RankServices(as, red, RankOptions{})
	if ranks[0].Name != "beta" || ranks[0].Role != RoleCulprit || ranks[1].Name != "alpha" || ranks[1].Role != RoleCulprit {
		t.Fatalf("ranks %+v", ranks)
	}
	if ranks[0].Score != 5*1.4 || ranks[1].Score != 5 {
		t.Errorf("scores %v %v, want 7 and 5", ranks[0].Score, ranks[1].Score)
	}
	b := ranks[0]
	if *b.ErrorRatio != 0.42 || *b.ErrorRatioBaseline != 0.02 || *b.FailedPerS != 12.4 || *b.P99MS != 2100 {
		t.Errorf("beta RED %+v", b)
	}
	if ranks[1].ErrorRatio != nil || ranks[1].ErrorRatioBaseline == nil || ranks[1].FailedPerS != nil {
		t.Errorf("alpha: NaN must read as unknown, missing stays nil: %+v", ranks[1])
	}
	if red["beta"].ErrorRatio == b.ErrorRatio {
		t.Error("the rank shares its pointer with the caller's RED")
	}
}

func TestRankServicesMinCulpritShare(t *testing.T) {
	stray := func(id string) *Trace {
		return buildTrace(id,
			spanSpec{id: "a", svc: "web", kind: KindServer, end: 10, err: true},
			spanSpec{id: "b", parent: "a", svc: "cart", kind: KindServer, start: 1, end: 9, err: true},
		)
	}
	as := slices.Concat(analyseMany(40, checkoutFailure), analyseMany(1, stray))
	roles := roleMap(RankServices(as, nil, RankOptions{}))
	if roles["cart"] != RoleImpacted || roles["ledger-db"] != RoleCulprit {
		t.Fatalf("one stray origin in 41 traces: roles %v", roles)
	}
	roles = roleMap(RankServices(as, nil, RankOptions{MinCulpritShare: 0.01}))
	if roles["cart"] != RoleCulprit {
		t.Fatalf("with a 1%% share the stray origin is a culprit too: %v", roles)
	}
}

func TestRankUsers(t *testing.T) {
	mkUser := func(id, user string, start int, fail, slow bool) *Trace {
		end := start + 10
		if slow {
			end = start + 2000
		}
		return buildTrace(id, spanSpec{id: "a", svc: "web", kind: KindServer, start: start, end: end, err: fail,
			attrs: Attrs{{"enduser.id", user}, {"user.tier", "pro"}}})
	}
	var as []TraceAnalysis
	for i, c := range []struct {
		user       string
		start      int
		fail, slow bool
	}{
		{"u-b", 50, true, false}, {"u-a", 10, true, false}, {"u-b", 5, true, false},
		{"u-c", 30, false, true}, {"u-a", 70, false, true}, {"u-d", 40, false, false},
		{"u-e", 20, true, false},
	} {
		as = append(as, AnalyzeTrace(mkUser(fmt.Sprintf("t%d", i), c.user, c.start, c.fail, c.slow), testAnalysis))
	}
	users := RankUsers(as, UserOptions{})
	type row struct {
		id           string
		failed, slow int
		first, last  time.Time
		traces       []string
	}
	var got []row
	for _, u := range users {
		got = append(got, row{u.ID, u.Failed, u.Slow, u.FirstSeen, u.LastSeen, u.TraceIDs})
		if u.Attributes["user.tier"] != "pro" {
			t.Errorf("%s attributes %v", u.ID, u.Attributes)
		}
	}
	want := []row{
		{"u-b", 2, 0, atMS(5), atMS(50), []string{"t0", "t2"}},
		{"u-a", 1, 1, atMS(10), atMS(70), []string{"t1", "t4"}},
		{"u-e", 1, 0, atMS(20), atMS(20), []string{"t6"}},
		{"u-c", 0, 1, atMS(30), atMS(30), []string{"t3"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("users\n got %+v\nwant %+v", got, want)
	}
	capped := RankUsers(as, UserOptions{MaxTraceIDs: 1})
	if !slices.Equal(capped[1].TraceIDs, []string{"t1"}) {
		t.Errorf("capped trace ids %v: failing first", capped[1].TraceIDs)
	}
	if empty := RankUsers(nil, UserOptions{}); empty == nil || len(empty) != 0 {
		t.Errorf("no traces: %v, want an empty list", empty)
	}
}
