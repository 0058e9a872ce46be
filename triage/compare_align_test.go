package triage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// healthyCheckout is checkoutFailure's route done right: no auth call, and
// an INSERT the failing trace never reached.
func healthyCheckout(id string) *Trace {
	return buildTrace(id,
		spanSpec{id: "a", svc: "storefront", name: "POST /checkout", kind: KindServer, start: 0, end: 120},
		spanSpec{id: "b", parent: "a", svc: "storefront", name: "POST /api/v1/checkout", kind: KindClient, start: 5, end: 110},
		spanSpec{id: "c", parent: "b", svc: "checkout", name: "POST /api/v1/checkout", kind: KindServer, start: 6, end: 100},
		spanSpec{id: "d", parent: "c", svc: "checkout", name: "payments.v1.PaymentService/Charge", kind: KindClient, start: 10, end: 90},
		spanSpec{id: "e", parent: "d", svc: "payments", name: "payments.v1.PaymentService/Charge", kind: KindServer, start: 11, end: 85},
		spanSpec{id: "f", parent: "e", svc: "payments", name: "SELECT accounts", kind: KindClient, start: 12, end: 30},
		spanSpec{id: "g", parent: "e", svc: "payments", name: "INSERT charges", kind: KindClient, start: 31, end: 60},
	)
}

func TestAligned(t *testing.T) {
	c := CompareTraces(checkoutFailure("f"), healthyCheckout("h"), testAnalysis)
	got := c.Aligned()
	want := []string{
		"0 storefront POST /checkout ✖◔",
		"1 storefront auth.v1.AuthService/ValidateToken +",
		"2 auth auth.v1.AuthService/ValidateToken +",
		"1 storefront POST /api/v1/checkout ✖◔",
		"2 checkout POST /api/v1/checkout ✖◔",
		"3 checkout payments.v1.PaymentService/Charge ✖◔",
		"4 payments payments.v1.PaymentService/Charge ✖◔",
		"5 payments SELECT accounts ✖◔",
		// The healthy trace's own, under its parent's operation.
		"5 payments INSERT charges −",
	}
	var lines []string
	for _, op := range got {
		mark := ""
		for _, m := range []struct {
			on  bool
			sym string
		}{{op.New(), "+"}, {op.Missing(), "−"}, {op.Erroring(), "✖"}, {op.MuchSlower(), "◔"}} {
			if m.on {
				mark += m.sym
			}
		}
		lines = append(lines, fmt.Sprintf("%d %s %s %s", op.Depth, op.Service, op.Name, mark))
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("Aligned:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if len(got) != len(c.Operations) {
		t.Errorf("%d aligned operations of %d", len(got), len(c.Operations))
	}
	// The same figures as Operations.
	for _, op := range got {
		for _, o := range c.Operations {
			if o.Service == op.Service && o.Name == op.Name && o != op.OperationDelta {
				t.Errorf("%s %s: %+v, Operations say %+v", op.Service, op.Name, op.OperationDelta, o)
			}
		}
	}
}

// A trace source of constructed traces, for the search for a healthy one.
type routeTraces struct {
	refs   [][]TraceRef // per search, in order
	traces map[string]*Trace
	err    error // of the first search
	asked  int
}

func (r *routeTraces) Name() string { return SourceTempo }

func (r *routeTraces) Search(_ context.Context, q TraceSearch) (TraceHits, error) {
	r.asked++
	if r.asked == 1 && r.err != nil {
		return TraceHits{}, r.err
	}
	return TraceHits{Refs: r.refs[min(r.asked-1, len(r.refs)-1)]}, nil
}

func (r *routeTraces) Trace(_ context.Context, id string) (*Trace, error) {
	if t, ok := r.traces[id]; ok {
		return t, nil
	}
	return nil, errors.New("not found")
}

// checkoutRoute is where a healthy checkout is looked for beside the
// failing one: a ref of the route some minutes after the failing trace,
// the investigation's window and its scope.
func checkoutRoute(fa TraceAnalysis) (ref func(id string, minutes int) TraceRef, w Window, scope Scope) {
	ref = func(id string, minutes int) TraceRef {
		return TraceRef{TraceID: id, RootService: "storefront", RootName: "POST /checkout", Start: fa.Start.Add(time.Duration(minutes) * time.Minute)}
	}
	w = Window{Start: treeT0.Add(-10 * time.Minute), End: treeT0.Add(10 * time.Minute),
		BaselineStart: treeT0.Add(-70 * time.Minute), BaselineEnd: treeT0.Add(-50 * time.Minute)}
	return ref, w, Scope{Service: "storefront", ServiceLabel: "service"}
}

func TestFindHealthyTrace(t *testing.T) {
	failing := checkoutFailure("f0")
	fa := AnalyzeTrace(failing, testAnalysis)
	ref, w, scope := checkoutRoute(fa)
	o := DefaultOptions()

	// The baseline search fails; in the incident window the failing trace
	// itself, a trace that failed too and one that cannot be fetched are
	// passed over, nearest first, and the next is taken.
	src := &routeTraces{
		err: errors.New("tempo: timeout"),
		refs: [][]TraceRef{nil, {
			ref("f0", 0), ref("f1", 1), ref("gone", 2), ref("h1", 3), ref("h2", 4),
			{TraceID: "other", RootService: "storefront", RootName: "GET /cart", Start: fa.Start},
		}},
		traces: map[string]*Trace{"f0": failing, "f1": checkoutFailure("f1"), "h1": healthyCheckout("h1"), "h2": healthyCheckout("h2")},
	}
	f := FindHealthyTrace(t.Context(), src, scope, w, o, &fa)
	if f.Trace == nil || f.Trace.ID != "h1" {
		t.Fatalf("found %+v, want h1", f.Trace)
	}
	if len(f.Searches) != 2 || f.Searches[0].Err == nil || f.Searches[1].Found != 6 || f.Searches[1].Route != 4 || f.Search != 1 || f.Candidates != 4 {
		t.Errorf("searches %+v, search %d of %d candidates", f.Searches, f.Search, f.Candidates)
	}
	if len(f.Fetches) != 2 || f.Fetches[0].TraceID != "f1" || f.Fetches[0].Err != nil || f.Fetches[1].TraceID != "gone" || f.Fetches[1].Err == nil {
		t.Errorf("passed over %+v, want f1 (failing) then gone (an error)", f.Fetches)
	}

	// At most three candidates are fetched: none healthy among them, none found.
	src = &routeTraces{refs: [][]TraceRef{{ref("f1", 1), ref("f2", 2), ref("f3", 3), ref("h1", 4)}},
		traces: map[string]*Trace{"f1": checkoutFailure("f1"), "f2": checkoutFailure("f2"), "f3": checkoutFailure("f3"), "h1": healthyCheckout("h1")}}
	if f := FindHealthyTrace(t.Context(), src, scope, w, o, &fa); f.Trace != nil || len(f.Fetches) != 3 {
		t.Errorf("found %v after %d fetches, want none after 3", f.Trace, len(f.Fetches))
	}
}
