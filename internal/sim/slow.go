package sim

// slowestSelf is the span of tr with the most self-time: its duration less
// what its children cover. A slow trace spends its time there, so that span
// is what a latency incident blames.
func slowestSelf(tr *traceRec) int {
	idx := make(map[spanID]int, len(tr.spans))
	for k := range tr.spans {
		idx[tr.spans[k].id] = k
	}
	self := make([]int64, len(tr.spans))
	for k := range tr.spans {
		self[k] = tr.spans[k].end - tr.spans[k].start
	}
	for k := range tr.spans {
		s := &tr.spans[k]
		p, ok := idx[s.parent]
		if s.parent.isZero() || !ok {
			continue
		}
		// A parent's calls run one after another, so their overlaps add up.
		if overlap := min(s.end, tr.spans[p].end) - max(s.start, tr.spans[p].start); overlap > 0 {
			self[p] -= overlap
		}
	}
	best := 0
	for k := range self {
		if self[k] > self[best] {
			best = k
		}
	}
	return best
}
