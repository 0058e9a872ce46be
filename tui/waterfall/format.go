package waterfall

import (
	"strconv"
	"strings"
	"time"
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

// fmtDur prints a duration in at most 7 cells with three significant
// digits: 587µs, 6.56ms, 2.04s, 1m02s.
func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "0"
	case d < time.Microsecond:
		return strconv.FormatInt(int64(d), 10) + "ns"
	case d < time.Millisecond:
		return sig(float64(d)/1e3) + "µs"
	case d < time.Second:
		return sig(float64(d)/1e6) + "ms"
	case d < time.Minute:
		return sig(float64(d)/1e9) + "s"
	case d < time.Hour:
		m, s := int(d/time.Minute), int(d%time.Minute/time.Second)
		return strconv.Itoa(m) + "m" + twoDigits(s) + "s"
	case d < 100*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		return strconv.Itoa(h) + "h" + twoDigits(m) + "m"
	}
	return strconv.Itoa(int(d/(24*time.Hour))) + "d"
}

// sig prints v (1 ≤ v < 1000) with three significant digits.
func sig(v float64) string {
	switch {
	case v < 10:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case v < 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}
