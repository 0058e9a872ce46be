package triage

import (
	"slices"
	"time"
)

// PathSpan is one span on a trace's critical path.
type PathSpan struct {
	SpanID   string
	Service  string // the span's service
	Peer     string // the uninstrumented peer a client span waited on, if any
	Name     string
	Start    time.Time
	Duration time.Duration // clamped into the parent's interval
	Self     time.Duration // Duration minus the union of its children's intervals
	Critical time.Duration // the part of the end-to-end latency this span alone accounts for
	Index    int           // in the trace's Spans
}

// Blamed is who the span's time belongs to: the peer, else the service.
func (p *PathSpan) Blamed() string {
	if p.Peer != "" {
		return p.Peer
	}
	return p.Service
}

// ServiceTime is time attributed to one service.
type ServiceTime struct {
	Service string
	Time    time.Duration
}

// CriticalPath returns the spans that determine span i's end-to-end
// latency, ordered by start. Walking back from the end, the last child to
// finish before the current instant is critical; the parent accounts for the
// gaps between critical children. Overlapping children that finished
// earlier ran in parallel and cost nothing.
func (tr *Tree) CriticalPath(i int) []PathSpan {
	if i < 0 || i >= len(tr.spans) || tr.parent[i] == dropped {
		return nil
	}
	type frame struct {
		node    int32
		t       int64 // the instant the walk has reached in node
		lo, cur int32 // node's children by end, descending, in buf[lo:]
		hi      int32
		out     int32 // node's entry in path
	}
	var path []PathSpan
	var buf []int32
	var stack []frame
	push := func(n int32, t int64) {
		lo := int32(len(buf))
		for _, c := range tr.Children(int(n)) {
			if tr.parent[c] == n {
				buf = append(buf, c)
			}
		}
		kids := buf[lo:]
		slices.SortStableFunc(kids, func(a, b int32) int { return cmpInt64(tr.end[b], tr.end[a]) })
		path = append(path, tr.pathSpan(n))
		stack = append(stack, frame{node: n, t: t, lo: lo, cur: lo, hi: int32(len(buf)), out: int32(len(path) - 1)})
	}
	push(int32(i), tr.end[i])
	for len(stack) > 0 {
		f := &stack[len(stack)-1]
		next := int32(-1)
		for ; f.cur < f.hi; f.cur++ {
			if c := buf[f.cur]; tr.end[c] <= f.t {
				next = c
				f.cur++
				break
			}
		}
		if next < 0 {
			path[f.out].Critical += time.Duration(f.t - tr.start[f.node])
			buf = buf[:f.lo]
			stack = stack[:len(stack)-1]
			continue
		}
		path[f.out].Critical += time.Duration(f.t - tr.end[next])
		f.t = tr.start[next]
		push(next, tr.end[next])
	}
	slices.SortStableFunc(path, func(a, b PathSpan) int { return a.Start.Compare(b.Start) })
	return path
}

func (tr *Tree) pathSpan(i int32) PathSpan {
	s := &tr.spans[i]
	p := PathSpan{
		SpanID: s.SpanID, Service: s.Service(), Name: s.Name, Index: int(i),
		Start: time.Unix(0, tr.start[i]), Duration: time.Duration(tr.end[i] - tr.start[i]),
		Self: tr.SelfTime(int(i)),
	}
	if name, peer := blame(tr, i); peer {
		p.Peer = name
	}
	return p
}

// selfTimeByService sums critical time by blamed service, longest first.
func selfTimeByService(path []PathSpan) []ServiceTime {
	var out []ServiceTime
	for k := range path {
		name, d := path[k].Blamed(), path[k].Critical
		found := false
		for j := range out {
			if out[j].Service == name {
				out[j].Time += d
				found = true
				break
			}
		}
		if !found {
			out = append(out, ServiceTime{Service: name, Time: d})
		}
	}
	slices.SortStableFunc(out, func(a, b ServiceTime) int {
		if a.Time != b.Time {
			return cmpInt64(int64(b.Time), int64(a.Time))
		}
		return compareStrings(a.Service, b.Service)
	})
	return out
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
