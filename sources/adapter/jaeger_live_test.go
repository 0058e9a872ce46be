package adapter_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/triagectl/triage/internal/testenv"
	"github.com/triagectl/triage/sources/adapter"
	"github.com/triagectl/triage/sources/jaeger"
	"github.com/triagectl/triage/triage"
)

// The engine's searches against the live Jaeger, each checked against the
// same question asked of the generated traces: every hit answers it, and
// the note says how Jaeger answered what it cannot ask.
func TestLiveJaegerSearches(t *testing.T) {
	testenv.Jaeger(t)
	si := testenv.Incident(t)
	cfg := si.Jaeger.Config()
	cfg.Timeout = 30 * time.Second // scans of a thousand whole traces, four at a time, on a small machine
	c, err := jaeger.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	j := adapter.JaegerTraces{C: c}
	all := adapter.ConvertTraces(si.Incident.PTraces())
	byID := map[string]*triage.Trace{}
	for _, tr := range all {
		byID[tr.ID] = tr
	}
	tr := si.Truth
	start, end := tr.Start.Add(-time.Minute), si.Now.Add(time.Minute)
	svc := tr.CulpritCaller
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		q    triage.TraceSearch
		note string // in the note; "" for none
		// Fewer traces answer than the limit: nearly all are found (a part
		// of the window busier than its share of the scan loses some).
		every bool
	}{
		{"failed entry spans", triage.TraceSearch{Service: svc, Kinds: triage.EntryKinds, Status: triage.StatusError, Limit: 1000},
			"error=true found none", true},
		{"failures below", triage.TraceSearch{Service: svc, FailingBelow: true, Limit: 1000}, "no structural search", false},
		{"slow entry spans", triage.TraceSearch{Service: svc, Kinds: triage.EntryKinds, MinDuration: time.Second, Limit: 200}, "span kind", false},
		{"healthy entry spans", triage.TraceSearch{Service: svc, Kinds: triage.EntryKinds, Status: triage.StatusNotError, Limit: 100},
			"cannot search for spans that did not fail or search by span kind", false},
		{"by attribute", triage.TraceSearch{Service: tr.EntryService, Attrs: []triage.Attr{{Key: "enduser.id", Value: tr.Users[0].ID}}, Limit: 100},
			"", true},
		{"no service in scope", triage.TraceSearch{Status: triage.StatusError, Limit: 300}, "each of the", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			q.Start, q.End = start, end
			h, err := j.Search(ctx, q)
			if err != nil {
				t.Fatalf("%s: %v", h.Query, err)
			}
			if tc.note == "" && h.Note != "" || !strings.Contains(h.Note, tc.note) {
				t.Errorf("note %q, want %q in it", h.Note, tc.note)
			}
			if _, err := triage.ParseJaegerSearch(h.Query); err != nil && q.Service != "" {
				t.Errorf("query %q does not read back: %v", h.Query, err)
			}
			if len(h.Refs) == 0 || len(h.Refs) > q.Limit {
				t.Fatalf("%d hits for %s (limit %d)", len(h.Refs), h.Query, q.Limit)
			}
			found := map[string]bool{}
			for _, r := range h.Refs {
				if found[r.TraceID] {
					t.Errorf("hit %s twice", r.TraceID)
				}
				found[r.TraceID] = true
				if !q.Matches(byID[r.TraceID]) {
					t.Errorf("hit %s does not answer the search", r.TraceID)
				}
			}
			if tc.every {
				answers := 0
				for _, g := range all {
					if g.Spans[0].Start.After(start) && q.Matches(g) {
						answers++
					}
				}
				if len(h.Refs) < answers*9/10 {
					t.Errorf("%d of the %d traces that answer the search found", len(h.Refs), answers)
				}
			}
			t.Logf("%s: %d hits; %s", h.Query, len(h.Refs), h.Note)
		})
	}

	// The consumers of a message, found from the consumer's side.
	var consumer, producer string
	for _, g := range all {
		if root := g.Spans[0]; root.Kind == triage.KindConsumer && len(root.Links) > 0 {
			consumer, producer = g.ID, root.Links[0].TraceID
			break
		}
	}
	if consumer == "" {
		t.Fatal("the incident has no consumer trace")
	}
	h, err := j.Search(ctx, triage.LinkedTracesSearch(producer, triage.Window{Start: start, End: end}))
	if err != nil {
		t.Fatalf("linked: %v", err)
	}
	ids := make([]string, len(h.Refs))
	for i, r := range h.Refs {
		ids[i] = r.TraceID
	}
	if !slices.Contains(ids, consumer) || !strings.Contains(h.Note, "by topic and key") {
		t.Errorf("traces linking to %s = %v (%s), want %s", producer, ids, h.Note, consumer)
	}
	t.Logf("linked: %s → %v; %s", h.Query, ids, h.Note)
}
