package verdict

import (
	"math"
	"strconv"
	"time"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
)

// pct renders a measured ratio as a percentage with one decimal; a ratio
// that was not measured reads "?", never 0.
func pct(v *float64) string {
	if v == nil || math.IsNaN(*v) {
		return "?"
	}
	return tui.Bare(tui.Percent(*v))
}

// delta is the error ratio's change against the baseline, in points.
func delta(now, base *float64) string {
	if now == nil || base == nil || math.IsNaN(*now) || math.IsNaN(*base) {
		return "?"
	}
	d := 100 * (*now - *base)
	s := strconv.FormatFloat(d, 'f', 1, 64)
	if d >= 0 {
		s = "+" + s
	}
	return s
}

// share renders a share of traces as a whole percentage.
func share(v float64) string {
	return strconv.FormatFloat(math.Round(100*v), 'f', 0, 64) + "%"
}

func rate(v *float64) string {
	if v == nil || math.IsNaN(*v) {
		return "?"
	}
	return tui.Rate(*v)
}

func millis(v *float64) string {
	if v == nil {
		return "?"
	}
	return tui.Millis(*v)
}

// age is a compact duration for columns and the header: "45s", "6m",
// "1h12m", "2d3h".
func age(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	case d < 24*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return strconv.Itoa(h) + "h"
		}
		return strconv.Itoa(h) + "h" + strconv.Itoa(m) + "m"
	}
	days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	if h == 0 {
		return strconv.Itoa(days) + "d"
	}
	return strconv.Itoa(days) + "d" + strconv.Itoa(h) + "h"
}

// offsetLabel names the baseline offset in column titles ("1h", "18m").
func offsetLabel(d time.Duration) string {
	if d <= 0 {
		return "base"
	}
	return age(d.Round(time.Minute))
}

// shortID is the head of a trace id, enough to tell traces apart in a row.
func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

func itoa(n int) string { return strconv.Itoa(n) }

// thousands renders a count with thousands separators, rounded: estimates
// are never more precise than a whole user.
func thousands(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "?"
	}
	return triage.Thousands(v)
}
