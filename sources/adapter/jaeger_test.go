package adapter_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/triagectl/triage/internal/sim"
	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/sources/adapter"
	"github.com/triagectl/triage/sources/jaeger"
	"github.com/triagectl/triage/triage"
)

// The Jaeger adapter's translation over a Jaeger held in memory (that
// honours error=true): each of the engine's searches finds exactly the
// traces that answer it among those Jaeger returns, notes what Jaeger
// could not ask, and writes its query as Jaeger's search form.
func TestJaegerSearchTranslation(t *testing.T) {
	inc, err := sim.Generate(sim.DefaultScenario(), time.Now().Truncate(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	f := jaeger.NewFake()
	f.AddTraces(inc.PTraces())
	j := adapter.JaegerTraces{C: f}
	all := adapter.ConvertTraces(inc.PTraces())
	byID := map[string]*triage.Trace{}
	for _, tr := range all {
		byID[tr.ID] = tr
	}
	tr := inc.Truth()
	start, end := tr.Start.Add(-time.Minute), tr.End.Add(time.Minute)
	svc := tr.CulpritCaller
	for _, tc := range []struct {
		name, query, note string
		every             bool // fewer answers than a part of the window holds: all are found
	}{
		{"failed entry spans", `service=payments tags="error=true" limit=5000`, "cannot search by span kind", true},
		{"failures below", "service=payments limit=5000", "no structural search", false},
		{"slow entry spans", "service=payments minDuration=1s limit=2000", "cannot search by span kind", true},
		{"healthy entry spans", "service=payments limit=2000", "cannot search for spans that did not fail", false},
		{"attributes", `service=storefront tags="enduser.id=` + tr.Users[0].ID + `" limit=1000`, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := map[string]triage.TraceSearch{
				"failed entry spans":  {Service: svc, Kinds: triage.EntryKinds, Status: triage.StatusError},
				"failures below":      {Service: svc, FailingBelow: true},
				"slow entry spans":    {Service: svc, Kinds: triage.EntryKinds, MinDuration: time.Second},
				"healthy entry spans": {Service: svc, Kinds: triage.EntryKinds, Status: triage.StatusNotError},
				"attributes":          {Service: tr.EntryService, Attrs: []triage.Attr{{Key: "enduser.id", Value: tr.Users[0].ID}}},
			}[tc.name]
			q.Start, q.End, q.Limit = start, end, 1000
			h, err := j.Search(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			if h.Query != tc.query {
				t.Errorf("query %s, want %s", h.Query, tc.query)
			}
			if (tc.note == "") != (h.Note == "") || !strings.Contains(h.Note, tc.note) {
				t.Errorf("note %q, want %q in it", h.Note, tc.note)
			}
			got := map[string]bool{}
			for _, r := range h.Refs {
				got[r.TraceID] = true
				if !q.Matches(byID[r.TraceID]) {
					t.Errorf("hit %s does not answer the search", r.TraceID)
				}
			}
			if tc.every {
				for _, g := range all {
					if q.Matches(g) && !got[g.ID] {
						t.Errorf("trace %s answers the search and was not found", g.ID)
					}
				}
				return
			}
			if len(h.Refs) == 0 {
				t.Fatal("no hits")
			}
			if q.Status != triage.StatusNotError {
				return
			}
			// Healthy traces, more than asked for: they come from every
			// part of the window, not only its newest traces.
			fifths := map[int]bool{}
			for _, r := range h.Refs {
				fifths[int(5*r.Start.Sub(start)/end.Sub(start))] = true
			}
			if len(fifths) < 5 {
				t.Errorf("hits from %d fifths of the window, want all 5", len(fifths))
			}
		})
	}
	// The consumers of a producer's message, by topic and key.
	var consumer, producer string
	for _, g := range all {
		if root := g.Spans[0]; root.Kind == triage.KindConsumer && len(root.Links) > 0 {
			consumer, producer = g.ID, root.Links[0].TraceID
			break
		}
	}
	h, err := j.Search(context.Background(), triage.LinkedTracesSearch(producer, triage.Window{Start: start, End: end}))
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Refs) != 1 || h.Refs[0].TraceID != consumer || !strings.Contains(h.Query, "messaging.kafka.message.key=") ||
		!strings.Contains(h.Note, "consumers (notifications)") {
		t.Errorf("linked to %s: %+v, want %s", producer, h, consumer)
	}
	// A trace that sent nothing has no consumers to look for.
	for _, g := range all {
		if !triage.HasProducerSpan(g) {
			h, err := j.Search(context.Background(), triage.LinkedTracesSearch(g.ID, triage.Window{Start: start, End: end}))
			if err != nil || len(h.Refs) != 0 || !strings.Contains(h.Note, "sent no message") {
				t.Errorf("linked to a trace without producer: %+v, %v", h, err)
			}
			break
		}
	}
	// No service in scope: every service is asked.
	h, err = j.Search(context.Background(), triage.TraceSearch{Status: triage.StatusError, Start: start, End: end, Limit: 50})
	if err != nil || len(h.Refs) != 50 || !strings.Contains(h.Note, "each of the") {
		t.Errorf("no scope: %d hits, %q, %v", len(h.Refs), h.Note, err)
	}
	services := 0
	for _, c := range f.Calls() {
		if c == "services" {
			services++
		}
	}
	if services == 0 {
		t.Error("the services were not listed")
	}
}

// A failing Jaeger fails the search with its error, and the report still
// gets the query that was asked.
func TestJaegerSearchFails(t *testing.T) {
	f := jaeger.NewFake()
	boom := &sources.Error{Source: "jaeger", Op: "search", Kind: sources.KindUnreachable, Msg: "connection refused"}
	f.Errors["search"] = boom
	j := adapter.JaegerTraces{C: f}
	now := time.Now()
	h, err := j.Search(context.Background(), triage.TraceSearch{Service: "payments", Status: triage.StatusError,
		Start: now.Add(-time.Hour), End: now, Limit: 10})
	if !errors.Is(err, boom) || h.Query != `service=payments tags="error=true" limit=10` {
		t.Errorf("hits %+v, err %v", h, err)
	}
	if _, err := j.Trace(context.Background(), "0af7651916cd43dd8448eb211c80319c"); sources.KindOf(err) != sources.KindNotFound {
		t.Errorf("missing trace: %v", err)
	}
	if j.Name() != triage.SourceJaeger {
		t.Errorf("name %q", j.Name())
	}
}

// A latency incident's slow traces crowd into the last part of the window:
// the parts before it find none and leave their shares unused. The search
// still fills its limit from the parts that hold the matches, and the
// sample is the same whatever order Jaeger holds the traces in.
func TestJaegerSearchFillsLimitFromCrowdedParts(t *testing.T) {
	sc, err := sim.PresetScenario("cache-tier")
	if err != nil {
		t.Fatal(err)
	}
	inc, err := sim.Generate(sc, time.Now().Truncate(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	f := jaeger.NewFake()
	f.AddTraces(inc.PTraces())
	j := adapter.JaegerTraces{C: f}
	byID := map[string]*triage.Trace{}
	for _, tr := range adapter.ConvertTraces(inc.PTraces()) {
		byID[tr.ID] = tr
	}
	tr := inc.Truth()
	// Twice the incident before it, as an investigation's lookback has it:
	// the slow traces sit in the window's last third.
	q := triage.TraceSearch{Service: tr.EntryService, Kinds: triage.EntryKinds, MinDuration: time.Second,
		Start: tr.IncidentStart.Add(-2 * tr.End.Sub(tr.IncidentStart)), End: tr.End, Limit: 200}
	all := 0
	for _, t := range byID {
		if q.Matches(t) {
			all++
		}
	}
	if all < 2*q.Limit {
		t.Fatalf("the scenario holds %d slow traces, want at least %d", all, 2*q.Limit)
	}
	h, err := j.Search(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Refs) != q.Limit {
		t.Errorf("%d hits, want the limit %d", len(h.Refs), q.Limit)
	}
	first, last := tr.End, tr.IncidentStart
	for _, r := range h.Refs {
		if !q.Matches(byID[r.TraceID]) {
			t.Errorf("hit %s does not answer the search", r.TraceID)
		}
		first, last = minTime(first, r.Start), maxTime(last, r.Start)
	}
	// Spread over the incident, not its last minutes.
	if span, whole := last.Sub(first), tr.End.Sub(tr.IncidentStart); span < whole*3/4 {
		t.Errorf("hits span %s of the incident's %s", span, whole)
	}
	// In proportion over time, as a draw from all the matches would be:
	// each tenth of the window holds the same share of the hits as of the
	// slow traces, so the user estimate reads an even sample.
	tenth := q.End.Sub(q.Start) / 10
	var hitsIn, allIn [10]int
	decile := func(at time.Time) int { return min(int(at.Sub(q.Start)/tenth), 9) }
	for _, t := range byID {
		if q.Matches(t) {
			start := t.Spans[0].Start
			for _, sp := range t.Spans {
				start = minTime(start, sp.Start)
			}
			allIn[decile(start)]++
		}
	}
	for _, r := range h.Refs {
		hitsIn[decile(r.Start)]++
	}
	for d := range 10 {
		got, want := float64(hitsIn[d])/float64(len(h.Refs)), float64(allIn[d])/float64(all)
		if math.Abs(got-want) > 0.03 {
			t.Errorf("tenth %d of the window: %.1f%% of the hits, %.1f%% of the slow traces", d, 100*got, 100*want)
		}
	}
	// Which of a part's matches Jaeger returns first is its store's pick
	// (the order the spans arrived in); the sample must not be: the same
	// traces stored in another order give the same hits.
	other := jaeger.NewFake()
	rss := inc.PTraces().ResourceSpans()
	for i := rss.Len() - 1; i >= 0; i-- {
		td := ptrace.NewTraces()
		rss.At(i).CopyTo(td.ResourceSpans().AppendEmpty())
		other.AddTraces(td)
	}
	again, err := adapter.JaegerTraces{C: other}.Search(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Refs) != len(h.Refs) {
		t.Fatalf("stored in another order: %d hits, then %d", len(h.Refs), len(again.Refs))
	}
	for i := range h.Refs {
		if again.Refs[i].TraceID != h.Refs[i].TraceID {
			t.Fatalf("stored in another order: hit %d is %s, was %s", i, again.Refs[i].TraceID, h.Refs[i].TraceID)
		}
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// countingJaeger counts the traces a Jaeger returns to searches.
type countingJaeger struct {
	*jaeger.Fake
	mu       sync.Mutex
	returned int
	asks     int
	deepest  int // the most traces one search asked to look through
}

func (c *countingJaeger) Search(ctx context.Context, q jaeger.Query) (*jaeger.SearchResult, error) {
	c.mu.Lock()
	c.deepest = max(c.deepest, q.Limit, q.ScanLimit)
	c.mu.Unlock()
	res, err := c.Fake.Search(ctx, q)
	if err == nil {
		c.mu.Lock()
		c.returned += len(res.Traces)
		c.asks++
		c.mu.Unlock()
	}
	return res, err
}

// A window of one part is asked no deeper than the whole scan, which the
// in-memory store's max_traces must allow, for failures below the scope
// and for failed spans alike.
func TestJaegerLookThroughAsksNoDeeperThanTheScan(t *testing.T) {
	inc, err := sim.Generate(sim.DefaultScenario(), time.Now().Truncate(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	tr := inc.Truth()
	for _, q := range []triage.TraceSearch{
		{Service: tr.EntryService, FailingBelow: true, Limit: 200},
		{Service: tr.EntryService, Status: triage.StatusError, Kinds: triage.EntryKinds, Limit: 200},
	} {
		q.Start, q.End = tr.End.Add(-90*time.Second), tr.End
		f := &countingJaeger{Fake: jaeger.NewFake()}
		f.AddTraces(inc.PTraces())
		j := adapter.JaegerTraces{C: f, ScanDepth: 300}
		if _, err := j.Search(context.Background(), q); err != nil {
			t.Fatal(err)
		}
		if f.deepest > j.ScanDepth {
			t.Errorf("failing below %v, errors %v: a search asked %d deep, over the scan's %d", q.FailingBelow, q.Status == triage.StatusError, f.deepest, j.ScanDepth)
		}
	}
}

// Looking through a busy window's traces (failures below the scope, which
// Jaeger cannot ask) fetches each of them once: every part is asked as
// deep as its share of the scan's budget at once, not half as deep and
// then again in halves. Every trace answering the search is found.
func TestJaegerLookThroughFetchesEachTraceOnce(t *testing.T) {
	inc, err := sim.Generate(sim.DefaultScenario(), time.Now().Truncate(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	tr := inc.Truth()
	f := &countingJaeger{Fake: jaeger.NewFake()}
	f.AddTraces(inc.PTraces())
	q := triage.TraceSearch{Service: tr.EntryService, FailingBelow: true,
		Start: tr.IncidentStart.Add(-10 * time.Minute), End: tr.End, Limit: 200}
	inWindow, want := 0, map[string]bool{}
	anyOf := triage.TraceSearch{Service: q.Service, Start: q.Start, End: q.End}
	for _, t := range adapter.ConvertTraces(inc.PTraces()) {
		if !anyOf.Matches(t) {
			continue
		}
		inWindow++
		if q.Matches(t) {
			want[t.ID] = true
		}
	}
	// Busy enough that a tenth of the window holds more than a tenth of
	// the scan: the case that asked parts twice.
	if inWindow < adapter.DefaultJaegerScan/2 {
		t.Fatalf("the scenario holds %d traces of %s in the window, want at least %d", inWindow, q.Service, adapter.DefaultJaegerScan/2)
	}
	h, err := adapter.JaegerTraces{C: f}.Search(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if f.returned != inWindow {
		t.Errorf("Jaeger returned %d traces over %d searches; the window holds %d, each to be fetched once", f.returned, f.asks, inWindow)
	}
	if len(h.Refs) != min(len(want), q.Limit) {
		t.Errorf("%d hits, want %d of the %d failing below", len(h.Refs), min(len(want), q.Limit), len(want))
	}
	for _, r := range h.Refs {
		if !want[r.TraceID] {
			t.Errorf("hit %s does not fail below %s", r.TraceID, q.Service)
		}
	}
	if wantNote := fmt.Sprintf("all %d traces of %s in the window", inWindow, q.Service); !strings.Contains(h.Note, wantNote) {
		t.Errorf("note %q does not say %q", h.Note, wantNote)
	}
}
