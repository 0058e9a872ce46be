package sim

import (
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// TestPresetsAsDescribed: each preset's truth names the culprit its
// parameters plant, and every preset is usable for the accuracy checks.
func TestPresetsAsDescribed(t *testing.T) {
	tests := []struct {
		name, kind, culprit, caller string
		path                        []string
		alert, alertService         string
		inSegment                   func(UserTruth) bool
	}{
		{"db-region", KindError, "ledger-db", "payments", []string{"storefront", "checkout", "payments", "ledger-db"},
			"HighErrorRate", "storefront", func(u UserTruth) bool { return u.Region == "eu-west" }},
		{"cache-tier", KindLatency, "session-cache", "auth", []string{"storefront", "auth", "session-cache"},
			"HighLatency", "storefront", func(u UserTruth) bool { return u.Tier == "free" }},
		{"consumer", KindError, "notifications", "", []string{"notifications"},
			"HighErrorRate", "notifications", func(UserTruth) bool { return true }},
		{"noise", KindError, "inventory", "storefront", []string{"storefront", "inventory"},
			"HighErrorRate", "storefront", func(u UserTruth) bool { return u.Region == "us-east" }},
		{"batch-consumer", KindError, "notifier", "", []string{"notifier"},
			"HighErrorRate", "notifier", func(UserTruth) bool { return true }},
		{"retry", KindError, "payments", "checkout", []string{"storefront", "checkout", "payments"},
			"HighErrorRate", "storefront", func(UserTruth) bool { return true }},
	}
	presets := Presets()
	if len(presets) != len(tests) {
		t.Fatalf("%d presets, want %d", len(presets), len(tests))
	}
	for k, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := presets[k]
			if p.Name != tc.name || p.Scenario.Name != tc.name || p.Description == "" || strings.Contains(p.Description, "\n") {
				t.Fatalf("preset %d is %q (scenario %q, description %q)", k, p.Name, p.Scenario.Name, p.Description)
			}
			if sc, err := PresetScenario(tc.name); err != nil || sc != p.Scenario {
				t.Fatalf("PresetScenario(%q) = %+v, %v", tc.name, sc, err)
			}
			// How long generating takes is BenchmarkGeneratePresets'.
			inc := mustGenerate(t, p.Scenario)
			gt := inc.Truth()
			if gt.Kind != tc.kind || gt.Culprit != tc.culprit || gt.CulpritCaller != tc.caller || !slices.Equal(gt.Path, tc.path) {
				t.Fatalf("%s incident, culprit %s via %q on %v; want %s, %s via %q on %v",
					gt.Kind, gt.Culprit, gt.CulpritCaller, gt.Path, tc.kind, tc.culprit, tc.caller, tc.path)
			}
			if gt.AlertName != tc.alert || gt.AlertService != tc.alertService {
				t.Errorf("alert %s on %s, want %s on %s", gt.AlertName, gt.AlertService, tc.alert, tc.alertService)
			}
			if gt.AffectedUsers < 40 || gt.AffectedUsers != len(gt.Users) {
				t.Errorf("%d affected users (%d listed), want at least 40", gt.AffectedUsers, len(gt.Users))
			}
			for _, u := range gt.Users {
				if !tc.inSegment(u) {
					t.Errorf("user %+v affected outside the segment", u)
				}
			}
			d := gt.Difference
			if k, v, _ := strings.Cut(p.Scenario.Planted, "="); d.Attribute != k || d.Value != v || d.FailingShare < 0.85 || d.FailingShare < d.BaselineShare+0.5 {
				t.Errorf("planted difference %+v: want %s in most affected traces, far above the baseline", d, p.Scenario.Planted)
			}
			if len(gt.NoiseOrigins) == 0 {
				t.Error("every preset keeps background noise")
			}
			for _, o := range gt.NoiseOrigins {
				if o == gt.Culprit || slices.Contains(gt.Path, o) {
					t.Errorf("noise origin %s is the culprit or on its path %v", o, gt.Path)
				}
			}
			if len(gt.LogPatterns) == 0 {
				t.Error("no culprit log patterns")
			}
		})
	}
	if _, err := PresetScenario("nope"); err == nil || !strings.Contains(err.Error(), "db-region") {
		t.Errorf("unknown preset: got %v, want the known names", err)
	}
	if d := DefaultScenario(); d != presets[0].Scenario {
		t.Error("the first preset must be the default scenario")
	}
}

