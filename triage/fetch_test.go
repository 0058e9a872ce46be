package triage

import (
	"context"
	"errors"
	"testing"
	"time"
)

type kindErr string

func (e kindErr) Error() string     { return string(e) }
func (e kindErr) Reason() string    { return string(e) }
func (e kindErr) ErrorKind() string { return string(e) }

func TestFetchLimitAdapts(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	tests := []struct {
		name    string
		max     int
		answers []struct {
			took time.Duration
			err  error
		}
		want, lowest, cuts int
	}{
		{name: "grows by about one a round while answers are fast, up to the ceiling", max: 16,
			answers: repeat(200, 20*time.Millisecond, nil), want: 16, lowest: 8},
		{name: "a rate-limited answer halves it", max: 16,
			answers: append(repeat(1, 20*time.Millisecond, nil), repeat(1, 20*time.Millisecond, kindErr("rate_limited"))...), want: 4, lowest: 4, cuts: 1},
		{name: "a burst of slow answers halves it once", max: 16,
			answers: append(repeat(8, 20*time.Millisecond, nil), repeat(3, 2*time.Second, nil)...), want: 4, lowest: 4, cuts: 1},
		{name: "a missing trace is no push back", max: 16,
			answers: repeat(8, 20*time.Millisecond, kindErr("not_found")), want: 8, lowest: 8},
		{name: "never below one", max: 2,
			answers: repeat(5, 20*time.Millisecond, kindErr("server")), want: 1, lowest: 1, cuts: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newFetchLimit(tt.max, now)
			for _, a := range tt.answers {
				if err := l.acquire(context.Background()); err != nil {
					t.Fatal(err)
				}
				l.release(a.took, pushedBack(a.err))
			}
			lowest, cuts := l.backedOff()
			if int(l.limit) != tt.want || lowest != tt.lowest || cuts != tt.cuts {
				t.Errorf("limit %v lowest %d cuts %d, want %d, %d, %d", l.limit, lowest, cuts, tt.want, tt.lowest, tt.cuts)
			}
		})
	}
}

func repeat(n int, took time.Duration, err error) []struct {
	took time.Duration
	err  error
} {
	out := make([]struct {
		took time.Duration
		err  error
	}, n)
	for i := range out {
		out[i].took, out[i].err = took, err
	}
	return out
}

// A fetch waits for room under the bound, and gives up when ctx ends.
func TestFetchLimitWaits(t *testing.T) {
	l := newFetchLimit(1, nil)
	if err := l.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := l.acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("acquire over the bound = %v, want the deadline", err)
	}
	done := make(chan error)
	go func() { done <- l.acquire(context.Background()) }()
	l.release(time.Millisecond, false)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestSpreadKeepsOrderAndReach(t *testing.T) {
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = string(rune('a'+i%26)) + string(rune('0'+i/100))
	}
	got := spread(ids, 100)
	if len(got) != 100 || got[0] != ids[0] || got[99] != ids[990] {
		t.Fatalf("spread = %d ids, first %q last %q", len(got), got[0], got[len(got)-1])
	}
	if got := spread(ids[:5], 100); len(got) != 5 {
		t.Fatalf("spread of fewer than n = %d ids", len(got))
	}
	if got := spread(ids, 0); got != nil {
		t.Fatalf("spread of none = %v", got)
	}
}
