package triage

import (
	"reflect"
	"slices"
	"testing"
	"time"
)

var testAnalysis = AnalysisOptions{
	UserAttributes:       []string{"enduser.id", "user.id"},
	UserDetailAttributes: []string{"user.tier", "user.region"},
	SlowThreshold:        time.Second,
}

// checkoutFailure is the default incident's shape: storefront → checkout →
// payments, whose client span to the uninstrumented ledger-db times out.
func checkoutFailure(id string) *Trace {
	const msg = "timeout acquiring connection from pool after 2000ms"
	return buildTrace(id,
		spanSpec{id: "a", svc: "storefront", name: "POST /checkout", kind: KindServer, start: 0, end: 2100, err: true, msg: "checkout: place order: " + msg,
			attrs: Attrs{{"http.route", "/checkout"}, {"http.request.method", "POST"}, {"enduser.id", "u-1"}, {"user.tier", "pro"}}},
		spanSpec{id: "b", parent: "a", svc: "storefront", name: "POST /api/v1/checkout", kind: KindClient, start: 5, end: 2095, err: true},
		spanSpec{id: "c", parent: "b", svc: "checkout", name: "POST /api/v1/checkout", kind: KindServer, start: 6, end: 2090, err: true},
		spanSpec{id: "d", parent: "c", svc: "checkout", name: "payments.v1.PaymentService/Charge", kind: KindClient, start: 10, end: 2080, err: true},
		spanSpec{id: "e", parent: "d", svc: "payments", name: "payments.v1.PaymentService/Charge", kind: KindServer, start: 11, end: 2075, err: true},
		spanSpec{id: "f", parent: "e", svc: "payments", name: "SELECT accounts", kind: KindClient, start: 12, end: 2070, err: true, msg: msg,
			attrs: Attrs{{"db.system", "postgresql"}, {"server.address", "ledger-db"}, {"peer.service", "ledger-db"}}},
		spanSpec{id: "g", parent: "a", svc: "storefront", name: "auth.v1.AuthService/ValidateToken", kind: KindClient, start: 1, end: 4},
		spanSpec{id: "h", parent: "g", svc: "auth", name: "auth.v1.AuthService/ValidateToken", kind: KindServer, start: 2, end: 3,
			attrs: Attrs{{"user.region", "eu-west"}}},
	)
}

