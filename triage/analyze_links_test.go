package triage

import (
	"reflect"
	"slices"
	"testing"
)

// messagingHop is a producer trace (storefront → checkout, which puts an
// order on Kafka) and the consumer trace that fails processing it.
func messagingHop() (producer, consumer *Trace) {
	producer = buildTrace("p1",
		spanSpec{id: "a", svc: "storefront", name: "POST /checkout", kind: KindServer, start: 0, end: 100,
			attrs: Attrs{{"http.route", "/checkout"}, {"http.request.method", "POST"}, {"enduser.id", "u-7"}, {"user.tier", "premium"}}},
		spanSpec{id: "b", parent: "a", svc: "storefront", kind: KindClient, start: 1, end: 99},
		spanSpec{id: "c", parent: "b", svc: "checkout", name: "POST /api/v1/checkout", kind: KindServer, start: 2, end: 98},
		spanSpec{id: "d", parent: "c", svc: "checkout", name: "send order-events", kind: KindProducer, start: 50, end: 60,
			attrs: Attrs{{"messaging.system", "kafka"}, {"server.address", "kafka"}, {"messaging.destination.name", "order-events"}}},
	)
	consumer = buildTrace("c1",
		spanSpec{id: "x", svc: "notifications", name: "process order-events", kind: KindConsumer, start: 200, end: 210, err: true, msg: "render: nil pointer",
			links: []Link{{TraceID: "p1", SpanID: "d"}}},
		spanSpec{id: "y", parent: "x", svc: "notifications", name: "render order-confirmation", start: 201, end: 209, err: true, msg: "nil pointer"},
	)
	return producer, consumer
}

func TestJoinLinkedJudgesProducerAndConsumerTogether(t *testing.T) {
	p, c := messagingHop()
	as := []TraceAnalysis{AnalyzeTrace(c, testAnalysis), AnalyzeTrace(p, testAnalysis)}
	if got := LinkedTraceIDs(as[:1]); !slices.Equal(got, []string{"p1"}) {
		t.Fatalf("linked ids to fetch %v, want [p1]", got)
	}
	if got := LinkedTraceIDs(as); len(got) != 0 {
		t.Fatalf("linked ids %v, yet p1 is analysed", got)
	}
	JoinLinked(as)
	JoinLinked(as) // idempotent
	want := []LinkedTrace{{
		TraceID: "p1", SpanID: "d", Service: "checkout", Entry: "storefront POST /checkout", EntryService: "storefront",
		User: "u-7", UserAttrs: Attrs{{"user.tier", "premium"}}, Path: []string{"storefront", "checkout"}, Topic: "order-events",
		Consumer: "notifications", Failed: true,
	}}
	if !reflect.DeepEqual(as[0].Upstream, want) {
		t.Fatalf("upstream %+v, want %+v", as[0].Upstream, want)
	}
	if as[0].User != "" || as[0].Row().User != "u-7" || as[0].Upstream[0].HopEntry() != "storefront POST /checkout → order-events → notifications" {
		t.Errorf("consumer user %q, row %q, entry %q: want its own none, the producer's on the row, through the hop",
			as[0].User, as[0].Row().User, as[0].Upstream[0].HopEntry())
	}
	if !slices.Equal(as[1].LinkedFrom, []string{"c1"}) || as[1].Upstream != nil {
		t.Errorf("producer linked from %v, upstream %v", as[1].LinkedFrom, as[1].Upstream)
	}

	ranks := RankServices(as, nil, RankOptions{})
	roles := map[string]Role{}
	for _, r := range ranks {
		roles[r.Name] = r.Role
	}
	wantRoles := map[string]Role{"notifications": RoleCulprit, "storefront": RoleEntry, "checkout": RoleImpacted}
	if !reflect.DeepEqual(roles, wantRoles) {
		t.Errorf("roles %v, want %v", roles, wantRoles)
	}
	users := RankUsers(as, UserOptions{})
	if len(users) != 1 || users[0].ID != "u-7" || users[0].Failed != 1 || !slices.Equal(users[0].TraceIDs, []string{"c1"}) {
		t.Errorf("users %+v", users)
	}
}

func TestJoinLinkedKeepsTheConsumersOwnUser(t *testing.T) {
	p, c := messagingHop()
	c.Spans[0].Attrs = Attrs{{"enduser.id", "u-9"}}
	as := []TraceAnalysis{AnalyzeTrace(c, testAnalysis), AnalyzeTrace(p, testAnalysis)}
	JoinLinked(as)
	if as[0].User != "u-9" {
		t.Fatalf("consumer user %q, want its own", as[0].User)
	}
	// The failure counts for both: the consumer's user and the producer's.
	users := RankUsers(as, UserOptions{})
	var ids []string
	for _, u := range users {
		ids = append(ids, u.ID)
	}
	if !slices.Equal(ids, []string{"u-7", "u-9"}) {
		t.Fatalf("users %v", ids)
	}
}
