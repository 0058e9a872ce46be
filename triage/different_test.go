package triage

import (
	"fmt"
	"testing"
)

// paymentsTrace is a POST /checkout whose payments call to the ledger runs
// on a pod of the given node; failing ones time out there.
func paymentsTrace(id, region, node string, fail bool) *Trace {
	payments := &Resource{Service: "payments", Attrs: Attrs{
		{"service.name", "payments"}, {"k8s.node.name", node}, {"k8s.pod.name", "payments-" + node}, {"service.instance.id", "payments-" + node},
	}}
	front := &Resource{Service: "storefront", Attrs: Attrs{{"service.name", "storefront"}, {"k8s.node.name", "node-1"}}}
	t := buildTrace(id,
		spanSpec{id: "a", svc: "storefront", name: "POST /checkout", kind: KindServer, start: 0, end: 100, err: fail,
			attrs: Attrs{{"http.route", "/checkout"}, {"http.request.method", "POST"}, {"url.path", "/checkout"},
				{"user.region", region}, {"enduser.id", "u-" + id}, {"order.number", "o-" + id}}},
		spanSpec{id: "b", parent: "a", svc: "payments", name: "Charge", kind: KindServer, start: 1, end: 99, err: fail},
		spanSpec{id: "c", parent: "b", svc: "payments", name: "SELECT accounts", kind: KindClient, start: 2, end: 98, err: fail,
			attrs: Attrs{{"db.system", "postgresql"}, {"peer.service", "ledger-db"}}},
	)
	if fail {
		t.Spans[2].Attrs = append(t.Spans[2].Attrs, Attr{"error.type", "timeout"})
	}
	t.Spans[0].Resource = front
	t.Spans[1].Resource, t.Spans[2].Resource = payments, payments
	return t
}

func productTrace(id, region string) *Trace {
	t := buildTrace(id, spanSpec{id: "a", svc: "storefront", name: "GET /product/{id}", kind: KindServer, start: 0, end: 10,
		attrs: Attrs{{"http.route", "/product/{id}"}, {"http.request.method", "GET"}, {"url.path", "/product/" + id}, {"user.region", region}}})
	t.Spans[0].Resource = &Resource{Service: "storefront", Attrs: Attrs{{"service.name", "storefront"}, {"k8s.node.name", "node-1"}}}
	return t
}

func diffSample(withCheckoutBaseline bool) (failing, baseline []TraceAnalysis) {
	for i := range 10 {
		region, node := "eu-west", "node-7"
		if i == 0 {
			region, node = "us-east", "node-2"
		}
		failing = append(failing, AnalyzeTrace(paymentsTrace(fmt.Sprintf("f%d", i), region, node, true), testAnalysis))
	}
	if withCheckoutBaseline {
		for i := range 20 {
			region := []string{"eu-west", "us-east", "us-west", "ap-south", "sa-east"}[i%5]
			node := []string{"node-1", "node-2", "node-3", "node-7"}[i%4]
			baseline = append(baseline, AnalyzeTrace(paymentsTrace(fmt.Sprintf("b%d", i), region, node, false), testAnalysis))
		}
	}
	for i := range 10 {
		region := []string{"eu-west", "us-east"}[i%2]
		baseline = append(baseline, AnalyzeTrace(productTrace(fmt.Sprintf("p%d", i), region), testAnalysis))
	}
	return failing, baseline
}

func TestDifferences(t *testing.T) {
	failing, baseline := diffSample(true)
	_, productsOnly := diffSample(false)
	tests := []struct {
		name     string
		failing  []TraceAnalysis
		baseline []TraceAnalysis
		opts     DiffOptions
		want     []Difference
	}{
		{
			name:    "region at the entry and the node at the origin; no ids, outcomes or the route itself",
			failing: failing, baseline: baseline, opts: DiffOptions{SkipKeys: []string{"enduser.id"}},
			want: []Difference{
				// Compared with the 20 healthy POST /checkout, not the product pages.
				{Attribute: "user.region", Value: "eu-west", FailingShare: 0.9, BaselineShare: 0.2, Support: 9, Where: WhereEntry},
				{Attribute: "k8s.node.name", Value: "node-7", FailingShare: 0.9, BaselineShare: 0.25, Support: 9, Where: WhereOrigin},
			},
		},
		{
			name: "min support", failing: failing, baseline: baseline, opts: DiffOptions{MinSupport: 10},
			want: []Difference{},
		},
		{
			name: "top", failing: failing, baseline: baseline, opts: DiffOptions{Top: 1},
			want: []Difference{{Attribute: "user.region", Value: "eu-west", FailingShare: 0.9, BaselineShare: 0.2, Support: 9, Where: WhereEntry}},
		},
		{
			name:    "no healthy POST /checkout: entry attributes are pooled, origins are not compared",
			failing: failing, baseline: productsOnly,
			want: []Difference{
				{Attribute: "url.path", Value: "/checkout", FailingShare: 1, BaselineShare: 0, Support: 10, Where: WhereEntry},
				{Attribute: "user.region", Value: "eu-west", FailingShare: 0.9, BaselineShare: 0.5, Support: 9, Where: WhereEntry},
			},
		},
		{name: "no baseline: unknown", failing: failing, baseline: nil, want: nil},
		{name: "nothing failing: known empty", failing: baseline, baseline: baseline, want: []Difference{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Differences(tc.failing, tc.baseline, tc.opts)
			if (got == nil) != (tc.want == nil) || len(got) != len(tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			for k := range got {
				g, w := got[k], tc.want[k]
				if g.Attribute != w.Attribute || g.Value != w.Value || g.Support != w.Support || g.Where != w.Where ||
					!near(g.FailingShare, w.FailingShare) || !near(g.BaselineShare, w.BaselineShare) {
					t.Errorf("row %d: got %+v, want %+v", k, g, w)
				}
			}
		})
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

func TestDifferencesOfSlowTraces(t *testing.T) {
	slow := func(id, node string) *Trace {
		inv := &Resource{Service: "inventory", Attrs: Attrs{{"service.name", "inventory"}, {"k8s.node.name", node}}}
		tr := buildTrace(id,
			spanSpec{id: "a", svc: "storefront", name: "GET /product", kind: KindServer, start: 0, end: 1500},
			spanSpec{id: "b", parent: "a", svc: "inventory", name: "GetStock", kind: KindServer, start: 1, end: 1499},
		)
		tr.Spans[1].Resource = inv
		return tr
	}
	var incident, base []TraceAnalysis
	for i := range 8 {
		incident = append(incident, AnalyzeTrace(slow(fmt.Sprint("s", i), "node-4"), testAnalysis))
		base = append(base, AnalyzeTrace(slow(fmt.Sprint("b", i), fmt.Sprint("node-", i%4)), AnalysisOptions{}))
	}
	got := Differences(incident, base, DiffOptions{})
	if len(got) != 1 || got[0].Attribute != "k8s.node.name" || got[0].Value != "node-4" || got[0].Where != WhereOrigin {
		t.Fatalf("got %+v, want node-4 on the span holding the latency", got)
	}
}