func TestCacheTierIsALatencyIncident(t *testing.T) {
	sc, _ := PresetScenario("cache-tier")
	inc := mustGenerate(t, sc)
	gt := inc.Truth()
	v := viewOf(inc.PTraces())
	if len(gt.FailingTraceIDs) != 0 || gt.SlowCulprit != "session-cache" {
		t.Fatalf("%d failing traces, slow culprit %q; want none and session-cache", len(gt.FailingTraceIDs), gt.SlowCulprit)
	}
	for _, id := range gt.SlowTraceIDs {
		tv := v.traces[v.byID[id]]
		s := tv.slowest()
		d := s.EndTimestamp().AsTime().Sub(s.StartTimestamp().AsTime())
		if s.Kind() != ptrace.SpanKindClient || s.str("peer.service") != "session-cache" || s.str("db.system") != "redis" || d < sc.SlowBy {
			t.Fatalf("slow trace %s spends most in %s %q (%s), want a session-cache call of at least %s", id, s.svc(), s.Name(), d, sc.SlowBy)
		}
		if tier := tv.root.str("user.tier"); tier != "free" {
			t.Fatalf("slow trace %s is for a %s user", id, tier)
		}
	}
	if !strings.Contains(gt.LogPatterns[0], "slow redis command") {
		t.Errorf("log patterns %q, want the slow redis warning first", gt.LogPatterns)
	}
	if s := gt.SegmentDifference; s.Attribute != "user.tier" || s.Value != "free" || s.BaselineShare > 0.6 {
		t.Errorf("segment difference %+v, want free tier in every slow trace, far fewer healthy ones", s)
	}
}

func TestConsumerFailsBehindTheHop(t *testing.T) {
	sc, _ := PresetScenario("consumer")
	inc := mustGenerate(t, sc)
	gt := inc.Truth()
	v := viewOf(inc.PTraces())
	var links []MessageLink
	consumers := 0
	for _, tv := range v.traces {
		if tv.root.Kind() == ptrace.SpanKindConsumer {
			consumers++
		}
	}
	for _, id := range gt.FailingTraceIDs {
		tv := v.traces[v.byID[id]]
		root := tv.root
		if root.Kind() != ptrace.SpanKindConsumer || root.svc() != "notifications" || root.str("enduser.id") == "" || root.Links().Len() != 1 {
			t.Fatalf("failing trace %s: root %s %s %q, user %q, %d links; want a notifications consumer with a user and a link",
				id, root.svc(), root.Kind(), root.Name(), root.str("enduser.id"), root.Links().Len())
		}
		origins := tv.origins()
		if len(origins) != 1 || origins[0].Kind() != ptrace.SpanKindInternal || origins[0].svc() != "notifications" {
			t.Fatalf("failing trace %s starts failing in %v, want the consumer's own render span", id, origins)
		}
		l := root.Links().At(0)
		p, ok := v.spans[l.SpanID()]
		if !ok || p.Kind() != ptrace.SpanKindProducer || p.svc() != "checkout" || p.Name() != gt.Messaging.ProducerSpan {
			t.Fatalf("failing trace %s links to %s %q, want checkout's producer span", id, p.svc(), p.Name())
		}
		if pt := v.traces[v.byID[p.TraceID().String()]]; pt.root.failed() || pt.root.Name() != gt.Messaging.ProducerRoot {
			t.Fatalf("producer trace %s failed=%v root %q; the failure starts behind the hop", pt.id, pt.root.failed(), pt.root.Name())
		}
		links = append(links, MessageLink{ConsumerTraceID: id, ProducerTraceID: l.TraceID().String(), ProducerSpanID: l.SpanID().String()})
	}
	m := gt.Messaging
	if !slices.Equal(links, m.FailingLinks) || m.FailingProducers != 0 || m.ConsumerTraces != consumers {
		t.Errorf("messaging truth: %d failing links, %d failing producers, %d consumer traces; recounted %d, 0, %d",
			len(m.FailingLinks), m.FailingProducers, m.ConsumerTraces, len(links), consumers)
	}
	if m.Producer != "checkout" || m.Consumer != "notifications" || m.Topic != "order-events" || m.ProducerRoot != "POST /checkout" {
		t.Errorf("messaging truth %+v", m)
	}
}

func TestNoiseDominatesTheErrors(t *testing.T) {
	sc, _ := PresetScenario("noise")
	inc := mustGenerate(t, sc)
	gt := inc.Truth()
	v := viewOf(inc.PTraces())
	errSpans := map[string]int{} // by the service each error span blames
	for _, tv := range v.traces {
		for _, s := range tv.spans {
			if s.failed() {
				errSpans[blame(s)]++
			}
		}
		if tv.root.failed() {
			for _, o := range tv.origins() {
				if blame(o) != gt.Culprit {
					t.Fatalf("failing trace %s has an origin in %s", tv.id, blame(o))
				}
			}
		}
	}
	if errSpans["recommendations"] < 2*errSpans[gt.Culprit] {
		t.Errorf("error spans: %d blame recommendations, %d the culprit %s; the noise must dominate", errSpans["recommendations"], errSpans[gt.Culprit], gt.Culprit)
	}
	errLines := map[string]int{}
	for _, l := range inc.Logs() {
		if l.Level == "error" {
			errLines[l.Service]++
		}
	}
	if errLines["recommendations"] <= errLines[gt.Culprit] {
		t.Errorf("error lines: %v; recommendations must log more than %s", errLines, gt.Culprit)
	}
	if !slices.Equal(gt.NoiseOrigins, []string{"recommendations"}) || len(gt.NoiseTraceIDs) < 3*len(gt.FailingTraceIDs) {
		t.Errorf("noise: %d traces from %v against %d failing", len(gt.NoiseTraceIDs), gt.NoiseOrigins, len(gt.FailingTraceIDs))
	}
}

func BenchmarkGeneratePresets(b *testing.B) {
	for _, p := range Presets() {
		b.Run(p.Name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Generate(p.Scenario, testNow); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
