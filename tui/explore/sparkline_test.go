package explore

import (
	"math"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/triagectl/triage/triage"
)

func TestSparkline(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		name string
		vals []float64
		top  float64
		want string
	}{
		{"empty", nil, 1, ""},
		{"scaled from zero to top", []float64{0, 1, 2, 3, 4, 5, 6, 7}, 7, "▁▂▃▄▅▆▇█"},
		{"rounds to the nearest bar", []float64{0.49, 0.51}, 7, "▁▂"},
		{"above top is a full bar", []float64{10, 100}, 10, "██"},
		{"negative is the lowest bar", []float64{-3}, 1, "▁"},
		{"missing points are gaps", []float64{1, nan, nan, 1}, 1, "█  █"},
		{"all missing", []float64{nan, nan}, 1, "  "},
		{"nothing rose: zero top", []float64{0, 0, 0}, 0, "▁▁▁"},
		{"a NaN top draws flat", []float64{1, 2}, nan, "▁▁"},
		{"an infinite top draws flat", []float64{1, 2}, math.Inf(1), "▁▁"},
		{"an infinite value is full", []float64{math.Inf(1)}, 1, "█"},
		{"shared top keeps a low baseline low", []float64{0.002, 0.002}, 0.42, "▁▁"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Sparkline(tc.vals, tc.top)
			if got != tc.want {
				t.Errorf("Sparkline(%v, %v) = %q, want %q", tc.vals, tc.top, got, tc.want)
			}
			if n := utf8.RuneCountInString(got); n != len(tc.vals) {
				t.Errorf("%d cells for %d values", n, len(tc.vals))
			}
		})
	}
}

func TestResample(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	at := func(s int, v float64) triage.Point {
		return triage.Point{Time: t0.Add(time.Duration(s) * time.Second), Value: v}
	}
	end := t0.Add(40 * time.Second)
	cases := []struct {
		name string
		pts  []triage.Point
		n    int
		want []float64 // -1 stands for NaN
	}{
		{"one point per bucket", []triage.Point{at(0, 1), at(10, 2), at(20, 3), at(30, 4)}, 4, []float64{1, 2, 3, 4}},
		{"buckets average", []triage.Point{at(0, 1), at(5, 3), at(20, 5), at(25, 7)}, 2, []float64{2, 6}},
		{"a missing point is a gap", []triage.Point{at(0, 1), at(30, 4)}, 4, []float64{1, -1, -1, 4}},
		{"the end falls in the last bucket", []triage.Point{at(40, 9)}, 4, []float64{-1, -1, -1, 9}},
		{"outside the window is dropped", []triage.Point{at(-10, 9), at(50, 9), at(10, 2)}, 4, []float64{-1, 2, -1, -1}},
		{"NaN points are gaps", []triage.Point{at(0, math.NaN())}, 2, []float64{-1, -1}},
		{"no cells", []triage.Point{at(0, 1)}, 0, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Resample(tc.pts, t0, end, tc.n)
			if len(got) != len(tc.want) {
				t.Fatalf("%d buckets, want %d", len(got), len(tc.want))
			}
			for i, w := range tc.want {
				if (w == -1) != math.IsNaN(got[i]) || (w != -1 && got[i] != w) {
					t.Errorf("bucket %d = %v, want %v (-1 is a gap)", i, got[i], w)
				}
			}
		})
	}
	if got := Resample([]triage.Point{at(0, 5)}, t0, t0, 3); got[2] != 5 {
		t.Errorf("an empty window puts its point last: %v", got)
	}
}

func TestFormats(t *testing.T) {
	cases := []struct{ got, want string }{
		{fmtMS(12.4), "12.4ms"}, {fmtMS(2037.7), "2.04s"}, {fmtMS(12_500), "12.5s"}, {fmtMS(65_000), "1m05s"},
		{fmtMS(math.NaN()), "?"}, {fmtPct(0.4204), "42.0%"}, {fmtRate(3), "3.00"}, {fmtRate(12.44), "12.4"},
		{triage.Thousands(1240), "1,240"}, {triage.Thousands(1234567.4), "1,234,567"}, {triage.Thousands(12), "12"}, {triage.Thousands(-1240), "-1,240"},
		{attrLabel("user.tier"), "tier"}, {attrLabel("tier"), "tier"}, {attrLabel("odd."), "odd."},
		{vsBaseline(triage.LogPattern{Count: 9}), "no baseline"}, {vsBaseline(triage.LogPattern{Count: 9, BaselineCount: 3}), "no baseline"},
		{vsBaseline(triage.LogPattern{Tag: "×12"}), "×12"},
	}
	for i, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("case %d: %q, want %q", i, tc.got, tc.want)
		}
	}
}
