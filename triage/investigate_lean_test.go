package triage_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/triagectl/triage/triage"
)

// countingTraces counts whole-trace fetches; with whole set, its searches
// return each hit's whole trace, as Jaeger's do.
type countingTraces struct {
	triage.TracesSource
	whole   bool
	fetches atomic.Int64
	mu      sync.Mutex
	fetched map[string]bool
}

func (c *countingTraces) Search(ctx context.Context, q triage.TraceSearch) (triage.TraceHits, error) {
	h, err := c.TracesSource.Search(ctx, q)
	if c.whole {
		for i := range h.Refs {
			if h.Refs[i].Trace, err = c.TracesSource.Trace(ctx, h.Refs[i].TraceID); err != nil {
				return h, err
			}
		}
	}
	return h, err
}

func (c *countingTraces) Trace(ctx context.Context, id string) (*triage.Trace, error) {
	c.fetches.Add(1)
	c.mu.Lock()
	if c.fetched == nil {
		c.fetched = map[string]bool{}
	}
	c.fetched[id] = true
	c.mu.Unlock()
	return c.TracesSource.Trace(ctx, id)
}

// Raising the sample raises the failing traces read, not the healthy ones:
// the baseline is read whole up to a bound of its own, and the report says
// which figures came from the sample and which from aggregates.
func TestBaselineDoesNotGrowWithTheSample(t *testing.T) {
	inc := incident(t, "db-region")
	var reports []*triage.Report
	for _, sample := range []int{200, 3000} {
		src := simSources(inc)
		ct := &countingTraces{TracesSource: src.Traces}
		src.Traces = ct
		o := options()
		o.TraceSample = sample
		r, err := triage.NewInvestigation(src, o, triage.REDQueries{}).Run(context.Background(), alertFor(inc), nil)
		if err != nil {
			t.Fatal(err)
		}
		ev := r.Evidence
		if ev == nil || ev.BaselineTraces == nil || ev.BaselineFound == nil || ev.TracesFound == nil {
			t.Fatalf("sample %d: evidence = %+v", sample, ev)
		}
		if *ev.BaselineTraces > 100 || *ev.BaselineTraces == 0 {
			t.Errorf("sample %d: %d baseline traces read, want 1..100", sample, *ev.BaselineTraces)
		}
		sampled := *r.Impact.SampledTraces
		if got, most := int(ct.fetches.Load()), sampled+100+50; got > most {
			t.Errorf("sample %d: %d traces fetched for %d sampled, want at most %d", sample, got, sampled, most)
		}
		if !hasFigure(ev.Aggregates, "impact.users_estimate") || !hasFigure(ev.Sampled, "differences") || !hasFigure(ev.Sampled, "users") {
			t.Errorf("sample %d: aggregates %+v sampled %+v", sample, ev.Aggregates, ev.Sampled)
		}
		reports = append(reports, r)
	}
	if *reports[1].Evidence.BaselineFound <= *reports[1].Evidence.BaselineTraces {
		t.Errorf("at sample 3000 the search found %d healthy traces and %d were read: nothing was left out",
			*reports[1].Evidence.BaselineFound, *reports[1].Evidence.BaselineTraces)
	}
	if notes := traceNotes(reports[1]); !containsAny(notes, "healthy baseline:") {
		t.Errorf("sample 3000: no note on the healthy baseline's cut: %q", notes)
	}
	if reports[0].Services[0].Name != reports[1].Services[0].Name {
		t.Errorf("culprit %s at sample 200, %s at 3000", reports[0].Services[0].Name, reports[1].Services[0].Name)
	}
}

// Whole traces a search returned are analysed as returned: none is
// fetched again, and the report is the one fetching them gives.
func TestWholeTracesFromSearchAreNotFetchedAgain(t *testing.T) {
	inc := incident(t, "consumer")
	var reports []*triage.Report
	for _, whole := range []bool{false, true} {
		src := simSources(inc)
		ct := &countingTraces{TracesSource: src.Traces, whole: whole}
		src.Traces = ct
		r, err := triage.NewInvestigation(src, options(), triage.REDQueries{}).Run(context.Background(), alertFor(inc), nil)
		if err != nil {
			t.Fatal(err)
		}
		reused := *r.Evidence.ReusedTraces
		switch {
		case whole && reused == 0:
			t.Error("whole traces from the search: none reused")
		case whole && !containsAny(traceNotes(r), "came whole with the search"):
			t.Errorf("no note on the reused traces: %q", traceNotes(r))
		case !whole && reused != 0:
			t.Errorf("%d traces reused from a search that returned none whole", reused)
		}
		if whole {
			// Only the linked traces, which no search returned, are
			// fetched: none of the sample's.
			n := 0
			for _, tr := range r.Traces {
				if ct.fetched[tr.TraceID] {
					n++
				}
			}
			if n > 0 {
				t.Errorf("%d of the sample's traces fetched though the searches returned them whole", n)
			}
		}
		reports = append(reports, r)
	}
	a, b := reports[0], reports[1]
	if a.Services[0].Name != b.Services[0].Name || a.Services[0].Role != b.Services[0].Role || len(a.Users) != len(b.Users) || len(a.Differences) != len(b.Differences) ||
		*a.Impact.SampledTraces != *b.Impact.SampledTraces {
		t.Errorf("fetched: %+v %d users %d differences; reused: %+v %d users %d differences",
			a.Services[0], len(a.Users), len(a.Differences), b.Services[0], len(b.Users), len(b.Differences))
	}
}

func hasFigure(fs []triage.FigureBasis, figure string) bool {
	for _, f := range fs {
		if f.Figure == figure {
			return true
		}
	}
	return false
}

func traceNotes(r *triage.Report) []string {
	for _, s := range r.Sources {
		if triage.IsTraceSource(s.Name) {
			return s.Notes
		}
	}
	return nil
}

func containsAny(notes []string, sub string) bool {
	for _, n := range notes {
		if strings.Contains(n, sub) {
			return true
		}
	}
	return false
}
