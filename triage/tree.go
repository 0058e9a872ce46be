package triage

import (
	"slices"
	"time"
)

// TreeAnomalies counts what was wrong with a trace's parent links. Real
// traces arrive with all of these: partial fetches, skewed host clocks,
// buggy instrumentation, and duplicate deliveries.
type TreeAnomalies struct {
	MissingParents int `json:"missing_parents"` // spans whose parent is not in the trace
	Cycles         int `json:"cycles"`          // parent cycles, each broken at one span
	DuplicateIDs   int `json:"duplicate_ids"`   // spans dropped for repeating an earlier span id
	Skewed         int `json:"skewed"`          // spans reaching outside their parent's interval
	ExtraRoots     int `json:"extra_roots"`     // roots besides the chosen one
}

// Any reports whether anything was wrong.
func (a TreeAnomalies) Any() bool { return a != TreeAnomalies{} }

const (
	noParent = -1
	dropped  = -2
)

// Tree is a trace's spans arranged by their parent links. Indexes refer to
// the trace's Spans slice, which the tree shares and never modifies.
type Tree struct {
	spans     []Span
	parent    []int32 // noParent for a root, dropped for a duplicate id
	kidStart  []int32 // children of i are kids[kidStart[i]:kidStart[i+1]], by start time
	kids      []int32
	roots     []int32 // roots[0] is the trace's root
	order     []int32 // depth-first, parents before children, children by start
	start     []int64 // unix ns, clamped into the parent's interval
	end       []int64
	anomalies TreeAnomalies
}

// BuildTree arranges t's spans into a tree. It never fails: orphans become
// extra roots, cycles are cut, duplicate span ids are dropped, and child
// intervals are clamped into their parents' for the timing arithmetic.
func BuildTree(t *Trace) *Tree {
	n := len(t.Spans)
	tr := &Tree{spans: t.Spans}
	ints := make([]int32, 4*n+1)
	tr.parent, tr.kidStart, tr.kids, tr.order = ints[:n:n], ints[n:2*n+1:2*n+1], ints[2*n+1:3*n+1:3*n+1], ints[3*n+1:3*n+1]
	times := make([]int64, 2*n)
	tr.start, tr.end = times[:n:n], times[n:]

	byID := newSpanIndex(n)
	for i := range t.Spans {
		s := &t.Spans[i]
		tr.start[i], tr.end[i] = unixNano(s.Start), unixNano(s.End)
		if tr.end[i] < tr.start[i] {
			tr.end[i] = tr.start[i]
		}
		if s.SpanID == "" {
			continue
		}
		if !byID.add(t.Spans, int32(i)) {
			tr.parent[i] = dropped
			tr.anomalies.DuplicateIDs++
		}
	}
	var trueRoots, orphans []int32
	for i := range t.Spans {
		if tr.parent[i] == dropped {
			continue
		}
		tr.parent[i] = noParent
		pid := t.Spans[i].ParentID
		if pid == "" {
			trueRoots = append(trueRoots, int32(i))
			continue
		}
		p, ok := byID.find(t.Spans, pid)
		if !ok {
			orphans = append(orphans, int32(i))
			tr.anomalies.MissingParents++
			continue
		}
		tr.parent[i] = p
		tr.kidStart[p+1]++
	}
	for i := 1; i <= n; i++ {
		tr.kidStart[i] += tr.kidStart[i-1]
	}
	fill := make([]int32, n)
	copy(fill, tr.kidStart[:n])
	for i := range n {
		if p := tr.parent[i]; p >= 0 {
			tr.kids[fill[p]] = int32(i)
			fill[p]++
		}
	}
	for i := range n {
		if k := tr.kids[tr.kidStart[i]:tr.kidStart[i+1]]; len(k) > 1 {
			slices.SortStableFunc(k, func(a, b int32) int { return cmpInt64(tr.start[a], tr.start[b]) })
		}
	}

	earliest := func(c []int32) {
		slices.SortStableFunc(c, func(a, b int32) int {
			if d := cmpInt64(tr.start[a], tr.start[b]); d != 0 {
				return d
			}
			return cmpInt64(tr.end[b]-tr.start[b], tr.end[a]-tr.start[a])
		})
	}
	earliest(trueRoots)
	earliest(orphans)
	tr.roots = make([]int32, 0, len(trueRoots)+len(orphans)+1)
	tr.roots = append(append(tr.roots, trueRoots...), orphans...)
	if len(tr.roots) > 1 {
		// The trace's root comes first; the other candidates follow by time.
		earliest(tr.roots[1:])
	}

	visited := fill // reused: 0 unvisited, 1 visited, >1 a cycle-walk stamp
	clear(visited)
	stack := make([]int32, 0, 16)
	for _, r := range tr.roots {
		stack = tr.walk(r, visited, stack)
	}
	tr.breakCycles(visited, stack)
	tr.anomalies.ExtraRoots = max(len(tr.roots)-1, 0)
	return tr
}

// walk appends r's subtree to order in depth-first order, clamping times.
func (tr *Tree) walk(r int32, visited, stack []int32) []int32 {
	stack = append(stack[:0], r)
	visited[r] = 1
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		tr.order = append(tr.order, i)
		if p := tr.parent[i]; p >= 0 {
			tr.clamp(i, p)
		}
		k := tr.kids[tr.kidStart[i]:tr.kidStart[i+1]]
		for j := len(k) - 1; j >= 0; j-- {
			c := k[j]
			// Cut links (cycles) leave stale entries in the child lists.
			if tr.parent[c] == i && visited[c] == 0 {
				visited[c] = 1
				stack = append(stack, c)
			}
		}
	}
	return stack
}

