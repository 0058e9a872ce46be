package tui

import (
	"strings"
	"time"

	"github.com/triagectl/triage/triage"
)

// The console writes each kind of figure one way, on every page: the same
// number reads the same on the verdict, its drill-downs and the report.

// Duration prints a duration in at most 7 cells with three significant
// digits: 587µs, 6.56ms, 2.04s, 15.0s, 1m02s (the report's own format).
func Duration(d time.Duration) string { return triage.FigureDuration(d) }

// Millis is Duration of a figure in milliseconds; "?" when unmeasured.
func Millis(ms float64) string { return triage.FigureMillis(&ms) }

// Percent prints a ratio as a percentage with one decimal: "2.6%".
func Percent(ratio float64) string { return triage.FigurePercent(&ratio) }

// Rate prints a per-second rate with three significant digits, two
// decimals at most: 0.05, 3.00, 12.4, 137.
func Rate(v float64) string { return triage.FigureRate(&v) }

// Bare drops a figure's unit sign, for a column whose title carries it.
func Bare(figure string) string { return strings.TrimSuffix(figure, "%") }
