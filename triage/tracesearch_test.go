package triage

import (
	"testing"
	"time"
)

// The engine's searches read as TraceQL reads them, checked on
// constructed trees: one span meets every span condition; failing-below
// needs a failed descendant; links-to needs a link.
func TestTraceSearchMatches(t *testing.T) {
	// storefront → payments (server, ok) → ledger-db client (failed), and
	// payments' own server span failing in another trace.
	below := buildTrace("t1",
		spanSpec{id: "a", svc: "storefront", name: "POST /checkout", kind: KindServer, start: 0, end: 900},
		spanSpec{id: "b", parent: "a", svc: "storefront", kind: KindClient, start: 5, end: 890, err: true},
		spanSpec{id: "c", parent: "b", svc: "payments", kind: KindServer, start: 10, end: 880},
		spanSpec{id: "d", parent: "c", svc: "payments", kind: KindClient, start: 20, end: 870, err: true,
			attrs: Attrs{{"peer.service", "ledger-db"}}},
	)
	own := buildTrace("t2",
		spanSpec{id: "a", svc: "payments", kind: KindServer, start: 0, end: 1500, err: true,
			attrs: Attrs{{"enduser.id", "u-1"}}},
	)
	healthy := buildTrace("t3",
		spanSpec{id: "a", svc: "payments", kind: KindServer, start: 0, end: 20},
		spanSpec{id: "b", parent: "a", svc: "ledger-db", kind: KindServer, start: 1, end: 2},
	)
	consumer := buildTrace("t4",
		spanSpec{id: "a", svc: "notifications", kind: KindConsumer, start: 0, end: 30, err: true,
			links: []Link{{TraceID: "0AF7651916CD43DD8448EB211C80319C", SpanID: "00f067aa0ba902b7"}}},
	)
	traces := []*Trace{below, own, healthy, consumer}
	for _, tc := range []struct {
		name string
		q    TraceSearch
		want []string
	}{
		{"own failed entry spans", TraceSearch{Service: "payments", Kinds: EntryKinds, Status: StatusError}, []string{"t2"}},
		{"failures below payments", TraceSearch{Service: "payments", FailingBelow: true}, []string{"t1"}},
		{"failures below storefront", TraceSearch{Service: "storefront", FailingBelow: true}, []string{"t1"}},
		{"nothing fails below notifications", TraceSearch{Service: "notifications", FailingBelow: true}, nil},
		{"slow entry spans", TraceSearch{Service: "payments", Kinds: EntryKinds, MinDuration: time.Second}, []string{"t2"}},
		{"duration is strictly above", TraceSearch{Service: "payments", Kinds: EntryKinds, MinDuration: 1500 * time.Millisecond}, nil},
		{"healthy entry spans", TraceSearch{Service: "payments", Kinds: EntryKinds, Status: StatusNotError}, []string{"t1", "t3"}},
		{"any failure", TraceSearch{Status: StatusError}, []string{"t1", "t2", "t4"}},
		{"one span meets every condition", TraceSearch{Service: "payments", Kinds: []SpanKind{KindClient}, Status: StatusNotError}, nil},
		{"attributes, span then resource", TraceSearch{Attrs: []Attr{{"enduser.id", "u-1"}, {"service.name", "payments"}}}, []string{"t2"}},
		{"links to a trace, any case", TraceSearch{LinksTo: "0af7651916cd43dd8448eb211c80319c", Service: "ignored"}, []string{"t4"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, tr := range traces {
				if tc.q.Matches(tr) {
					got = append(got, tr.ID)
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("matches %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("matches %v, want %v", got, tc.want)
				}
			}
		})
	}
	// A parent chain that loops ends the walk instead of hanging.
	loop := buildTrace("t5",
		spanSpec{id: "a", parent: "b", svc: "x", kind: KindServer, err: true},
		spanSpec{id: "b", parent: "a", svc: "x", kind: KindServer, err: true},
	)
	if (&TraceSearch{Service: "y", FailingBelow: true}).Matches(loop) {
		t.Error("a loop of x spans matched failures below y")
	}
}

func TestTraceSourceNaming(t *testing.T) {
	r := &Report{Sources: []SourceStatus{{Name: SourcePrometheus}, {Name: SourceJaeger,
		Queries: []string{"service=payments limit=100 (baseline)", "service=payments limit=1000", `service=payments tags="error=true" limit=200`}}}}
	if got := TraceSource(r); got != SourceJaeger {
		t.Errorf("TraceSource = %q", got)
	}
	if src, q := FailingTracesQuery(r); src != SourceJaeger || q != `service=payments tags="error=true" limit=200` {
		t.Errorf("FailingTracesQuery = %q, %q", src, q)
	}
	if got := TraceSource(&Report{}); got != SourceTempo {
		t.Errorf("TraceSource of a report without trace source = %q", got)
	}
	if (Sources{}).TracesName() != SourceTempo {
		t.Error("an unconfigured trace source is not named tempo")
	}
}
