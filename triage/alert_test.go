package triage

import (
	"testing"
	"time"
)

func TestResolveScope(t *testing.T) {
	labels := []string{"service", "service_name", "job", "app"}
	cases := []struct {
		name   string
		labels map[string]string
		want   Scope
	}{
		{"first configured label wins", map[string]string{"job": "api", "service": "checkout"}, Scope{"checkout", "service"}},
		{"falls through to job", map[string]string{"job": "api", "app": "x"}, Scope{"api", "job"}},
		{"blank values skipped", map[string]string{"service": "  ", "app": "cart"}, Scope{"cart", "app"}},
		{"none", map[string]string{"alertname": "Watchdog"}, Scope{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ResolveScope(Alert{Labels: c.labels}, labels); got != c.want {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestResolveWindow(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name                string
		start               time.Time
		lookback, offset    time.Duration
		wantStart, wantBase time.Time
		wantErr             bool
	}{
		{"alert start minus lookback, baseline an hour earlier", now.Add(-5 * time.Minute), 15 * time.Minute, time.Hour,
			now.Add(-20 * time.Minute), now.Add(-80 * time.Minute), false},
		{"baseline overlapping the window is moved before it", now.Add(-50 * time.Minute), 15 * time.Minute, 30 * time.Minute,
			now.Add(-65 * time.Minute), now.Add(-130 * time.Minute), false},
		{"long-firing alert capped to the max window", now.Add(-30 * 24 * time.Hour), 15 * time.Minute, time.Hour,
			now.Add(-6 * time.Hour), now.Add(-12 * time.Hour), false},
		{"no start: the lookback before now", time.Time{}, 15 * time.Minute, time.Hour,
			now.Add(-15 * time.Minute), now.Add(-75 * time.Minute), false},
		{"start in the future", now.Add(time.Minute), 15 * time.Minute, time.Hour, time.Time{}, time.Time{}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w, err := ResolveWindow(Alert{StartsAt: c.start}, now, c.lookback, c.offset, 6*time.Hour)
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v", err)
			}
			if c.wantErr {
				return
			}
			if !w.Start.Equal(c.wantStart) || !w.End.Equal(now) || !w.BaselineStart.Equal(c.wantBase) {
				t.Fatalf("window %+v, want start %s baseline start %s", w, c.wantStart, c.wantBase)
			}
			if w.BaselineEnd.After(w.Start) {
				t.Fatalf("baseline overlaps the window: %+v", w)
			}
			if w.End.Sub(w.Start) != w.BaselineEnd.Sub(w.BaselineStart) {
				t.Fatalf("baseline length differs: %+v", w)
			}
		})
	}
}
