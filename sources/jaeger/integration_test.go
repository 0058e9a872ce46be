package jaeger

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/triagectl/triage/internal/testenv"
	"github.com/triagectl/triage/sources"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// The live Jaeger of the test bed (v2, in-memory store) holds the
// simulator's incident: its failing traces are found by service and
// error, fetched by id exactly as the simulator sent them, found by user,
// and its services, operations and dependencies are the incident's.
func TestLiveJaeger(t *testing.T) {
	b := testenv.Jaeger(t)
	inc := testenv.Incident(t)
	truth := inc.Truth
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := New(b.Config())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Ready(ctx); err != nil {
		t.Fatalf("ready: %v", err)
	}
	bi, err := c.BuildInfo(ctx)
	if err != nil || bi.Version != b.Version || !strings.HasPrefix(bi.Version, "v2.") {
		t.Fatalf("build info = %+v, %v; the test bed says %q", bi, err, b.Version)
	}
	if err := c.AuthCheck(ctx); err != nil {
		t.Fatalf("auth check: %v", err)
	}

	services, err := c.Services(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(services, truth.Services) {
		t.Errorf("services = %v, want the simulator's %v", services, truth.Services)
	}
	ops, err := c.Operations(ctx, truth.CulpritCaller, "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(ops, func(o Operation) bool { return o.SpanKind == "server" }) ||
		!slices.ContainsFunc(ops, func(o Operation) bool { return o.SpanKind == "client" }) {
		t.Errorf("operations of %s = %+v, want server and client ones", truth.CulpritCaller, ops)
	}
	if ops, err := c.Operations(ctx, "no-such-service", ""); err != nil || len(ops) != 0 {
		t.Errorf("operations of an unknown service = %v, %v", ops, err)
	}

	// The failing traces of the culprit's caller: all of them, each with a
	// failed span there.
	start, end := truth.Start.Add(-time.Minute), inc.Now.Add(time.Minute)
	q := Query{Service: truth.CulpritCaller, Errors: true, Start: start, End: end, Limit: 1000, ScanLimit: 10000}
	res, err := c.Search(ctx, q)
	if err != nil {
		t.Fatalf("search %+v: %v", q, err)
	}
	if !res.Complete || res.API != "api/v3" {
		t.Errorf("search: complete=%v api=%s (depth %d, scanned %d)", res.Complete, res.API, res.Depth, res.Scanned)
	}
	var found []string
	for _, s := range res.Traces {
		found = append(found, s.TraceID)
		if s.ServiceStats[truth.CulpritCaller].ErrorCount == 0 || s.RootServiceName != truth.EntryService {
			t.Errorf("hit %s: root %s, stats %+v", s.TraceID, s.RootServiceName, s.ServiceStats)
		}
	}
	for _, id := range truth.FailingTraceIDs {
		if !slices.Contains(found, id) {
			t.Errorf("failing trace %s not found", id)
		}
	}
	// Jaeger v2.12's in-memory store matches error=true against no span:
	// the client then looks for failed spans itself.
	t.Logf("jaeger %s: %d traces with failed %s spans (error filter: %s, %d of %d scanned traces dropped)",
		bi.Version, len(res.Traces), truth.CulpritCaller, res.ErrorFilter, res.Dropped, res.Scanned)

	// One of them by id, the id upper-cased and without its leading zeros:
	// the simulator's spans, and the search's copy of the trace.
	id := truth.FailingTraceIDs[0]
	tr, err := c.Trace(ctx, strings.ToUpper(strings.TrimLeft(id, "0")))
	if err != nil {
		t.Fatalf("trace %s: %v", id, err)
	}
	want := simSpans(inc.Incident.PTraces(), id)
	if got := spanList(tr.Traces); tr.ID != id || !slices.Equal(got, want) {
		t.Errorf("trace %s (%s): %d spans\n%v\nwant the simulator's %d\n%v", id, tr.ID, len(got), got, len(want), want)
	}
	if full, ok := res.Trace(id); !ok || !slices.Equal(spanList(full.Traces), want) {
		t.Errorf("the search's copy of %s differs from the trace by id", id)
	}
	_, err = c.Trace(ctx, "0badc0ffee0000000000000000000001")
	if sources.KindOf(err) != sources.KindNotFound || !strings.Contains(err.Error(), "trace 0badc0ffee0000000000000000000001 not found") {
		t.Errorf("missing trace: err = %v", err)
	}

	// A user's failed requests, by attribute.
	u := truth.Users[0]
	ures, err := c.Search(ctx, Query{Service: truth.EntryService, Attributes: map[string]string{"enduser.id": u.ID},
		Errors: true, Start: start, End: end, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var userIDs []string
	for _, s := range ures.Traces {
		userIDs = append(userIDs, s.TraceID)
	}
	slices.Sort(userIDs)
	wantIDs := slices.Sorted(slices.Values(u.TraceIDs))
	if ures.API != "api" || !slices.Equal(userIDs, wantIDs) {
		t.Errorf("failed traces of %s = %v (api %s), want %v", u.ID, userIDs, ures.API, wantIDs)
	}
	// The UI API's model, turned back into OTLP, is the simulator's trace
	// to the microsecond: parents, kinds, statuses and their messages.
	for _, s := range ures.Traces {
		full, ok := ures.Trace(s.TraceID)
		want := microsLines(inc.Incident.PTraces(), s.TraceID)
		if got := microsLines(full.Traces, s.TraceID); !ok || len(got) == 0 || !slices.Equal(got, want) {
			t.Errorf("trace %s from the UI API:\n%v\nwant the simulator's\n%v", s.TraceID, got, want)
		}
	}

	// The dependency graph holds the incident's path between instrumented
	// services.
	deps, err := c.Dependencies(ctx, end, end.Sub(truth.Start)+time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(truth.Path); i++ {
		from, to := truth.Path[i], truth.Path[i+1]
		if slices.Contains(truth.Uninstrumented, to) {
			continue
		}
		if !slices.ContainsFunc(deps, func(d Dependency) bool { return d.Parent == from && d.Child == to && d.CallCount > 0 }) {
			t.Errorf("no edge %s → %s in %+v", from, to, deps)
		}
	}

	// Asking deeper than the store holds is the caller's mistake.
	_, err = c.Search(ctx, Query{Service: truth.CulpritCaller, Start: start, End: end, Limit: 1 << 30})
	if sources.KindOf(err) != sources.KindBadRequest || !strings.Contains(err.Error(), "max_traces") {
		t.Errorf("too deep a search: err = %v", err)
	}
}

// simSpans lists the spans of one trace as the simulator generated them.
func simSpans(td ptrace.Traces, id string) []string {
	var out []string
	forSpans(td, func(svc string, sp ptrace.Span) {
		if sp.TraceID().String() == id {
			out = append(out, spanLine(svc, sp))
		}
	})
	slices.Sort(out)
	return out
}

func spanList(td ptrace.Traces) []string {
	var out []string
	forSpans(td, func(svc string, sp ptrace.Span) { out = append(out, spanLine(svc, sp)) })
	slices.Sort(out)
	return out
}

func spanLine(svc string, sp ptrace.Span) string {
	return strings.Join([]string{sp.SpanID().String(), sp.ParentSpanID().String(), svc, sp.Name(), sp.Kind().String(),
		sp.StartTimestamp().String(), sp.EndTimestamp().String(), sp.Status().Code().String(), sp.Status().Message()}, " ")
}

// microsLines lists a trace's spans as spanLine does, with the start and
// the duration in whole microseconds, as the UI model holds them.
func microsLines(td ptrace.Traces, id string) []string {
	var out []string
	forSpans(td, func(svc string, sp ptrace.Span) {
		if sp.TraceID().String() != id {
			return
		}
		out = append(out, strings.Join([]string{sp.SpanID().String(), sp.ParentSpanID().String(), svc, sp.Name(), sp.Kind().String(),
			strconv.FormatInt(sp.StartTimestamp().AsTime().UnixMicro(), 10), strconv.FormatUint(uint64(sp.EndTimestamp()-sp.StartTimestamp())/1000, 10),
			sp.Status().Code().String(), sp.Status().Message()}, "|"))
	})
	slices.Sort(out)
	return out
}