func TestAnalyzeErrorOrigins(t *testing.T) {
	client := func(attrs Attrs) *Trace {
		return buildTrace("t",
			spanSpec{id: "a", svc: "api", name: "GET /x", kind: KindServer, start: 0, end: 10, err: true},
			spanSpec{id: "b", parent: "a", svc: "api", name: "call", kind: KindClient, start: 1, end: 9, err: true, msg: "refused", attrs: attrs},
		)
	}
	tests := []struct {
		name        string
		trace       *Trace
		failing     bool
		origins     []Origin // Path and span are checked separately
		path        []string
		propagating []string
	}{
		{
			name: "uninstrumented peer named by peer.service first", trace: client(Attrs{{"db.system", "redis"}, {"server.address", "10.0.0.7"}, {"peer.service", "session-cache"}}),
			failing: true, origins: []Origin{{Service: "session-cache", Caller: "api", Peer: true, SpanName: "call", SpanID: "b", Message: "refused", Fatal: true}},
			path: []string{"api", "session-cache"},
		},
		{
			name: "then server.address", trace: client(Attrs{{"db.system", "redis"}, {"server.address", "cache.internal"}}),
			failing: true, origins: []Origin{{Service: "cache.internal", Caller: "api", Peer: true, SpanName: "call", SpanID: "b", Message: "refused", Fatal: true}},
			path: []string{"api", "cache.internal"},
		},
		{
			name: "then db.system", trace: client(Attrs{{"db.system", "redis"}}),
			failing: true, origins: []Origin{{Service: "redis", Caller: "api", Peer: true, SpanName: "call", SpanID: "b", Message: "refused", Fatal: true}},
			path: []string{"api", "redis"},
		},
		{
			name: "a client span naming nothing blames its own service", trace: client(nil),
			failing: true, origins: []Origin{{Service: "api", Caller: "api", SpanName: "call", SpanID: "b", Message: "refused", Fatal: true}},
			path: []string{"api"},
		},
		{
			name: "a client span with a server span below is not a peer call",
			trace: buildTrace("t",
				spanSpec{id: "a", svc: "api", kind: KindServer, start: 0, end: 10, err: true},
				spanSpec{id: "b", parent: "a", svc: "api", name: "call", kind: KindClient, start: 1, end: 9, err: true, attrs: Attrs{{"server.address", "svc-b"}}},
				spanSpec{id: "c", parent: "b", svc: "svc-b", name: "handle", kind: KindServer, start: 2, end: 8},
			),
			failing: true, origins: []Origin{{Service: "api", Caller: "api", SpanName: "call", SpanID: "b", Fatal: true}},
			path: []string{"api"},
		},
		{
			name:  "default incident: ledger-db via payments, checkout and payments propagate",
			trace: checkoutFailure("t"), failing: true,
			origins: []Origin{{Service: "ledger-db", Caller: "payments", Peer: true, SpanName: "SELECT accounts", SpanID: "f",
				Message: "timeout acquiring connection from pool after 2000ms", Fatal: true}},
			path: []string{"storefront", "checkout", "payments", "ledger-db"}, propagating: []string{"checkout", "payments"},
		},
		{
			name: "tolerated error: the root succeeded",
			trace: buildTrace("t",
				spanSpec{id: "a", svc: "storefront", kind: KindServer, start: 0, end: 10},
				spanSpec{id: "b", parent: "a", svc: "storefront", name: "GET /recs", kind: KindClient, start: 1, end: 9, err: true},
				spanSpec{id: "c", parent: "b", svc: "recommendations", name: "GET /recs", kind: KindServer, start: 2, end: 8, err: true, msg: "503"},
			),
			origins: []Origin{{Service: "recommendations", Caller: "recommendations", SpanName: "GET /recs", SpanID: "c", Message: "503"}},
		},
		{
			name: "root failing on its own; the error below it was survived",
			trace: buildTrace("t",
				spanSpec{id: "a", svc: "web", name: "render", kind: KindServer, start: 0, end: 10, err: true, msg: "template"},
				spanSpec{id: "b", parent: "a", svc: "web", kind: KindClient, start: 1, end: 9},
				spanSpec{id: "c", parent: "b", svc: "recs", name: "recs", kind: KindServer, start: 2, end: 8, err: true},
			),
			failing: true,
			origins: []Origin{
				{Service: "web", Caller: "web", SpanName: "render", SpanID: "a", Message: "template", Fatal: true},
				{Service: "recs", Caller: "recs", SpanName: "recs", SpanID: "c"},
			},
			path: []string{"web"},
		},
		{
			name: "two fatal origins: the one the root's message repeats wins",
			trace: buildTrace("t",
				spanSpec{id: "a", svc: "web", kind: KindServer, start: 0, end: 10, err: true, msg: "load: stock: lock wait timeout"},
				spanSpec{id: "b", parent: "a", svc: "recs", name: "recs", kind: KindServer, start: 1, end: 2, err: true, msg: "model failed"},
				spanSpec{id: "c", parent: "a", svc: "inventory", name: "stock", kind: KindServer, start: 3, end: 9, err: true, msg: "lock wait timeout"},
			),
			failing: true,
			origins: []Origin{
				{Service: "inventory", Caller: "inventory", SpanName: "stock", SpanID: "c", Message: "lock wait timeout", Fatal: true},
				{Service: "recs", Caller: "recs", SpanName: "recs", SpanID: "b", Message: "model failed"},
			},
			path: []string{"web", "inventory"},
		},
		{
			name: "origin below a missing parent explains a root failing alone",
			trace: buildTrace("t",
				spanSpec{id: "a", svc: "web", kind: KindServer, start: 0, end: 10, err: true},
				spanSpec{id: "x", parent: "lost", svc: "payments", name: "Charge", kind: KindServer, start: 2, end: 8, err: true},
				spanSpec{id: "y", parent: "x", svc: "payments", name: "SELECT", kind: KindClient, start: 3, end: 7, err: true, attrs: Attrs{{"db.system", "postgresql"}}},
			),
			failing: true,
			origins: []Origin{{Service: "postgresql", Caller: "payments", Peer: true, SpanName: "SELECT", SpanID: "y", Fatal: true, Detached: true}},
			path:    []string{"web", "payments", "postgresql"}, propagating: []string{"payments"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := AnalyzeTrace(tc.trace, testAnalysis)
			if a.Failing != tc.failing {
				t.Errorf("failing %v, want %v", a.Failing, tc.failing)
			}
			got := slices.Clone(a.Origins)
			for k := range got {
				got[k].Path, got[k].span = nil, 0
			}
			if !slices.EqualFunc(got, tc.origins, func(a, b Origin) bool { return reflect.DeepEqual(a, b) }) {
				t.Errorf("origins\n got %+v\nwant %+v", got, tc.origins)
			}
			if !slices.Equal(a.Path, tc.path) {
				t.Errorf("path %v, want %v", a.Path, tc.path)
			}
			if !slices.Equal(a.Propagating, tc.propagating) {
				t.Errorf("propagating %v, want %v", a.Propagating, tc.propagating)
			}
		})
	}
}

