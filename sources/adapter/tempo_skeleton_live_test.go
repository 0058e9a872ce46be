package adapter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/triagectl/triage/internal/testenv"
	"github.com/triagectl/triage/sources/adapter"
	"github.com/triagectl/triage/triage"
)

// The skeletons a live Tempo returns for the incident's slow traces read
// as the same traces fetched whole: root, entry point, outcome, user and
// details, critical path and self time, tolerated errors.
func TestLiveSkeletonsReadAsWholeTraces(t *testing.T) {
	si, tr, o := liveTempo(t)
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

// liveTempo is the simulator's incident in the live backends, with Tempo
// as the trace source, and the options the live tests use.
func liveTempo(t *testing.T) (*testenv.SimIncident, adapter.Traces, triage.Options) {
	t.Helper()
	testenv.Tempo(t)
	testenv.Prometheus(t)
	testenv.Loki(t)
	si := testenv.Incident(t)
	return si, liveSources(t, si, backendTempo).Traces.(adapter.Traces), liveOptions(si)
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
	row, _ := json.Marshal(a.Row()) // its error origin is a pointer
	s := fmt.Sprintf("%s %s %s %v %v %v", row, a.Entry, a.User, a.UserAttrs, a.Slow, a.SelfTime)
	for _, p := range a.CriticalPath {
		s += " " + p.Service + "/" + p.Blamed() + "/" + p.Name
	}
	for _, o := range a.Origins {
		s += fmt.Sprintf(" origin %s %s %s %q %v %v", o.Service, o.Caller, o.SpanName, o.Message, o.Peer, o.Fatal)
	}
	return s
}

// The incident's failing traces selected by id from a live Tempo, with
// the keys what's different compares, read as the same traces fetched
// whole: the same analysis, and every key asked with the value the whole
// trace's entry span or resource holds.
func TestLiveSelectedTracesReadAsWholeTraces(t *testing.T) {
	si, tr, o := liveTempo(t)
	ao := o.Analysis()
	ctx := context.Background()
	q := triage.TraceSearch{Service: si.Truth.AlertService, Kinds: triage.EntryKinds, Status: triage.StatusError,
		Start: si.Truth.IncidentStart, End: si.Truth.End, Limit: 60}
	found, err := tr.Search(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range found.Refs {
		ids = append(ids, strings.ToLower(r.TraceID))
	}
	keys := triage.SkeletonAsk(ao)
	keys.ResourceKeys = append(keys.ResourceKeys, "cloud.availability_zone", "k8s.node.name")
	h, err := tr.SelectTraces(ctx, ids, q.Start, q.End, keys)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Refs) != len(ids) {
		t.Errorf("%d of %d traces selected", len(h.Refs), len(ids))
	}
	compared := 0
	for _, ref := range h.Refs {
		if ref.Trace == nil {
			t.Errorf("trace %s selected without its spans", ref.TraceID)
			continue
		}
		whole, err := tr.Trace(ctx, ref.TraceID)
		if err != nil {
			t.Fatal(err)
		}
		if len(whole.Spans) != len(ref.Trace.Spans) {
			t.Errorf("trace %s: %d spans selected, %d whole", ref.TraceID, len(ref.Trace.Spans), len(whole.Spans))
			continue
		}
		sel, all := triage.AnalyzeTrace(ref.Trace, ao), triage.AnalyzeTrace(whole, ao)
		if !all.Failing {
			t.Errorf("trace %s did not fail", ref.TraceID)
		}
		if got, want := liveRead(sel), liveRead(all); got != want {
			t.Errorf("trace %s reads differently selected by id:\n got  %s\n want %s", ref.TraceID, got, want)
		}
		for i := range whole.Spans {
			for _, k := range keys.ResourceKeys[len(keys.ResourceKeys)-2:] {
				w, g := resourceAttr(&whole.Spans[i], k), resourceAttr(spanByID(ref.Trace, whole.Spans[i].SpanID), k)
				if g != w {
					t.Errorf("trace %s span %s: %s=%q selected, %q whole", ref.TraceID, whole.Spans[i].SpanID, k, g, w)
				}
			}
		}
		compared++
	}
	if compared < 20 {
		t.Fatalf("only %d failing traces compared", compared)
	}
	t.Logf("%d failing traces read alike selected by id", compared)
}

func spanByID(t *triage.Trace, id string) *triage.Span {
	for i := range t.Spans {
		if t.Spans[i].SpanID == id {
			return &t.Spans[i]
		}
	}
	return &triage.Span{}
}

func resourceAttr(s *triage.Span, k string) string {
	if s.Resource == nil {
		return ""
	}
	v, _ := s.Resource.Attrs.Get(k)
	return v
}
