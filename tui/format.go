package tui

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// The console writes each kind of figure one way, on every page: the same
// number reads the same on the verdict, its drill-downs and the report.

// Duration prints a duration in at most 7 cells with three significant
// digits: 587µs, 6.56ms, 2.04s, 15.0s, 1m02s.
func Duration(d time.Duration) string {
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

// Millis is Duration of a figure in milliseconds; "?" when unmeasured.
func Millis(ms float64) string {
	if math.IsNaN(ms) || math.IsInf(ms, 0) {
		return "?"
	}
	return Duration(time.Duration(math.Round(ms * float64(time.Millisecond))))
}

// Percent prints a ratio as a percentage with one decimal: "2.6%".
func Percent(ratio float64) string {
	if math.IsNaN(ratio) || math.IsInf(ratio, 0) {
		return "?"
	}
	return strconv.FormatFloat(100*ratio, 'f', 1, 64) + "%"
}

// Rate prints a per-second rate with three significant digits, two
// decimals at most: 0.05, 3.00, 12.4, 137.
func Rate(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "?"
	case v < 10:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case v < 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

// Bare drops a figure's unit sign, for a column whose title carries it.
func Bare(figure string) string { return strings.TrimSuffix(figure, "%") }

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
