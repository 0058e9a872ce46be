package triage_test

import (
	"context"
	"slices"
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

// baselineSearching answers the healthy baseline as a BaselineSearcher:
// the healthy search's hits, each carrying its trace, without a fetch.
type baselineSearching struct {
	*countingTraces
	asked []triage.BaselineSearch
	mu    sync.Mutex
}

func (b *baselineSearching) SearchBaseline(ctx context.Context, q triage.BaselineSearch) (triage.TraceHits, error) {
	b.mu.Lock()
	b.asked = append(b.asked, q)
	b.mu.Unlock()
	h, err := b.TracesSource.Search(ctx, q.Healthy)
	for i := range h.Refs {
		if h.Refs[i].Trace, err = b.TracesSource.Trace(ctx, h.Refs[i].TraceID); err != nil {
			return h, err
		}
	}
	h.Query = "baseline of " + strings.Join(q.Ask.Services, ",")
	return h, err
}

// A source that answers the baseline as attributes (Tempo's select) reads
// no healthy trace whole: only the sample is fetched, the baseline is
// asked once per window after it, for the origin services and the keys
// that can rank, and the report and sources panel say so.
func TestBaselineAskedAsAttributesReadsNoHealthyTrace(t *testing.T) {
	inc := incident(t, "db-region")
	src := simSources(inc)
	bs := &baselineSearching{countingTraces: &countingTraces{TracesSource: src.Traces}}
	src.Traces = bs
	r, err := triage.NewInvestigation(src, options(), triage.REDQueries{}).Run(context.Background(), alertFor(inc), nil)
	if err != nil {
		t.Fatal(err)
	}
	sampled := map[string]bool{}
	for _, tr := range r.Traces {
		sampled[tr.TraceID] = true
	}
	for id := range bs.fetched {
		if !sampled[id] && !slices.Contains(inc.Truth.FailingTraceIDs, id) {
			// Linked traces aside (none in this scenario), every fetch is the sample's.
			t.Errorf("fetched %s, which is not in the sample", id)
		}
	}
	if len(bs.asked) != 2 {
		t.Fatalf("baseline asked %d times, want 2 (the baseline window, the incident window)", len(bs.asked))
	}
	if ask := bs.asked[0].Ask; !slices.Contains(ask.Services, inc.Truth.CulpritCaller) || len(ask.Keys()) < 4 {
		t.Errorf("asked %+v, want the culprit's caller %s and the keys that can rank", ask, inc.Truth.CulpritCaller)
	}
	planted := slices.IndexFunc(r.Differences, func(d triage.Difference) bool {
		return d.Attribute == inc.Truth.Difference.Attribute && d.Value == inc.Truth.Difference.Value
	})
	if planted < 0 || planted > 2 {
		t.Errorf("differences %+v, want %s=%s in the first three", r.Differences, inc.Truth.Difference.Attribute, inc.Truth.Difference.Value)
	}
	if notes := traceNotes(r); !containsAny(notes, "none read whole") {
		t.Errorf("no note on how the baseline was asked: %q", notes)
	}
	var basis string
	for _, f := range r.Evidence.Sampled {
		if f.Figure == "differences" {
			basis = f.Basis
		}
	}
	if !strings.Contains(basis, "none read whole") {
		t.Errorf("differences' basis %q does not say the baseline came as attributes", basis)
	}
	if q := r.Sources; !slices.ContainsFunc(q, func(s triage.SourceStatus) bool {
		return slices.ContainsFunc(s.Queries, func(q string) bool {
			return strings.HasPrefix(q, "baseline of ") && strings.HasSuffix(q, " (baseline)")
		})
	}) {
		t.Error("the baseline search is not among the recorded queries as the baseline's")
	}
}
