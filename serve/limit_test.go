package serve

import (
	"context"
	"testing"

	"github.com/triagectl/triage/triage"
)

type baselineTraces struct {
	triage.TracesSource
	asked int
}

func (b *baselineTraces) Name() string { return triage.SourceTempo }

func (b *baselineTraces) SearchBaseline(context.Context, triage.BaselineSearch) (triage.TraceHits, error) {
	b.asked++
	return triage.TraceHits{Query: "asked"}, nil
}

// The per-source limit keeps a trace source's way of answering the
// baseline as attributes: wrapped, it is still a BaselineSearcher, and the
// call goes through to it.
func TestLimitKeepsBaselineSearcher(t *testing.T) {
	inner := &baselineTraces{}
	src := newLimits(map[string]int{triage.SourceTempo: 1}).wrap(triage.Sources{Traces: inner})
	bs, ok := src.Traces.(triage.BaselineSearcher)
	if !ok {
		t.Fatalf("%T is not a BaselineSearcher once limited", src.Traces)
	}
	if h, err := bs.SearchBaseline(context.Background(), triage.BaselineSearch{}); err != nil || h.Query != "asked" || inner.asked != 1 {
		t.Errorf("SearchBaseline = %+v, %v after %d calls", h, err, inner.asked)
	}
}