func (tr *Tree) clamp(i, p int32) {
	s, e := &tr.spans[i], &tr.spans[p]
	if s.Start.Before(e.Start) || s.End.After(e.End) {
		tr.anomalies.Skewed++
	}
	tr.start[i] = min(max(tr.start[i], tr.start[p]), tr.end[p])
	tr.end[i] = min(max(tr.end[i], tr.start[i]), tr.end[p])
}

// breakCycles finds the spans no root reached: each hangs below a parent
// cycle. The cycle is cut at its earliest span, which becomes a root.
func (tr *Tree) breakCycles(visited, stack []int32) {
	stamp := int32(1)
	for i := range tr.parent {
		if visited[i] != 0 || tr.parent[i] == dropped {
			continue
		}
		stamp++
		j := int32(i)
		for j >= 0 && visited[j] == 0 {
			visited[j] = stamp
			j = tr.parent[j]
		}
		for k := int32(i); k >= 0 && visited[k] == stamp; k = tr.parent[k] {
			visited[k] = 0
		}
		if j < 0 || visited[j] == 1 {
			// Not below a cycle after all; cannot happen for a consistent
			// parent array, but never loop on it.
			continue
		}
		cut := j
		for k := tr.parent[j]; k != j; k = tr.parent[k] {
			if tr.start[k] < tr.start[cut] {
				cut = k
			}
		}
		tr.parent[cut] = noParent
		tr.roots = append(tr.roots, cut)
		tr.anomalies.Cycles++
		stack = tr.walk(cut, visited, stack)
	}
}

// Len is the number of spans, dropped duplicates included.
func (tr *Tree) Len() int { return len(tr.spans) }

// Span returns span i.
func (tr *Tree) Span(i int) *Span { return &tr.spans[i] }

// Root is the trace's root: the earliest span without a parent, else the
// earliest orphan, else a span where a cycle was cut; -1 for no spans.
func (tr *Tree) Root() int {
	if len(tr.roots) == 0 {
		return -1
	}
	return int(tr.roots[0])
}

// Roots lists Root first, then every orphan and cut span. Read only.
func (tr *Tree) Roots() []int32 { return tr.roots }

// Parent is i's parent, or -1 for a root or a dropped duplicate.
func (tr *Tree) Parent(i int) int { return max(int(tr.parent[i]), -1) }

// Dropped reports whether span i repeated an earlier span's id.
func (tr *Tree) Dropped(i int) bool { return tr.parent[i] == dropped }

// Children lists i's children by start time. Read only; after a cycle is
// cut the list may hold the cut span, which Parent no longer agrees with.
func (tr *Tree) Children(i int) []int32 { return tr.kids[tr.kidStart[i]:tr.kidStart[i+1]] }

// Order lists every kept span depth first, parents before their children,
// each tree in Roots order: the order of a waterfall. Read only.
func (tr *Tree) Order() []int32 { return tr.order }

// Depth is the number of ancestors of i.
func (tr *Tree) Depth(i int) int {
	d := 0
	for p := tr.parent[i]; p >= 0 && d < len(tr.parent); p = tr.parent[p] {
		d++
	}
	return d
}

// Interval is span i's start and end, clamped into its parent's.
func (tr *Tree) Interval(i int) (start, end time.Time) {
	return time.Unix(0, tr.start[i]), time.Unix(0, tr.end[i])
}

// Anomalies says what had to be repaired.
func (tr *Tree) Anomalies() TreeAnomalies { return tr.anomalies }

// SelfTime is span i's clamped duration minus the union of its children's
// clamped intervals: the time spent in the span itself.
func (tr *Tree) SelfTime(i int) time.Duration {
	busy, reach := int64(0), tr.start[i]
	for _, c := range tr.Children(i) {
		if tr.parent[c] != int32(i) {
			continue
		}
		// Children are by start and clamped into i, so a sweep merges them.
		s, e := max(tr.start[c], reach), tr.end[c]
		if e > s {
			busy += e - s
			reach = e
		}
	}
	return time.Duration(max(tr.end[i]-tr.start[i]-busy, 0))
}

// unixNano keeps times far outside the representable range from
// overflowing the differences taken between them.
func unixNano(t time.Time) int64 {
	const limit = 4e18
	switch s := t.Unix(); {
	case s < -limit/1e9:
		return -limit
	case s > limit/1e9:
		return limit
	}
	return t.UnixNano()
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// spanIndex finds spans by id: open addressing over span indexes, which
// for a trace's few hundred ids is cheaper than a map.
type spanIndex struct {
	slots []int32 // span index + 1; 0 is empty
	mask  uint64
}

func newSpanIndex(n int) spanIndex {
	size := 8
	for size < 2*n {
		size <<= 1
	}
	return spanIndex{slots: make([]int32, size), mask: uint64(size - 1)}
}

// fnv1a hashes a span id; ids are hex, so every byte counts.
func fnv1a(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// add indexes span i by its id, reporting false when the id is taken.
func (x spanIndex) add(spans []Span, i int32) bool {
	id := spans[i].SpanID
	for h := fnv1a(id) & x.mask; ; h = (h + 1) & x.mask {
		switch j := x.slots[h]; {
		case j == 0:
			x.slots[h] = i + 1
			return true
		case spans[j-1].SpanID == id:
			return false
		}
	}
}

func (x spanIndex) find(spans []Span, id string) (int32, bool) {
	for h := fnv1a(id) & x.mask; ; h = (h + 1) & x.mask {
		switch j := x.slots[h]; {
		case j == 0:
			return 0, false
		case spans[j-1].SpanID == id:
			return j - 1, true
		}
	}
}
