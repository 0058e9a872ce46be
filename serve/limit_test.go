package serve

import (
	"context"
	"testing"
	"time"

	"github.com/triagectl/triage/triage"
)

type selectTraces struct {
	triage.TracesSource
	asked []string
}

func (b *selectTraces) Name() string { return triage.SourceTempo }

func (b *selectTraces) SearchBaseline(context.Context, triage.BaselineSearch) (triage.TraceHits, error) {
	b.asked = append(b.asked, "baseline")
	return triage.TraceHits{Query: "baseline"}, nil
}

func (b *selectTraces) SearchSkeletons(context.Context, triage.TraceSearch, triage.SkeletonKeys) (triage.TraceHits, error) {
	b.asked = append(b.asked, "skeletons")
	return triage.TraceHits{Query: "skeletons"}, nil
}

func (b *selectTraces) MaxSelected(triage.SkeletonKeys) int { return 100 }

func (b *selectTraces) SelectTraces(context.Context, []string, time.Time, time.Time, triage.SkeletonKeys) (triage.TraceHits, error) {
	b.asked = append(b.asked, "by id")
	return triage.TraceHits{Query: "by id"}, nil
}

// The per-source limit keeps a trace source's way of answering with
// select: wrapped, it is still a SelectSearcher, and its calls go
// through to it.
func TestLimitKeepsSelectSearcher(t *testing.T) {
	inner := &selectTraces{}
	src := newLimits(map[string]int{triage.SourceTempo: 1}).wrap(triage.Sources{Traces: inner})
	ss, ok := src.Traces.(triage.SelectSearcher)
	if !ok {
		t.Fatalf("%T is not a SelectSearcher once limited", src.Traces)
	}
	ctx := context.Background()
	if h, err := ss.SearchBaseline(ctx, triage.BaselineSearch{}); err != nil || h.Query != "baseline" {
		t.Errorf("SearchBaseline = %+v, %v", h, err)
	}
	if h, err := ss.SearchSkeletons(ctx, triage.TraceSearch{}, triage.SkeletonKeys{}); err != nil || h.Query != "skeletons" {
		t.Errorf("SearchSkeletons = %+v, %v", h, err)
	}
	if h, err := ss.SelectTraces(ctx, nil, time.Time{}, time.Time{}, triage.SkeletonKeys{}); err != nil || h.Query != "by id" {
		t.Errorf("SelectTraces = %+v, %v", h, err)
	}
	if len(inner.asked) != 3 {
		t.Errorf("asked %q, want the baseline, the skeletons, then traces by id", inner.asked)
	}
}