func TestAnalyzeEntryAndUser(t *testing.T) {
	tests := []struct {
		name         string
		trace        *Trace
		route, entry string
		user         string
		userAttrs    Attrs
	}{
		{
			name:  "route from http.route and method; user on the root; details from any span",
			trace: checkoutFailure("t"), route: "POST /checkout", entry: "storefront POST /checkout",
			user: "u-1", userAttrs: Attrs{{"user.tier", "pro"}, {"user.region", "eu-west"}},
		},
		{
			name: "span name without http.route; the root's user.id beats a child's enduser.id",
			trace: buildTrace("t",
				spanSpec{id: "a", svc: "notifications", name: "process order-events", kind: KindConsumer, start: 0, end: 5, attrs: Attrs{{"user.id", "root-user"}}},
				spanSpec{id: "b", parent: "a", svc: "notifications", name: "render", start: 1, end: 4, attrs: Attrs{{"enduser.id", "child-user"}}},
			),
			route: "process order-events", entry: "notifications process order-events", user: "root-user",
		},
		{
			name: "no user on the root: the first span carrying one",
			trace: buildTrace("t",
				spanSpec{id: "a", svc: "web", name: "GET /", kind: KindServer, start: 0, end: 5},
				spanSpec{id: "b", parent: "a", svc: "web", name: "one", start: 1, end: 2, attrs: Attrs{{"user.id", "first"}}},
				spanSpec{id: "c", parent: "a", svc: "web", name: "two", start: 3, end: 4, attrs: Attrs{{"enduser.id", "second"}}},
			),
			route: "GET /", entry: "web GET /", user: "first",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := AnalyzeTrace(tc.trace, testAnalysis)
			if a.Route != tc.route || a.Entry != tc.entry || a.User != tc.user || !slices.Equal(a.UserAttrs, tc.userAttrs) {
				t.Errorf("route %q entry %q user %q %v; want %q %q %q %v", a.Route, a.Entry, a.User, a.UserAttrs, tc.route, tc.entry, tc.user, tc.userAttrs)
			}
		})
	}
}

