package waterfall

import (
	"strings"
	"time"

	"github.com/triagectl/triage/triage"
)

// Marks on a span; each has its own glyph so none depends on colour.
const (
	markError    uint8 = 1 << iota // the span's status is ERROR
	markPath                       // on the error path, root → origin
	markOrigin                     // a fatal error origin
	markCritical                   // on the critical path
)

// traceData is a fetched trace read once, off the UI goroutine: its tree,
// the marks, and the per-span arrays the rows are drawn from. Every slice
// is indexed by the span's index in trace.Spans.
type traceData struct {
	trace *triage.Trace
	an    triage.TraceAnalysis
	tree  *triage.Tree
	order []int32 // depth first: the waterfall's order
	pos   []int32 // position of a span in order, -1 for a dropped duplicate
	size  []int32 // spans in the subtree, itself included
	depth []int32
	mark  []uint8
	crit  []time.Duration // critical-path time the span alone accounts for
	hay   []string        // lower-case "service name", for the filter
	start []int64         // unix ns, clamped into the parent's interval
	end   []int64
	t0    int64 // the trace's extent over every root
	t1    int64
	byID  map[string]int32
}

// newTraceData builds the tree through the engine and reads the marks. The
// engine repairs missing parents, cycles and duplicate ids, so this never
// fails; an empty trace gives an empty order.
func newTraceData(t *triage.Trace, o triage.Options) *traceData {
	an := triage.AnalyzeTrace(t, o.Analysis())
	d := &traceData{trace: t, an: an, tree: an.Tree()}
	n := len(t.Spans)
	if d.tree == nil || d.tree.Root() < 0 {
		return d
	}
	tr := d.tree
	d.order = tr.Order()
	ints := make([]int32, 3*n)
	d.pos, d.size, d.depth = ints[:n:n], ints[n:2*n:2*n], ints[2*n:]
	d.mark = make([]uint8, n)
	d.crit = make([]time.Duration, n)
	d.hay = make([]string, n)
	times := make([]int64, 2*n)
	d.start, d.end = times[:n:n], times[n:]
	d.byID = make(map[string]int32, len(d.order))
	for i := range d.pos {
		d.pos[i] = -1
	}
	for k, i := range d.order {
		d.pos[i] = int32(k)
		d.size[i] = 1
		if p := tr.Parent(int(i)); p >= 0 {
			d.depth[i] = d.depth[p] + 1
		}
		s := tr.Span(int(i))
		st, en := tr.Interval(int(i))
		d.start[i], d.end[i] = st.UnixNano(), en.UnixNano()
		if s.Error {
			d.mark[i] |= markError
		}
		d.hay[i] = strings.ToLower(s.Service() + " " + s.Name)
		if _, dup := d.byID[s.SpanID]; !dup && s.SpanID != "" {
			d.byID[s.SpanID] = i
		}
	}
	for k := len(d.order) - 1; k >= 0; k-- {
		i := d.order[k]
		if p := tr.Parent(int(i)); p >= 0 {
			d.size[p] += d.size[i]
		}
	}
	d.t0, d.t1 = d.start[tr.Root()], d.end[tr.Root()]
	for _, r := range tr.Roots() {
		d.t0, d.t1 = min(d.t0, d.start[r]), max(d.t1, d.end[r])
	}
	d.markPaths()
	return d
}

// markPaths marks the error path of every fatal origin and the critical
// path from the root. The engine computes the critical path only for slow
// traces; the waterfall shows it for every trace.
func (d *traceData) markPaths() {
	tr := d.tree
	for k := range d.an.Origins {
		o := &d.an.Origins[k]
		if !o.Fatal {
			continue
		}
		i, ok := d.byID[o.SpanID]
		if !ok {
			continue
		}
		d.mark[i] |= markOrigin
		for j, steps := int(i), 0; j >= 0 && steps <= len(d.order); j, steps = tr.Parent(j), steps+1 {
			d.mark[j] |= markPath
		}
	}
	path := d.an.CriticalPath
	if path == nil {
		path = tr.CriticalPath(tr.Root())
	}
	for k := range path {
		i := path[k].Index
		d.mark[i] |= markCritical
		d.crit[i] = path[k].Critical
	}
}

// Len is the number of spans drawn.
func (d *traceData) Len() int { return len(d.order) }

// span returns span i.
func (d *traceData) span(i int32) *triage.Span { return d.tree.Span(int(i)) }

// parent is span i's parent, -1 for a root.
func (d *traceData) parent(i int32) int32 { return int32(d.tree.Parent(int(i))) }

// duration is the trace's extent.
func (d *traceData) duration() time.Duration { return time.Duration(d.t1 - d.t0) }

// fold is the page's view of the tree: which spans are collapsed, which
// pass the filter, and the rows that result.
type fold struct {
	collapsed []bool
	pass      []bool  // nil without a filter: every span passes
	passing   []int32 // per span: passing spans in its subtree, itself included
	rows      []int32 // the spans shown, in order
	last      []bool  // per span: no later shown sibling
	lastKid   []int32 // scratch: the last shown child per parent
}

func newFold(d *traceData) *fold {
	n := len(d.mark)
	return &fold{collapsed: make([]bool, n), last: make([]bool, n), lastKid: make([]int32, n+1)}
}

// setFilter keeps the spans whose service or name contains q, and their
// ancestors; it expands those ancestors so every match can be seen.
func (f *fold) setFilter(d *traceData, q string) {
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		f.pass, f.passing = nil, nil
		return
	}
	n := len(d.mark)
	if f.pass == nil {
		f.pass, f.passing = make([]bool, n), make([]int32, n)
	}
	clear(f.pass)
	clear(f.passing)
	for k := len(d.order) - 1; k >= 0; k-- {
		i := d.order[k]
		if strings.Contains(d.hay[i], q) {
			f.pass[i] = true
		}
		if !f.pass[i] {
			continue
		}
		f.passing[i]++
		if p := d.parent(i); p >= 0 {
			f.pass[p] = true
			f.passing[p] += f.passing[i]
			f.collapsed[p] = false
		}
	}
}

// hidden is the number of spans a collapsed span hides.
func (f *fold) hidden(d *traceData, i int32) int {
	if f.passing != nil {
		return int(f.passing[i]) - 1
	}
	return int(d.size[i]) - 1
}

// rebuild lists the rows: a collapsed or filtered-out span skips its whole
// subtree, which order keeps contiguous.
func (f *fold) rebuild(d *traceData) {
	f.rows = f.rows[:0]
	for k := 0; k < len(d.order); {
		i := d.order[k]
		if f.pass != nil && !f.pass[i] {
			k += int(d.size[i])
			continue
		}
		f.rows = append(f.rows, i)
		if f.collapsed[i] {
			k += int(d.size[i])
			continue
		}
		k++
	}
	// lastKid is indexed by parent+1 so roots share slot 0.
	for i := range f.lastKid {
		f.lastKid[i] = -1
	}
	for _, i := range f.rows {
		f.lastKid[d.parent(i)+1] = i
	}
	for _, i := range f.rows {
		f.last[i] = f.lastKid[d.parent(i)+1] == i
	}
}

// find is the row showing span i, else the row of the nearest span before
// it in order (its closest shown ancestor when it is folded away).
func (f *fold) find(d *traceData, i int32) int {
	target := d.pos[i]
	lo, hi := 0, len(f.rows)
	for lo < hi {
		m := (lo + hi) / 2
		if d.pos[f.rows[m]] <= target {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return max(lo-1, 0)
}

// hasKids reports whether span i has children in the tree.
func (d *traceData) hasKids(i int32) bool { return d.size[i] > 1 }
