package jaeger

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/triagectl/triage/sources"
)

// The fake searches the traces it holds as a storage that honours
// error=true would: the recorded traces, found by service, error, user and
// operation, and fetched by id.
func TestFakeSearchesItsTraces(t *testing.T) {
	w := recWindow(t)
	f := NewFake()
	for _, name := range []string{"search_v3.json", "trace_failing.json"} {
		td, err := DecodeTraces(fixture(t, name))
		if err != nil {
			t.Fatal(err)
		}
		f.AddTraces(td)
		f.AddTraces(td) // the same spans again: still one trace each
	}
	ctx := context.Background()
	all, err := f.Search(ctx, Query{Service: w.caller, Start: w.start, End: w.end, Limit: 10})
	if err != nil || len(all.Traces) != 3 || !all.Complete {
		t.Fatalf("all: %+v %v", all, err)
	}
	failed, err := f.Search(ctx, Query{Service: w.caller, Errors: true, Start: w.start, End: w.end, Limit: 10})
	if err != nil || failed.ErrorFilter != ErrorFilterServer {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range failed.Traces {
		ids = append(ids, s.TraceID)
		if s.ServiceStats[w.caller].ErrorCount == 0 {
			t.Errorf("%s kept without a failed %s span", s.TraceID, w.caller)
		}
	}
	if !slices.Contains(ids, w.failingID) || len(ids) == len(all.Traces) {
		t.Errorf("failed traces %v of %d", ids, len(all.Traces))
	}
	one, err := f.Search(ctx, Query{Service: w.caller, Start: w.start, End: w.end, Limit: 1})
	if err != nil || len(one.Traces) != 1 || one.Complete {
		t.Errorf("limit 1: %+v %v", one, err)
	}
	byUser, err := f.Search(ctx, Query{Service: w.caller, Attributes: map[string]string{"enduser.id": w.user}, Start: w.start, End: w.end})
	if err != nil || len(byUser.Traces) == 0 || !slices.ContainsFunc(byUser.Traces, func(s TraceSummary) bool { return s.TraceID == w.failingID }) {
		t.Errorf("by user %s: %+v %v", w.user, byUser, err)
	}
	if none, _ := f.Search(ctx, Query{Service: w.caller, Start: w.end.Add(time.Hour), End: w.end.Add(2 * time.Hour)}); len(none.Traces) != 0 {
		t.Errorf("outside the window: %+v", none)
	}

	tr, err := f.Trace(ctx, w.failingID)
	if err != nil || tr.ID != w.failingID {
		t.Fatalf("trace: %v", err)
	}
	if full, ok := failed.Trace(w.failingID); !ok || full.SpanCount() != tr.SpanCount() {
		t.Error("the search's copy differs from the trace by id")
	}
	if _, err := f.Trace(ctx, "0badc0ffee0000000000000000000001"); sources.KindOf(err) != sources.KindNotFound {
		t.Errorf("missing trace: %v", err)
	}
	svcs, _ := f.Services(ctx)
	ops, _ := f.Operations(ctx, w.caller, "server")
	if !slices.Contains(svcs, w.caller) || !slices.Contains(svcs, w.entry) || len(ops) == 0 || ops[0].SpanKind != "server" {
		t.Errorf("services %v, server operations of %s %v", svcs, w.caller, ops)
	}
	if _, err := f.Search(ctx, Query{Service: w.caller}); sources.KindOf(err) != sources.KindBadRequest {
		t.Errorf("a query without a window: %v", err)
	}
}

func TestFakeFailsOnDemand(t *testing.T) {
	f := NewFake()
	f.Deps = []Dependency{{Parent: "a", Child: "b", CallCount: 3}}
	boom := &sources.Error{Source: SourceName, Op: "dependencies", Kind: sources.KindServer, Msg: "boom"}
	ctx := context.Background()
	if d, err := f.Dependencies(ctx, time.Now(), time.Hour); err != nil || len(d) != 1 {
		t.Fatalf("deps %v %v", d, err)
	}
	f.Errors["dependencies"] = boom
	if _, err := f.Dependencies(ctx, time.Now(), time.Hour); !errors.Is(err, boom) {
		t.Errorf("err = %v", err)
	}
	if err := f.Ready(ctx); err != nil {
		t.Errorf("ready failed with another op's error: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := f.Services(cctx); sources.KindOf(err) != sources.KindTimeout {
		t.Errorf("canceled: %v", err)
	}
	if bi, err := f.BuildInfo(ctx); err != nil || bi.Version != "fake" {
		t.Errorf("build info %+v %v", bi, err)
	}
	if got := f.Calls(); len(got) != 5 || got[0] != "dependencies" {
		t.Errorf("calls %v", got)
	}
}

func TestLoadTrace(t *testing.T) {
	tr, err := LoadTrace("testdata/trace_failing.json")
	if err != nil || tr.ID != recWindow(t).failingID {
		t.Fatalf("%+v %v", tr, err)
	}
	if _, err := LoadTrace("testdata/trace_notfound.json"); err == nil {
		t.Error("an error body loaded as a trace")
	}
}
