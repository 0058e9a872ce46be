package sim

import (
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// TestScenariosChangeTheTruth: the truth follows the scenario's parameters,
// recounted from the traces each time.
func TestScenariosChangeTheTruth(t *testing.T) {
	tests := []struct {
		name       string
		edit       func(*Scenario)
		culprit    string
		caller     string
		path       []string
		inSegment  func(UserTruth) bool
		rootRoute  string // every failing root's span name, when set
		plantedKey string
	}{
		{
			name: "instrumented inventory fails for premium users",
			edit: func(s *Scenario) {
				s.ErrorService, s.ErrorSegment, s.SlowService = "inventory", "user.tier=premium", ""
			},
			culprit: "inventory", caller: "storefront", path: []string{"storefront", "inventory"},
			inSegment:  func(u UserTruth) bool { return u.Tier == "premium" },
			plantedKey: "k8s.node.name",
		},
		{
			name:    "catalog database times out for us-east",
			edit:    func(s *Scenario) { s.ErrorService, s.ErrorSegment = "catalog-db", "user.region=us-east" },
			culprit: "catalog-db", caller: "catalog", path: []string{"storefront", "catalog", "catalog-db"},
			inSegment:  func(u UserTruth) bool { return u.Region == "us-east" },
			plantedKey: "k8s.node.name",
		},
		{
			name: "session cache fails logins on a canary version",
			edit: func(s *Scenario) {
				s.ErrorService, s.ErrorSegment, s.ErrorRate, s.Planted = "session-cache", "http.route=/login", 0.9, "service.version=2.0.0-rc.1"
			},
			culprit: "session-cache", caller: "auth", path: []string{"storefront", "auth", "session-cache"},
			inSegment: func(UserTruth) bool { return true }, rootRoute: "POST /login",
			plantedKey: "service.version",
		},
		{
			name:    "the asynchronous consumer fails in its own traces",
			edit:    func(s *Scenario) { s.ErrorService = "notifications" },
			culprit: "notifications", caller: "", path: []string{"notifications"},
			inSegment:  func(u UserTruth) bool { return u.Region == "eu-west" },
			rootRoute:  "process order-events",
			plantedKey: "k8s.node.name",
		},
		{
			name:    "payments itself fails for everyone",
			edit:    func(s *Scenario) { s.ErrorService, s.ErrorSegment, s.ErrorRate, s.Seed = "payments", "", 0.3, 7 },
			culprit: "payments", caller: "checkout", path: []string{"storefront", "checkout", "payments"},
			inSegment: func(UserTruth) bool { return true }, rootRoute: "POST /checkout",
			plantedKey: "k8s.node.name",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc := DefaultScenario()
			tc.edit(&sc)
			inc := mustGenerate(t, sc)
			gt := inc.Truth()
			if gt.Culprit != tc.culprit || gt.CulpritCaller != tc.caller || !slices.Equal(gt.Path, tc.path) {
				t.Fatalf("culprit %s via %s on %v; want %s via %s on %v", gt.Culprit, gt.CulpritCaller, gt.Path, tc.culprit, tc.caller, tc.path)
			}
			if len(gt.Users) == 0 || len(gt.FailingTraceIDs) < 20 {
				t.Fatalf("%d failing traces, %d users", len(gt.FailingTraceIDs), len(gt.Users))
			}
			for _, u := range gt.Users {
				if !tc.inSegment(u) {
					t.Errorf("user %+v failed outside the segment %s", u, sc.ErrorSegment)
				}
			}
			if tc.rootRoute != "" {
				v := viewOf(inc.PTraces())
				for _, id := range gt.FailingTraceIDs {
					if name := v.traces[v.byID[id]].root.Name(); name != tc.rootRoute {
						t.Fatalf("failing trace %s is rooted at %q, want %q", id, name, tc.rootRoute)
					}
				}
			}
			d := gt.Difference
			if d.Attribute != tc.plantedKey || d.FailingShare < d.BaselineShare+0.4 {
				t.Errorf("planted difference %+v: the failing share must dwarf the baseline", d)
			}
			if slices.Contains(gt.Path, sc.NoiseService) {
				t.Errorf("noise service %s on the path %v", sc.NoiseService, gt.Path)
			}
		})
	}
}

func TestNoFaultMeansNoFailures(t *testing.T) {
	sc := DefaultScenario()
	sc.ErrorService, sc.SlowService = "", ""
	gt := mustGenerate(t, sc).Truth()
	if len(gt.FailingTraceIDs) != 0 || gt.Culprit != "" || len(gt.Users) != 0 || !gt.IncidentStart.IsZero() {
		t.Fatalf("no fault, yet %d failing traces, culprit %q, %d users", len(gt.FailingTraceIDs), gt.Culprit, len(gt.Users))
	}
	if len(gt.NoiseTraceIDs) == 0 {
		t.Error("noise should remain without a fault")
	}
}

