package sim

import (
	"math"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

func TestGenerateIsDeterministic(t *testing.T) {
	for _, p := range Presets() {
		t.Run(p.Name, func(t *testing.T) {
			a, b := mustGenerate(t, p.Scenario), mustGenerate(t, p.Scenario)
			if !reflect.DeepEqual(a.Truth(), b.Truth()) {
				t.Fatal("same seed and now gave different truths")
			}
			pa, _ := (&ptrace.ProtoMarshaler{}).MarshalTraces(a.PTraces())
			pb, _ := (&ptrace.ProtoMarshaler{}).MarshalTraces(b.PTraces())
			if string(pa) != string(pb) {
				t.Fatal("same seed and now gave different traces")
			}
			if !reflect.DeepEqual(a.Logs(), b.Logs()) {
				t.Fatal("same seed and now gave different logs")
			}
			if !slices.Equal(a.RuleFile(), b.RuleFile()) {
				t.Fatal("same seed and now gave different rules")
			}
			other := p.Scenario
			other.Seed++
			c := mustGenerate(t, other).Truth()
			if slices.Equal(a.Truth().FailingTraceIDs, c.FailingTraceIDs) && slices.Equal(a.Truth().SlowTraceIDs, c.SlowTraceIDs) {
				t.Fatal("another seed gave the same affected trace ids")
			}
		})
	}
}

// TestTruthMatchesTraces recounts each preset's ground truth from PTraces alone.
func TestTruthMatchesTraces(t *testing.T) {
	for _, p := range Presets() {
		t.Run(p.Name, func(t *testing.T) {
			inc := mustGenerate(t, p.Scenario)
			gt := inc.Truth()
			v := viewOf(inc.PTraces())
			r := recountOf(v)
			if len(v.traces) != gt.Traces {
				t.Errorf("traces: got %d in pdata, truth says %d", len(v.traces), gt.Traces)
			}
			if !slices.Equal(r.failing, gt.FailingTraceIDs) {
				t.Errorf("failing traces: recounted %d, truth has %d", len(r.failing), len(gt.FailingTraceIDs))
			}
			if !slices.Equal(r.slow, gt.SlowTraceIDs) {
				t.Errorf("slow traces: recounted %d, truth has %d", len(r.slow), len(gt.SlowTraceIDs))
			}
			if r.kind != gt.Kind || len(r.affected) < 25 { // a batch consumer's incident has fewer, larger traces
				t.Errorf("kind: recounted %q with %d affected traces, truth says %q", r.kind, len(r.affected), gt.Kind)
			}
			if !r.firstAffected.Equal(gt.IncidentStart) {
				t.Errorf("incident start: recounted %s, truth %s", r.firstAffected, gt.IncidentStart)
			}
			if gt.IncidentStart.Before(gt.Start.Add(gt.Scenario.IncidentAfter)) {
				t.Errorf("incident started %s, before the fault at %s", gt.IncidentStart, gt.Start.Add(gt.Scenario.IncidentAfter))
			}
			if len(r.services) < 8 || len(gt.Services) != len(r.services) {
				t.Errorf("services: %d in pdata, truth lists %v", len(r.services), gt.Services)
			}
			if len(r.users) < MinUsers {
				t.Errorf("only %d distinct users made requests, want at least %d", len(r.users), MinUsers)
			}
			affected := r.affectedUsers()
			if len(affected) != len(gt.Users) || gt.AffectedUsers != len(gt.Users) || gt.AffectedUsers < 40 {
				t.Errorf("affected users: recounted %d, truth lists %d and says %d; want at least 40", len(affected), len(gt.Users), gt.AffectedUsers)
			}
			for _, u := range gt.Users {
				got := affected[u.ID]
				if got == nil || got.Failed != u.Failed || got.Slow != u.Slow || got.Requests != u.Requests ||
					got.Tier != u.Tier || got.Region != u.Region || len(u.TraceIDs) != u.Failed || len(u.SlowTraceIDs) != u.Slow {
					t.Errorf("user %s: truth %+v, recounted %+v", u.ID, u, got)
				}
			}
			rank := func(u UserTruth) int { return u.Failed }
			if gt.Kind == KindLatency {
				rank = func(u UserTruth) int { return u.Slow }
			}
			if !sort.SliceIsSorted(gt.Users, func(a, b int) bool { return rank(gt.Users[a]) > rank(gt.Users[b]) }) {
				t.Error("users are not ranked most affected first")
			}
			if c, n := top(r.blamed); c != gt.Culprit || n < len(r.affected)*95/100 {
				t.Errorf("culprit: recounted %s in %d/%d affected traces, truth says %s", c, n, len(r.affected), gt.Culprit)
			}
			if c, _ := top(r.slowBlamed); c != gt.SlowCulprit {
				t.Errorf("slow culprit: recounted %q, truth says %q", c, gt.SlowCulprit)
			}
			if len(gt.Path) == 0 || gt.Path[len(gt.Path)-1] != gt.Culprit || gt.Path[0] != gt.AlertService {
				t.Errorf("path %v does not lead from the alerted %s to culprit %s", gt.Path, gt.AlertService, gt.Culprit)
			}

			logs := inc.Logs()
			errs := 0
			for _, l := range logs {
				if l.Level == "error" {
					errs++
				}
				if l.TraceID != "" {
					if _, ok := v.byID[l.TraceID]; !ok {
						t.Fatalf("log line points at unknown trace %s: %s", l.TraceID, l.Line)
					}
				}
			}
			if len(logs) != gt.LogLines || errs != gt.ErrorLogLines {
				t.Errorf("logs: %d lines, %d errors; truth says %d, %d", len(logs), errs, gt.LogLines, gt.ErrorLogLines)
			}
		})
	}
}

func TestDefaultCulpritPathIsAsPlanted(t *testing.T) {
	gt := mustGenerate(t, DefaultScenario()).Truth()
	want := GroundTruth{
		Culprit: "ledger-db", CulpritCaller: "payments", EntryService: "storefront",
		Path: []string{"storefront", "checkout", "payments", "ledger-db"},
	}
	if gt.Culprit != want.Culprit || gt.CulpritCaller != want.CulpritCaller || gt.EntryService != want.EntryService || !slices.Equal(gt.Path, want.Path) {
		t.Fatalf("culprit %s via %s on %v from %s; want %s via %s on %v from %s",
			gt.Culprit, gt.CulpritCaller, gt.Path, gt.EntryService, want.Culprit, want.CulpritCaller, want.Path, want.EntryService)
	}
	if !slices.Contains(gt.Uninstrumented, "ledger-db") || slices.Contains(gt.Services, "ledger-db") {
		t.Errorf("ledger-db must be uninstrumented: services %v, uninstrumented %v", gt.Services, gt.Uninstrumented)
	}
	for _, r := range []string{"POST /checkout", "GET /product/{id}", "GET /cart", "POST /login"} {
		if !slices.Contains(gt.EntryRoutes, r) {
			t.Errorf("entry routes %v lack %s", gt.EntryRoutes, r)
		}
	}
	for _, u := range gt.Users {
		if u.Region != "eu-west" {
			t.Errorf("user %s in %s failed; only eu-west should", u.ID, u.Region)
		}
	}
	d := gt.Difference
	if d.Attribute != "k8s.node.name" || d.Value != "node-7" || d.FailingShare < 0.8 || d.BaselineShare > 0.4 {
		t.Errorf("planted difference %+v, want node-7 in most failing and few baseline traces", d)
	}
	if s := gt.SegmentDifference; s.FailingShare != 1 || s.BaselineShare > 0.5 {
		t.Errorf("segment difference %+v, want every failing trace in eu-west", s)
	}
	if len(gt.LogPatterns) == 0 || !strings.Contains(gt.LogPatterns[0], "timeout acquiring connection from pool") {
		t.Errorf("log patterns %q, want the pool timeout first", gt.LogPatterns)
	}
}

// TestDifferenceRecount recomputes the planted and the segment differences
// of each preset from resources and entry spans.
func TestDifferenceRecount(t *testing.T) {
	for _, p := range Presets() {
		t.Run(p.Name, func(t *testing.T) {
			inc := mustGenerate(t, p.Scenario)
			gt := inc.Truth()
			v := viewOf(inc.PTraces())
			r := recountOf(v)
			origin := gt.Culprit
			if slices.Contains(gt.Uninstrumented, gt.Culprit) {
				origin = gt.CulpritCaller
			}
			healthy := func(tv traceView) bool { return !tv.root.failed() && (gt.Kind != KindLatency || !tv.isSlow()) }
			d := gt.Difference
			var fail, failHit, base, baseHit, segFail, segFailHit, segBase, segBaseHit int
			for _, tv := range v.traces {
				segHit := b2i(tv.root.str(gt.SegmentDifference.Attribute) == gt.SegmentDifference.Value)
				entry := tv.root.Kind() == ptrace.SpanKindServer
				switch {
				case r.affected[tv.id]:
					if s, ok := culpritSpanOf(tv, gt); ok {
						fail++
						failHit += b2i(s.resStr(d.Attribute) == d.Value)
					}
					if entry {
						segFail++
						segFailHit += segHit
					}
				case healthy(tv):
					// The origin service's first span: a retried call has several.
					var first pspan
					found := false
					for _, s := range tv.spans {
						if s.svc() == origin && (!found || s.StartTimestamp() < first.StartTimestamp()) {
							first, found = s, true
						}
					}
					if found {
						base++
						baseHit += b2i(first.resStr(d.Attribute) == d.Value)
					}
					if entry {
						segBase++
						segBaseHit += segHit
					}
				}
			}
			planted, _, _ := strings.Cut(p.Scenario.Planted, "=")
			// A batch consumer's incident has fewer, larger traces.
			if d.Attribute != planted || fail < 25 {
				t.Fatalf("planted difference %+v over %d affected traces, want %s", d, fail, p.Scenario.Planted)
			}
			if got := share(failHit, fail); math.Abs(got-d.FailingShare) > 1e-12 {
				t.Errorf("failing share: recounted %v, truth %v", got, d.FailingShare)
			}
			if got := share(baseHit, base); math.Abs(got-d.BaselineShare) > 1e-12 {
				t.Errorf("baseline share: recounted %v, truth %v", got, d.BaselineShare)
			}
			if sd := gt.SegmentDifference; sd.Attribute != "" {
				if got := share(segFailHit, segFail); math.Abs(got-sd.FailingShare) > 1e-12 || sd.FailingShare != 1 {
					t.Errorf("segment failing share: recounted %v, truth %v, want 1", got, sd.FailingShare)
				}
				if got := share(segBaseHit, segBase); math.Abs(got-sd.BaselineShare) > 1e-12 {
					t.Errorf("segment baseline share: recounted %v, truth %v", got, sd.BaselineShare)
				}
			}
		})
	}
}

func TestSpanLinkPointsAtProducer(t *testing.T) {
	inc := mustGenerate(t, DefaultScenario())
	gt := inc.Truth()
	v := viewOf(inc.PTraces())
	consumers := 0
	for _, tv := range v.traces {
		root := tv.root
		if root.Kind() != ptrace.SpanKindConsumer {
			continue
		}
		consumers++
		if root.Links().Len() != 1 {
			t.Fatalf("consumer span %s has %d links, want 1", root.SpanID(), root.Links().Len())
		}
		l := root.Links().At(0)
		p, ok := v.spans[l.SpanID()]
		if !ok || p.TraceID() != l.TraceID() {
			t.Fatalf("link of %s points at a missing span %s/%s", root.SpanID(), l.TraceID(), l.SpanID())
		}
		if p.TraceID() == root.TraceID() || p.Kind() != ptrace.SpanKindProducer {
			t.Fatalf("link target %s: kind %s in trace %s; want a PRODUCER in another trace", p.SpanID(), p.Kind(), p.TraceID())
		}
		if p.str("messaging.destination.name") != root.str("messaging.destination.name") || p.str("messaging.system") != "kafka" {
			t.Fatalf("producer and consumer disagree on the topic: %q vs %q", p.str("messaging.destination.name"), root.str("messaging.destination.name"))
		}
		if p.svc() != gt.Messaging.Producer || root.svc() != gt.Messaging.Consumer || root.str("messaging.destination.name") != gt.Messaging.Topic {
			t.Fatalf("messaging truth %+v disagrees with %s → %s", gt.Messaging, p.svc(), root.svc())
		}
	}
	if consumers == 0 || gt.Messaging.Topic != "order-events" {
		t.Fatalf("%d consumer traces, messaging truth %+v", consumers, gt.Messaging)
	}
}

func TestNoiseIsOffTheCulpritPath(t *testing.T) {
	inc := mustGenerate(t, DefaultScenario())
	gt := inc.Truth()
	v := viewOf(inc.PTraces())
	if len(gt.NoiseTraceIDs) == 0 || !slices.Equal(gt.NoiseOrigins, []string{"recommendations"}) {
		t.Fatalf("noise: %d traces from %v, want some from recommendations", len(gt.NoiseTraceIDs), gt.NoiseOrigins)
	}
	for _, o := range gt.NoiseOrigins {
		if slices.Contains(gt.Path, o) {
			t.Errorf("noise origin %s is on the culprit path %v", o, gt.Path)
		}
	}
	for _, id := range gt.NoiseTraceIDs {
		tv := v.traces[v.byID[id]]
		if tv.root.failed() {
			t.Fatalf("noise trace %s failed at the root", id)
		}
		for _, o := range tv.origins() {
			if !slices.Contains(gt.NoiseOrigins, blame(o)) {
				t.Fatalf("noise trace %s has an error from %s", id, blame(o))
			}
		}
	}
}

// TestSpansFollowSemanticConventions spot-checks the attributes the ranking
// model reads.
func TestSpansFollowSemanticConventions(t *testing.T) {
	inc := mustGenerate(t, DefaultScenario())
	v := viewOf(inc.PTraces())
	tv := v.traces[v.byID[inc.Truth().Users[0].TraceIDs[0]]]
	need := func(s pspan, keys ...string) {
		for _, k := range keys {
			if s.str(k) == "" {
				t.Errorf("%s span %q lacks %s", s.svc(), s.Name(), k)
			}
		}
	}
	for _, k := range []string{"service.name", "service.version", "deployment.environment.name", "k8s.pod.name", "k8s.node.name", "cloud.region"} {
		if tv.root.resStr(k) == "" {
			t.Errorf("resource lacks %s", k)
		}
	}
	need(tv.root, "http.request.method", "http.route", "http.response.status_code", "enduser.id", "user.tier", "user.region")
	dbSpans := 0
	for _, s := range tv.spans {
		if s.failed() && (s.Events().Len() == 0 || s.Events().At(0).Name() != "exception") {
			t.Errorf("failed span %s/%q has no exception event", s.svc(), s.Name())
		}
		switch {
		case s.Kind() == ptrace.SpanKindServer:
			need(s, "enduser.id")
		case s.str("db.system") == "postgresql":
			dbSpans++
			need(s, "db.name", "db.operation.name", "server.address", "peer.service")
			if !s.failed() || s.str("server.address") != "ledger-db" || !strings.Contains(s.Status().Message(), "timeout") {
				t.Errorf("ledger-db span %q: failed=%v msg=%q", s.Name(), s.failed(), s.Status().Message())
			}
		case s.Kind() == ptrace.SpanKindClient && s.str("rpc.system") == "grpc":
			need(s, "rpc.service", "rpc.method", "server.address")
		}
	}
	if dbSpans == 0 {
		t.Error("failing checkout has no database span")
	}
	if code, _ := tv.root.Attributes().Get("http.response.status_code"); code.Int() < 500 {
		t.Errorf("failing entry span answered %d", code.Int())
	}
}

func TestLogPatternsMatchCulpritLines(t *testing.T) {
	inc := mustGenerate(t, DefaultScenario())
	gt := inc.Truth()
	failing := map[string]bool{}
	for _, id := range gt.FailingTraceIDs {
		failing[id] = true
	}
	for _, p := range gt.LogPatterns {
		re := regexp.MustCompile("^" + strings.ReplaceAll(regexp.QuoteMeta(p), "<_>", ".*") + "$")
		n := 0
		for _, l := range inc.Logs() {
			if l.Service == gt.CulpritCaller && failing[l.TraceID] && re.MatchString(l.Line) {
				n++
			}
		}
		if n < len(gt.FailingTraceIDs)/2 {
			t.Errorf("pattern %q matches %d lines of %d failing traces", p, n, len(gt.FailingTraceIDs))
		}
	}
	for _, l := range inc.Logs() {
		if !strings.HasPrefix(l.Line, "level="+l.Level+" ") {
			t.Fatalf("line does not start with its level: %q", l.Line)
		}
	}
}

// TestDefaultScenarioSize: 15 minutes at 4 requests a second. How long
// generating takes is BenchmarkGenerate's.
func TestDefaultScenarioSize(t *testing.T) {
	inc := mustGenerate(t, DefaultScenario())
	if n := inc.Truth().EntryTraces; n < 3000 || n > 4200 {
		t.Errorf("%d entry traces for 15m at 4 rps", n)
	}
}

func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		if _, err := Generate(DefaultScenario(), testNow); err != nil {
			b.Fatal(err)
		}
	}
}
