package explore

import (
	"math"
	"strings"
	"time"

	"github.com/triagectl/triage/triage"
)

// Sparkline draws one cell per value on a scale from 0 to top, so two
// lines drawn with the same top compare by eye (incident against
// baseline). A value at or above top is a full bar; NaN, a missing point,
// is a gap. With no positive finite top nothing rose, and every value is
// the lowest bar.
func Sparkline(vals []float64, top float64) string {
	sparkBars := [...]rune{'▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'}
	var b strings.Builder
	b.Grow(len(vals) * 3)
	scale := top > 0 && !math.IsInf(top, 0) && !math.IsNaN(top)
	last := float64(len(sparkBars) - 1)
	for _, v := range vals {
		switch {
		case math.IsNaN(v):
			b.WriteByte(' ')
		case !scale || v <= 0:
			b.WriteRune(sparkBars[0])
		default:
			i := int(math.Round(math.Min(v/top, 1) * last))
			b.WriteRune(sparkBars[i])
		}
	}
	return b.String()
}

// Resample spreads points over n equal buckets of [start, end] and
// averages those that fall in each one; a bucket without a point is NaN,
// which Sparkline draws as a gap.
func Resample(pts []triage.Point, start, end time.Time, n int) []float64 {
	if n <= 0 {
		return nil
	}
	sum := make([]float64, n)
	cnt := make([]int, n)
	span := end.Sub(start)
	for _, p := range pts {
		if math.IsNaN(p.Value) || p.Time.Before(start) || p.Time.After(end) {
			continue
		}
		i := n - 1
		if span > 0 {
			i = min(int(float64(p.Time.Sub(start))/float64(span)*float64(n)), n-1)
		}
		sum[i] += p.Value
		cnt[i]++
	}
	for i := range sum {
		if cnt[i] == 0 {
			sum[i] = math.NaN()
		} else {
			sum[i] /= float64(cnt[i])
		}
	}
	return sum
}

// peak is the largest finite value of any of the lists, the shared top of
// their sparklines.
func peak(lists ...[]float64) float64 {
	top := 0.0
	for _, l := range lists {
		for _, v := range l {
			if !math.IsNaN(v) && !math.IsInf(v, 0) && v > top {
				top = v
			}
		}
	}
	return top
}

// lastValue is the newest point's value; ok is false without one.
func lastValue(pts []triage.Point) (float64, bool) {
	for i := len(pts) - 1; i >= 0; i-- {
		if v := pts[i].Value; !math.IsNaN(v) && !math.IsInf(v, 0) {
			return v, true
		}
	}
	return 0, false
}

// meanValue is the mean of the finite points; ok is false without one.
func meanValue(pts []triage.Point) (float64, bool) {
	sum, n := 0.0, 0
	for _, p := range pts {
		if !math.IsNaN(p.Value) && !math.IsInf(p.Value, 0) {
			sum += p.Value
			n++
		}
	}
	if n == 0 {
		return 0, false
	}
	return sum / float64(n), true
}
