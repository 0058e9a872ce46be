package sim

import (
	"math"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

func TestGenerateIsDeterministic(t *testing.T) {
	a, b := mustGenerate(t, DefaultScenario()), mustGenerate(t, DefaultScenario())
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
	other := DefaultScenario()
	other.Seed++
	c := mustGenerate(t, other)
	if slices.Equal(a.Truth().FailingTraceIDs, c.Truth().FailingTraceIDs) {
		t.Fatal("another seed gave the same failing trace ids")
	}
}

// TestTruthMatchesTraces recounts the ground truth from PTraces alone.
func TestTruthMatchesTraces(t *testing.T) {
	inc := mustGenerate(t, DefaultScenario())
	gt := inc.Truth()
	v := viewOf(inc.PTraces())

	if len(v.traces) != gt.Traces {
		t.Errorf("traces: got %d in pdata, truth says %d", len(v.traces), gt.Traces)
	}
	var failing, slow []string
	services, users := map[string]bool{}, map[string]*UserTruth{}
	origins := map[string]int{}
	var firstFail time.Time
	for _, tv := range v.traces {
		for _, s := range tv.spans {
			services[s.svc()] = true
		}
		root := tv.root
		dur := root.EndTimestamp().AsTime().Sub(root.StartTimestamp().AsTime())
		isFail, isSlow := root.failed(), !root.failed() && dur > time.Second
		if isFail {
			failing = append(failing, tv.id)
			if at := root.StartTimestamp().AsTime(); firstFail.IsZero() || at.Before(firstFail) {
				firstFail = at
			}
			seen := map[string]bool{}
			for _, o := range tv.origins() {
				if !seen[blame(o)] {
					seen[blame(o)] = true
					origins[blame(o)]++
				}
			}
		}
		if isSlow {
			slow = append(slow, tv.id)
		}
		uid := root.str("enduser.id")
		if uid == "" {
			continue
		}
		u := users[uid]
		if u == nil {
			u = &UserTruth{ID: uid}
			users[uid] = u
		}
		if root.Kind() == ptrace.SpanKindServer {
			u.Requests++
		}
		if isFail {
			u.Failed++
		}
		if isSlow {
			u.Slow++
		}
	}
	sort.Strings(failing)
	sort.Strings(slow)
	if !slices.Equal(failing, gt.FailingTraceIDs) {
		t.Errorf("failing traces: recounted %d, truth has %d", len(failing), len(gt.FailingTraceIDs))
	}
	if !slices.Equal(slow, gt.SlowTraceIDs) {
		t.Errorf("slow traces: recounted %d, truth has %d", len(slow), len(gt.SlowTraceIDs))
	}
	if !firstFail.Equal(gt.IncidentStart) {
		t.Errorf("incident start: recounted %s, truth %s", firstFail, gt.IncidentStart)
	}
	if gt.IncidentStart.Before(gt.Start.Add(gt.Scenario.IncidentAfter)) {
		t.Errorf("incident started %s, before the fault at %s", gt.IncidentStart, gt.Start.Add(gt.Scenario.IncidentAfter))
	}
	if len(services) < 8 || len(gt.Services) != len(services) {
		t.Errorf("services: %d in pdata, truth lists %v", len(services), gt.Services)
	}
	if len(users) < MinUsers {
		t.Errorf("only %d distinct users made requests, want at least %d", len(users), MinUsers)
	}
	if len(failing) < 50 {
		t.Errorf("only %d failing traces; the default incident should be visible", len(failing))
	}
	for _, u := range gt.Users {
		got := users[u.ID]
		if got == nil || got.Failed != u.Failed || got.Slow != u.Slow || got.Requests != u.Requests || len(u.TraceIDs) != u.Failed {
			t.Errorf("user %s: truth %+v, recounted %+v", u.ID, u, got)
		}
	}
	affected := 0
	for _, u := range users {
		if u.Failed > 0 {
			affected++
		}
	}
	if affected != len(gt.Users) {
		t.Errorf("affected users: recounted %d, truth has %d", affected, len(gt.Users))
	}
	if !sort.SliceIsSorted(gt.Users, func(a, b int) bool { return gt.Users[a].Failed > gt.Users[b].Failed }) {
		t.Error("users are not ranked most failed first")
	}
	top, topN := "", 0
	for o, n := range origins {
		if n > topN {
			top, topN = o, n
		}
	}
	if top != gt.Culprit || topN < len(failing)*95/100 {
		t.Errorf("culprit: recounted %s in %d/%d failing traces, truth says %s", top, topN, len(failing), gt.Culprit)
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

// TestDifferenceRecount recomputes the planted difference from resources.
func TestDifferenceRecount(t *testing.T) {
	inc := mustGenerate(t, DefaultScenario())
	gt := inc.Truth()
	v := viewOf(inc.PTraces())
	var fail, failHit, base, baseHit int
	for _, tv := range v.traces {
		if tv.root.failed() {
			for _, o := range tv.origins() {
				if blame(o) == gt.Culprit {
					fail++
					if o.resStr("k8s.node.name") == "node-7" {
						failHit++
					}
					break
				}
			}
			continue
		}
		for _, s := range tv.spans {
			if s.svc() == gt.CulpritCaller {
				base++
				if s.resStr("k8s.node.name") == "node-7" {
					baseHit++
				}
				break
			}
		}
	}
	if got := share(failHit, fail); math.Abs(got-gt.Difference.FailingShare) > 1e-12 {
		t.Errorf("failing share: recounted %v, truth %v", got, gt.Difference.FailingShare)
	}
	if got := share(baseHit, base); math.Abs(got-gt.Difference.BaselineShare) > 1e-12 {
		t.Errorf("baseline share: recounted %v, truth %v", got, gt.Difference.BaselineShare)
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

func TestGenerateIsFast(t *testing.T) {
	start := time.Now()
	inc := mustGenerate(t, DefaultScenario())
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("default scenario took %s", d)
	}
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
