package adapter_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/triagectl/triage/internal/testenv"
	"github.com/triagectl/triage/sources/adapter"
	"github.com/triagectl/triage/triage"
)

// The skeletons a live Tempo returns for the incident's slow traces read
// as the same traces fetched whole: root, entry point, outcome, user and
// details, critical path and self time, tolerated errors.
func TestLiveSkeletonsReadAsWholeTraces(t *testing.T) {
	testenv.Tempo(t)
	testenv.Prometheus(t)
	testenv.Loki(t)
	si := testenv.Incident(t)
	src := liveSources(t, si, backendTempo)
	tr := src.Traces.(adapter.Traces)
	o := liveOptions(si)
	ao := o.Analysis()
	q := triage.TraceSearch{Service: si.Truth.AlertService, Kinds: triage.EntryKinds, MinDuration: o.SlowThreshold,
		Start: si.Truth.IncidentStart, End: si.Truth.End, Limit: 400}
	ctx := context.Background()
	h, err := tr.SearchSkeletons(ctx, q, triage.SkeletonAsk(ao))
	if err != nil {
		t.Fatal(err)
	}
	compared := 0
	for _, ref := range h.Refs {
		if ref.Trace == nil || compared == 60 {
			continue
		}
		sk := triage.AnalyzeTrace(ref.Trace, ao)
		if sk.Failing || len(sk.Links) > 0 || hasLinkMark(ref.Trace) {
			continue
		}
		whole, err := tr.Trace(ctx, ref.TraceID)
		if err != nil {
			t.Fatal(err)
		}
		if len(whole.Spans) != len(ref.Trace.Spans) {
			t.Errorf("trace %s: %d spans in the skeleton, %d whole", ref.TraceID, len(ref.Trace.Spans), len(whole.Spans))
			continue
		}
		if got, want := liveRead(sk), liveRead(triage.AnalyzeTrace(whole, ao)); got != want {
			t.Errorf("trace %s reads differently from its skeleton:\n got  %s\n want %s", ref.TraceID, got, want)
		}
		compared++
	}
	if compared < 20 {
		t.Fatalf("only %d of %d slow traces compared", compared, len(h.Refs))
	}
	t.Logf("%d slow traces read alike from %d skeletons", compared, len(h.Refs))
}

func hasLinkMark(t *triage.Trace) bool {
	for _, s := range t.Spans {
		if len(s.Links) > 0 {
			return true
		}
	}
	return false
}

func liveRead(a triage.TraceAnalysis) string {
	s := fmt.Sprintf("%+v %s %s %v %v %v", a.Row(), a.Entry, a.User, a.UserAttrs, a.Slow, a.SelfTime)
	for _, p := range a.CriticalPath {
		s += " " + p.Service + "/" + p.Blamed() + "/" + p.Name
	}
	for _, o := range a.Origins {
		s += fmt.Sprintf(" origin %s %s %s %q %v %v", o.Service, o.Caller, o.SpanName, o.Message, o.Peer, o.Fatal)
	}
	return s
}