func TestSlowServiceMakesSlowTraces(t *testing.T) {
	sc := DefaultScenario()
	sc.ErrorService = ""
	inc := mustGenerate(t, sc)
	gt := inc.Truth()
	v := viewOf(inc.PTraces())
	if len(gt.SlowTraceIDs) < 100 {
		t.Fatalf("only %d slow traces", len(gt.SlowTraceIDs))
	}
	for _, id := range gt.SlowTraceIDs[:50] {
		tv := v.traces[v.byID[id]]
		found := false
		for _, s := range tv.spans {
			d := s.EndTimestamp().AsTime().Sub(s.StartTimestamp().AsTime())
			if s.svc() == "inventory" && s.Kind() == ptrace.SpanKindServer && d >= sc.SlowBy {
				found = true
			}
		}
		if !found {
			t.Fatalf("slow trace %s has no slow inventory span", id)
		}
	}
	sc.SlowService = ""
	if n := len(mustGenerate(t, sc).Truth().SlowTraceIDs); n > len(gt.SlowTraceIDs)/10 {
		t.Errorf("without the slow service, still %d slow traces", n)
	}
}

func TestScenarioValidation(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Scenario)
		want string
	}{
		{"too few users", func(s *Scenario) { s.Users = 50 }, "Users=50"},
		{"incident after the window", func(s *Scenario) { s.IncidentAfter = 20 * time.Minute }, "IncidentAfter"},
		{"unknown service", func(s *Scenario) { s.ErrorService = "mainframe" }, `ErrorService="mainframe"`},
		{"unknown noise service", func(s *Scenario) { s.NoiseService = "x" }, "NoiseService"},
		{"segment without value", func(s *Scenario) { s.ErrorSegment = "user.region" }, "want key=value"},
		{"segment on an unknown key", func(s *Scenario) { s.ErrorSegment = "user.shoe=42" }, "ErrorSegment key"},
		{"slow segment without value", func(s *Scenario) { s.SlowSegment = "user.tier=" }, "SlowSegment"},
		{"slow segment on an unknown key", func(s *Scenario) { s.SlowSegment = "k8s.node.name=node-1" }, "SlowSegment key"},
		{"rate above one", func(s *Scenario) { s.ErrorRate = 1.5 }, "ErrorRate=1.5"},
		{"negative rate", func(s *Scenario) { s.NoiseRate = -0.1 }, "NoiseRate"},
		{"planted without value", func(s *Scenario) { s.Planted = "k8s.node.name=" }, "Planted"},
		{"planted service name", func(s *Scenario) { s.Planted = "service.name=x" }, "service.name"},
		{"too many requests", func(s *Scenario) { s.RPS = 1e6 }, "requests"},
		{"negative batch", func(s *Scenario) { s.BatchSize = -1 }, "BatchSize=-1"},
		{"huge batch", func(s *Scenario) { s.BatchSize = 10_000 }, "BatchSize=10000"},
		{"notifications without its consumer", func(s *Scenario) { s.BatchSize, s.ErrorService = 8, "notifications" }, `ErrorService="notifications"`},
		{"too many retries", func(s *Scenario) { s.Retries = 9 }, "Retries=9"},
		{"faulty pod of a peer", func(s *Scenario) { s.FaultyPod = true }, `FaultyPod with ErrorService="ledger-db"`},
		{"faulty pod unmarked", func(s *Scenario) { s.FaultyPod, s.ErrorService, s.Planted = true, "payments", "" }, "FaultyPod needs Planted"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc := DefaultScenario()
			tc.edit(&sc)
			_, err := Generate(sc, testNow)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error naming %q", err, tc.want)
			}
		})
	}
}

func TestZeroFieldsTakeDefaults(t *testing.T) {
	gt := mustGenerate(t, Scenario{Seed: 3}).Truth()
	d := DefaultScenario()
	got := gt.Scenario
	if got.Users != d.Users || got.Window != d.Window || got.IncidentAfter != d.IncidentAfter || got.RPS != d.RPS || got.ErrorRate != d.ErrorRate {
		t.Fatalf("normalised scenario %+v, want the defaults", got)
	}
	if got.ErrorService != "" || len(gt.FailingTraceIDs) != 0 {
		t.Fatalf("an empty ErrorService must turn the fault off, got %d failing traces", len(gt.FailingTraceIDs))
	}
	if gt.End.Sub(gt.Start) != d.Window || !gt.End.Equal(testNow) {
		t.Fatalf("window %s – %s, want %s ending at %s", gt.Start, gt.End, d.Window, testNow)
	}
}
