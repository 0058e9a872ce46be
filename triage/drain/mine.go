package drain

import (
	"slices"
	"strings"
)

// Mine mines lines into patterns, most lines first. Lines are taken in time
// order whatever order they come in, so the result depends only on the set
// of lines.
func Mine(lines []Line, opts MinerOptions) []Cluster {
	m := NewMiner(opts)
	for _, i := range Order(lines) {
		m.Add(lines[i])
	}
	return m.Clusters()
}

// Order sorts line indices by time, then by content, so that mining does not
// depend on the order a source, or a merge of queries, gave the lines.
func Order(lines []Line) []int32 {
	idx := make([]int32, len(lines))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(a, b int32) int {
		la, lb := &lines[a], &lines[b]
		if c := la.Time.Compare(lb.Time); c != 0 {
			return c
		}
		if c := strings.Compare(la.Service, lb.Service); c != 0 {
			return c
		}
		if c := strings.Compare(la.Text, lb.Text); c != 0 {
			return c
		}
		if c := strings.Compare(la.TraceID, lb.TraceID); c != 0 {
			return c
		}
		return int(a - b)
	})
	return idx
}