func TestAnalyzeSlowTraceCriticalPath(t *testing.T) {
	// storefront 0–1500 calls auth (0–300, in parallel with a short recs
	// call) and then inventory (300–1500), which waits on its database
	// from 320 to 1400.
	tr := buildTrace("t",
		spanSpec{id: "a", svc: "storefront", name: "GET /product", kind: KindServer, start: 0, end: 1500},
		spanSpec{id: "b", parent: "a", svc: "storefront", name: "auth", kind: KindClient, start: 0, end: 300},
		spanSpec{id: "c", parent: "b", svc: "auth", name: "auth", kind: KindServer, start: 10, end: 290},
		spanSpec{id: "r", parent: "a", svc: "storefront", name: "recs", kind: KindClient, start: 100, end: 200},
		spanSpec{id: "d", parent: "a", svc: "storefront", name: "stock", kind: KindClient, start: 300, end: 1500},
		spanSpec{id: "e", parent: "d", svc: "inventory", name: "stock", kind: KindServer, start: 310, end: 1490},
		spanSpec{id: "f", parent: "e", svc: "inventory", name: "SELECT stock", kind: KindClient, start: 320, end: 1400,
			attrs: Attrs{{"db.system", "postgresql"}, {"peer.service", "inventory-db"}}},
	)
	a := AnalyzeTrace(tr, testAnalysis)
	if !a.Slow || a.Failing || a.Duration != 1500*time.Millisecond {
		t.Fatalf("slow %v failing %v duration %s", a.Slow, a.Failing, a.Duration)
	}
	type step struct {
		id             string
		self, critical time.Duration
	}
	want := []step{
		{"a", 0, 0},
		{"b", 20 * time.Millisecond, 20 * time.Millisecond},
		{"c", 280 * time.Millisecond, 280 * time.Millisecond},
		{"d", 20 * time.Millisecond, 20 * time.Millisecond},
		{"e", 100 * time.Millisecond, 100 * time.Millisecond},
		{"f", 1080 * time.Millisecond, 1080 * time.Millisecond},
	}
	var got []step
	for _, p := range a.CriticalPath {
		got = append(got, step{p.SpanID, p.Self, p.Critical})
	}
	if !slices.Equal(got, want) {
		t.Fatalf("critical path\n got %+v\nwant %+v", got, want)
	}
	wantSelf := []ServiceTime{
		{"inventory-db", 1080 * time.Millisecond},
		{"auth", 280 * time.Millisecond},
		{"inventory", 100 * time.Millisecond},
		{"storefront", 40 * time.Millisecond},
	}
	if !slices.Equal(a.SelfTime, wantSelf) {
		t.Fatalf("self time by service %+v, want %+v", a.SelfTime, wantSelf)
	}
	if a.CriticalPath[5].Peer != "inventory-db" {
		t.Errorf("the database call's peer is %q", a.CriticalPath[5].Peer)
	}
}

func TestAnalyzeFastTraceHasNoCriticalPath(t *testing.T) {
	a := AnalyzeTrace(checkoutFailure("t"), AnalysisOptions{SlowThreshold: 5 * time.Second})
	if a.Slow || a.CriticalPath != nil || a.SelfTime != nil {
		t.Fatalf("slow %v, critical path %v", a.Slow, a.CriticalPath)
	}
	// Failing traces are never slow, however long.
	a = AnalyzeTrace(checkoutFailure("t"), AnalysisOptions{SlowThreshold: time.Millisecond})
	if a.Slow || len(a.CriticalPath) == 0 {
		t.Fatalf("failing trace: slow %v, critical path %d spans", a.Slow, len(a.CriticalPath))
	}
}

func TestAnalyzeReadsLinksAndRow(t *testing.T) {
	tr := buildTrace("c1",
		spanSpec{id: "a", svc: "notifications", name: "process order-events", kind: KindConsumer, start: 0, end: 5, err: true, msg: "nil pointer",
			links: []Link{{TraceID: "p1", SpanID: "s"}, {TraceID: "p1", SpanID: "s"}, {TraceID: "c1", SpanID: "a"}, {TraceID: "p2", SpanID: "t"}}},
	)
	a := AnalyzeTrace(tr, testAnalysis)
	want := []TraceLink{
		{TraceID: "p1", SpanID: "s", FromSpanID: "a", FromService: "notifications", FromKind: KindConsumer, FromFailed: true},
		{TraceID: "p2", SpanID: "t", FromSpanID: "a", FromService: "notifications", FromKind: KindConsumer, FromFailed: true},
	}
	if !slices.Equal(a.Links, want) {
		t.Fatalf("links %+v, want %+v", a.Links, want)
	}
	row := a.Row()
	if row.ErrorOrigin == nil || row.ErrorOrigin.Service != "notifications" || row.ErrorOrigin.Message != "nil pointer" || !row.Failing || row.DurationMS != 5 {
		t.Fatalf("row %+v origin %+v", row, row.ErrorOrigin)
	}
	if (&TraceAnalysis{}).Row().ErrorOrigin != nil {
		t.Fatal("a trace without a fatal origin has a row origin")
	}
}

func TestAnalyzeEmptyTrace(t *testing.T) {
	a := AnalyzeTrace(&Trace{ID: "x"}, testAnalysis)
	if a.TraceID != "x" || a.Tree() != nil || a.Failing || a.Entry != "" {
		t.Fatalf("%+v", a)
	}
}
