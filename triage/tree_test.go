package triage

import (
	"slices"
	"testing"
	"time"
)

// spanSpec describes a span compactly for constructed traces; times are
// milliseconds from the trace's start.
type spanSpec struct {
	id, parent string
	svc, name  string
	kind       SpanKind
	start, end int
	err        bool
	msg        string
	attrs      Attrs
	links      []Link
}

var treeT0 = time.Date(2025, 11, 24, 3, 10, 0, 0, time.UTC)

func atMS(n int) time.Time { return treeT0.Add(time.Duration(n) * time.Millisecond) }

// build makes a trace; spans of one service share a resource, as they do
// when they come from one process.
func buildTrace(id string, spans ...spanSpec) *Trace {
	res := map[string]*Resource{}
	t := &Trace{ID: id}
	for _, s := range spans {
		r := res[s.svc]
		if r == nil {
			r = &Resource{Service: s.svc, Attrs: Attrs{{"service.name", s.svc}}}
			res[s.svc] = r
		}
		t.Spans = append(t.Spans, Span{
			TraceID: id, SpanID: s.id, ParentID: s.parent, Name: s.name, Kind: s.kind,
			Start: atMS(s.start), End: atMS(s.end), Error: s.err, StatusMessage: s.msg,
			Resource: r, Attrs: s.attrs, Links: s.links,
		})
	}
	return t
}

func TestBuildTree(t *testing.T) {
	tests := []struct {
		name      string
		spans     []spanSpec
		root      string
		roots     []string // every root, Root first
		order     []string
		anomalies TreeAnomalies
	}{
		{
			name: "well formed",
			spans: []spanSpec{
				{id: "b", parent: "a", start: 10, end: 50},
				{id: "a", start: 0, end: 100},
				{id: "c", parent: "a", start: 5, end: 8},
				{id: "d", parent: "b", start: 20, end: 30},
			},
			root: "a", roots: []string{"a"}, order: []string{"a", "c", "b", "d"},
		},
		{
			name: "missing parent makes an orphan root after the real root",
			spans: []spanSpec{
				{id: "x", parent: "gone", start: 1, end: 5},
				{id: "a", start: 0, end: 10},
				{id: "y", parent: "x", start: 2, end: 3},
			},
			root: "a", roots: []string{"a", "x"}, order: []string{"a", "x", "y"},
			anomalies: TreeAnomalies{MissingParents: 1, ExtraRoots: 1},
		},
		{
			name: "no parentless span: the earliest orphan is the root",
			spans: []spanSpec{
				{id: "late", parent: "gone1", start: 5, end: 9},
				{id: "early", parent: "gone2", start: 1, end: 9},
			},
			root: "early", roots: []string{"early", "late"}, order: []string{"early", "late"},
			anomalies: TreeAnomalies{MissingParents: 2, ExtraRoots: 1},
		},
		{
			name: "two-span cycle is cut at its earliest span",
			spans: []spanSpec{
				{id: "a", start: 0, end: 100},
				{id: "p", parent: "q", start: 20, end: 40},
				{id: "q", parent: "p", start: 10, end: 50},
				{id: "r", parent: "p", start: 25, end: 30},
			},
			root: "a", roots: []string{"a", "q"}, order: []string{"a", "q", "p", "r"},
			anomalies: TreeAnomalies{Cycles: 1, ExtraRoots: 1},
		},
		{
			name: "self parent",
			spans: []spanSpec{
				{id: "a", parent: "a", start: 0, end: 10},
			},
			root: "a", roots: []string{"a"}, order: []string{"a"},
			anomalies: TreeAnomalies{Cycles: 1},
		},
		{
			name: "duplicate span id keeps the first",
			spans: []spanSpec{
				{id: "a", start: 0, end: 10},
				{id: "b", parent: "a", start: 1, end: 2},
				{id: "b", parent: "a", start: 3, end: 4},
			},
			root: "a", roots: []string{"a"}, order: []string{"a", "b"},
			anomalies: TreeAnomalies{DuplicateIDs: 1},
		},
		{
			name: "skewed child is counted",
			spans: []spanSpec{
				{id: "a", start: 10, end: 20},
				{id: "b", parent: "a", start: 5, end: 25},
			},
			root: "a", roots: []string{"a"}, order: []string{"a", "b"},
			anomalies: TreeAnomalies{Skewed: 1},
		},
		{
			name:  "empty",
			spans: nil,
			root:  "", roots: nil, order: nil,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := BuildTree(buildTrace("t", tc.spans...))
			ids := func(idx []int32) []string {
				var out []string
				for _, i := range idx {
					out = append(out, tr.Span(int(i)).SpanID)
				}
				return out
			}
			root := ""
			if r := tr.Root(); r >= 0 {
				root = tr.Span(r).SpanID
			}
			if root != tc.root {
				t.Errorf("root %q, want %q", root, tc.root)
			}
			if got := ids(tr.Roots()); !slices.Equal(got, tc.roots) {
				t.Errorf("roots %v, want %v", got, tc.roots)
			}
			if got := ids(tr.Order()); !slices.Equal(got, tc.order) {
				t.Errorf("order %v, want %v", got, tc.order)
			}
			if tr.Anomalies() != tc.anomalies {
				t.Errorf("anomalies %+v, want %+v", tr.Anomalies(), tc.anomalies)
			}
		})
	}
}

func TestTreeClampsSkewForTiming(t *testing.T) {
	tr := BuildTree(buildTrace("t",
		spanSpec{id: "a", start: 10, end: 20},
		spanSpec{id: "b", parent: "a", start: 5, end: 25}, // outside on both sides
		spanSpec{id: "c", parent: "b", start: 0, end: 12},
	))
	for _, tc := range []struct {
		i          int
		start, end time.Time
	}{
		{1, atMS(10), atMS(20)},
		{2, atMS(10), atMS(12)},
	} {
		s, e := tr.Interval(tc.i)
		if !s.Equal(tc.start) || !e.Equal(tc.end) {
			t.Errorf("span %d clamped to %s–%s, want %s–%s", tc.i, s, e, tc.start, tc.end)
		}
	}
	if got := tr.SelfTime(0); got != 0 {
		t.Errorf("root self time %s: the clamped child covers all of it", got)
	}
	if got := tr.SelfTime(1); got != 8*time.Millisecond {
		t.Errorf("child self time %s, want 8ms", got)
	}
	if tr.Depth(2) != 2 || tr.Parent(2) != 1 || tr.Parent(0) != -1 {
		t.Errorf("depth %d, parents %d %d", tr.Depth(2), tr.Parent(2), tr.Parent(0))
	}
}

func TestSelfTimeUnionsOverlappingChildren(t *testing.T) {
	tr := BuildTree(buildTrace("t",
		spanSpec{id: "a", start: 0, end: 100},
		spanSpec{id: "b", parent: "a", start: 10, end: 40},
		spanSpec{id: "c", parent: "a", start: 30, end: 60}, // overlaps b
		spanSpec{id: "d", parent: "a", start: 45, end: 50}, // inside c
		spanSpec{id: "e", parent: "a", start: 80, end: 90},
	))
	// Children cover 10–60 and 80–90: 60ms of 100.
	if got := tr.SelfTime(0); got != 40*time.Millisecond {
		t.Fatalf("self time %s, want 40ms", got)
	}
}
