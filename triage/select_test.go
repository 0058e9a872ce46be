package triage_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/triagectl/triage/internal/simsource"
	"github.com/triagectl/triage/triage"
)

// searchingAll answers the baseline and skeletons with select, as Tempo
// does, without a fetch counted.
type searchingAll struct {
	*baselineSearching
	sk *skeletonSearching
}

func (s searchingAll) SearchSkeletons(ctx context.Context, q triage.TraceSearch, keys triage.SkeletonKeys) (triage.TraceHits, error) {
	return s.sk.SearchSkeletons(ctx, q, keys)
}

// selectingAll is searchingAll that also selects traces by id.
type selectingAll struct {
	searchingAll
	mu    sync.Mutex
	asked [][]string
	keys  triage.SkeletonKeys
	fail  error
}

func (s *selectingAll) SelectTraces(ctx context.Context, ids []string, _, _ time.Time, keys triage.SkeletonKeys) (triage.TraceHits, error) {
	s.mu.Lock()
	s.asked, s.keys = append(s.asked, ids), keys
	s.mu.Unlock()
	h := triage.TraceHits{Query: "select " + strings.Join(ids, ",")}
	if s.fail != nil {
		return h, s.fail
	}
	for _, id := range ids {
		whole, err := s.TracesSource.Trace(ctx, id)
		if err != nil {
			return h, err
		}
		h.Refs = append(h.Refs, triage.TraceRef{TraceID: id, Trace: skeletonOf(whole, keys)})
	}
	return h, nil
}

// MaxSelected is small enough that the simulator's failing traces take
// more than one search.
func (s *selectingAll) MaxSelected(triage.SkeletonKeys) int { return 50 }

