package waterfall

import (
	"strings"
)

// eighthBlocks are the left-aligned blocks of one to seven eighths of a
// cell, three bytes each: a bar's end lands on an eighth of a cell.
const eighthBlocks = "▏▎▍▌▋▊▉"

// bar draws the interval [start, end] on a track of w cells spanning
// [t0, t1]. The end is drawn to an eighth of a cell; the start, for want
// of right-aligned eighths, to a half (▐) or an eighth (▕). A span too
// short to see still gets a thin mark, so no span is invisible.
func bar(start, end, t0, t1 int64, w int) string {
	if w <= 0 {
		return ""
	}
	total := float64(t1 - t0)
	if total <= 0 {
		total = 1
	}
	scale := float64(8*w) / total
	ae := clampInt(int(float64(start-t0)*scale+0.5), 0, 8*w)
	be := clampInt(int(float64(end-t0)*scale+0.5), ae, 8*w)
	var b strings.Builder
	b.Grow(3 * w)
	if be-ae < 8 {
		c := min(ae/8, w-1)
		b.WriteString(strings.Repeat(" ", c))
		b.WriteString(blockOf(be - ae))
		b.WriteString(strings.Repeat(" ", w-c-1))
		return b.String()
	}
	ac, af := ae/8, ae%8
	bc, bf := be/8, be%8
	b.WriteString(strings.Repeat(" ", ac))
	switch {
	case af <= 2:
		b.WriteString("█")
	case af <= 5:
		b.WriteString("▐")
	default:
		b.WriteString("▕")
	}
	cells := ac + 1
	if bc > ac+1 {
		b.WriteString(strings.Repeat("█", bc-ac-1))
		cells = bc
	}
	if bf > 0 && bc > ac {
		b.WriteString(blockOf(bf))
		cells++
	}
	b.WriteString(strings.Repeat(" ", max(w-cells, 0)))
	return b.String()
}

// blockOf is a left-aligned block n eighths wide; at least one eighth.
func blockOf(n int) string {
	n = clampInt(n, 1, 8)
	if n == 8 {
		return "█"
	}
	return eighthBlocks[3*(n-1) : 3*n]
}

func clampInt(v, lo, hi int) int { return min(max(v, lo), hi) }