// runWith investigates inc's alert with traces as the trace source.
func runWith(t *testing.T, inc *simsource.Incident, traces triage.TracesSource) *triage.Report {
	t.Helper()
	src := simSources(inc)
	src.Traces = traces
	r, err := triage.NewInvestigation(src, options(), triage.REDQueries{}).Run(context.Background(), alertFor(inc), nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func newSearchingAll(src triage.TracesSource) searchingAll {
	return searchingAll{
		baselineSearching: &baselineSearching{countingTraces: &countingTraces{TracesSource: src}},
		sk:                &skeletonSearching{countingTraces: &countingTraces{TracesSource: src}},
	}
}

// wholeAndSelected investigates inc with a source that reads traces whole
// and with one that also selects them by id, and checks the two verdicts
// agree: the same services, users, impact, trace rows and timeline, and
// what's different within a few points.
func wholeAndSelected(t *testing.T, inc *simsource.Incident) (whole searchingAll, sel *selectingAll, got *triage.Report) {
	t.Helper()
	whole = newSearchingAll(simSources(inc).Traces)
	sel = &selectingAll{searchingAll: newSearchingAll(simSources(inc).Traces)}
	want := runWith(t, inc, whole)
	got = runWith(t, inc, sel)
	for _, part := range []struct {
		name      string
		got, want any
	}{
		{"services", got.Services, want.Services}, {"users", got.Users, want.Users}, {"impact", got.Impact, want.Impact},
		{"traces", got.Traces, want.Traces}, {"timeline", got.Timeline, want.Timeline},
	} {
		g, _ := json.Marshal(part.got)
		w, _ := json.Marshal(part.want)
		if string(g) != string(w) {
			t.Errorf("%s differ with traces selected by id:\n got  %s\n want %s", part.name, g, w)
		}
	}
	sameDifferences(t, got.Differences, want.Differences, inc.Truth.Difference.Attribute, inc.Truth.Difference.Value)
	return whole, sel, got
}

// With a source that selects traces by id, the failing traces no skeleton
// answered are read 20 whole, spread over them, and the rest from one
// search by id asking the keys those 20 name: the verdict is the one the
// failing traces read whole give (the same services, users, impact, rows
// and timeline, and what's different within a few points), far fewer
// traces are fetched, and the report and sources panel say how they were
// read.
func TestSelectedTracesGiveTheWholeTracesVerdict(t *testing.T) {
	for _, preset := range []string{"db-region", "noise", "retry", "cache-tier"} {
		t.Run(preset, func(t *testing.T) {
			inc := incident(t, preset)
			whole, sel, got := wholeAndSelected(t, inc)
			if len(sel.asked) == 0 {
				t.Fatal("no trace selected by id")
			}
			n := *got.Evidence.SelectedTraces
			fetched, before := sel.fetches.Load(), whole.fetches.Load()
			if n == 0 || fetched+int64(n) > before || fetched > before-int64(n) {
				t.Errorf("fetched %d whole and selected %d by id, against %d fetched whole without selecting", fetched, n, before)
			}
			notes := strings.Join(traceNotes(got), "\n")
			latency := got.Impact != nil && got.Impact.Kind == triage.KindLatency
			switch {
			case latency && !strings.Contains(notes, "compares 100 of its slow traces, spread over the sample: 20 read whole name the keys it compares, and 80 came from one search by trace id"):
				t.Errorf("no note on the slow traces selected by id: %q", notes)
			case !latency && (!strings.Contains(notes, "read from one search by trace id") || !strings.Contains(notes, "20 read whole, spread over them")):
				t.Errorf("no note on the traces selected by id: %q", notes)
			}
			basis := map[string]string{}
			for _, f := range got.Evidence.Sampled {
				basis[f.Figure] = f.Basis
			}
			if !strings.Contains(basis["services"], "as one search by trace id returned them") {
				t.Errorf("the services' basis %q does not say which traces were selected by id", basis["services"])
			}
			if len(sel.keys.SpanKeys) <= len(triage.SkeletonAsk(options().Analysis()).SpanKeys) {
				t.Errorf("selected by id with %v: none of what's different's keys", sel.keys)
			}
			t.Logf("%d fetched whole and %d selected by id, against %d fetched whole", fetched, n, before)
		})
	}
}

// A search by id that fails leaves its traces to be fetched whole: the
// verdict is the whole traces', the trace source is not marked failed, and
// its notes say why.
func TestSelectByIDFailingFetchesWhole(t *testing.T) {
	inc := incident(t, "db-region")
	whole := newSearchingAll(simSources(inc).Traces)
	sel := &selectingAll{searchingAll: newSearchingAll(simSources(inc).Traces), fail: errors.New("HTTP 400: parse error")}
	want, got := runWith(t, inc, whole), runWith(t, inc, sel)
	g, _ := json.Marshal([]any{got.Services, got.Users, got.Impact, got.Differences, got.Traces})
	w, _ := json.Marshal([]any{want.Services, want.Users, want.Impact, want.Differences, want.Traces})
	if string(g) != string(w) {
		t.Errorf("the verdict differs when the search by id fails:\n got  %s\n want %s", g, w)
	}
	if n := *got.Evidence.SelectedTraces; n != 0 || sel.fetches.Load() != whole.fetches.Load() {
		t.Errorf("%d selected and %d fetched, want none selected and %d fetched", n, sel.fetches.Load(), whole.fetches.Load())
	}
	for _, s := range got.Sources {
		if triage.IsTraceSource(s.Name) && s.State != triage.StateOK {
			t.Errorf("trace source %s: %s", s.State, s.Error)
		}
	}
	if notes := strings.Join(traceNotes(got), "\n"); !strings.Contains(notes, "failed (HTTP 400: parse error), so they were fetched whole") {
		t.Errorf("no note on the failed search by id: %q", notes)
	}
}

// The traces a consumer's spans link to (the requests that produced its
// messages) come from searches by id when the source selects traces by id,
// asking what the link join reads: the verdict is the one those traces
// read whole give, and the sources panel says how many came that way.
func TestLinkedTracesSelectedGiveTheWholeTracesVerdict(t *testing.T) {
	for _, preset := range []string{"consumer", "batch-consumer"} {
		t.Run(preset, func(t *testing.T) {
			inc := incident(t, preset)
			whole, sel, got := wholeAndSelected(t, inc)
			var linkNote string
			for _, n := range traceNotes(got) {
				if strings.HasPrefix(n, "span links followed") {
					linkNote = n
				}
			}
			var linked int
			if _, err := fmt.Sscanf(linkNote, "span links followed to all %d linked traces", &linked); err != nil || linked == 0 {
				t.Fatalf("link note %q: want every linked trace followed", linkNote)
			}
			if want := fmt.Sprintf("; %d of them read from one search by trace id", linked); !strings.Contains(linkNote, want) {
				t.Errorf("link note %q does not say %q", linkNote, want)
			}
			if !slices.Contains(sel.keys.SpanKeys, "messaging.message.id") || !slices.Contains(sel.keys.SpanKeys, "messaging.destination.name") {
				t.Errorf("linked traces selected with %v: not the message's id and topic", sel.keys.SpanKeys)
			}
			fetched, before := sel.fetches.Load(), whole.fetches.Load()
			if fetched > before-int64(linked) {
				t.Errorf("fetched %d whole, against %d without selecting: the %d linked traces were not spared", fetched, before, linked)
			}
			t.Logf("%d fetched whole, against %d; %d linked traces selected by id", fetched, before, linked)
		})
	}
}
