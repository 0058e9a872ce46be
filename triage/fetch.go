package triage

import (
	"context"
	"sync"
	"time"
)

// fetchLimit bounds the trace fetches in flight and adapts the bound to
// the backend's answers, additive increase and multiplicative decrease as
// TCP does: a fetch that is rate limited, times out, fails on the server's
// side or answers far slower than usual halves the bound, at most once per
// usual answer time; every fetch answered in time raises it by one over
// the bound, so it grows by about one per round of fetches. The bound
// stays between 1 and the configured fetch_concurrency.
type fetchLimit struct {
	mu       sync.Mutex
	wake     chan struct{} // closed and replaced when a fetch ends
	limit    float64
	max      int
	inFlight int
	usual    time.Duration // moving average of answer times
	lastCut  time.Time
	lowest   int // the lowest the bound went
	cuts     int
	now      func() time.Time
}

// initialFetchLimit is where the bound starts: fetches ramp up from it
// while the backend keeps up.
const initialFetchLimit = 8

// slowFetch is the least time an answer must take to count as slow,
// however fast the usual answer.
const slowFetch = 500 * time.Millisecond

func newFetchLimit(maxInFlight int, now func() time.Time) *fetchLimit {
	maxInFlight = max(maxInFlight, 1)
	start := min(initialFetchLimit, maxInFlight)
	if now == nil {
		now = time.Now
	}
	return &fetchLimit{wake: make(chan struct{}), limit: float64(start), max: maxInFlight, lowest: start, now: now}
}

// acquire waits for room under the bound, or for ctx to end.
func (l *fetchLimit) acquire(ctx context.Context) error {
	for {
		l.mu.Lock()
		if l.inFlight < int(l.limit) {
			l.inFlight++
			l.mu.Unlock()
			return nil
		}
		wake := l.wake
		l.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// release ends a fetch that took took; pushedBack says the backend
// refused or could not keep up (rate limited, timed out, server error).
func (l *fetchLimit) release(took time.Duration, pushedBack bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inFlight--
	slow := l.usual > 0 && took > max(3*l.usual, slowFetch)
	if pushedBack || slow {
		if now := l.now(); now.Sub(l.lastCut) >= max(l.usual, 50*time.Millisecond) {
			l.lastCut = now
			l.limit = max(l.limit/2, 1)
			l.cuts++
			l.lowest = min(l.lowest, int(l.limit))
		}
	} else {
		l.limit = min(l.limit+1/l.limit, float64(l.max))
	}
	if !pushedBack {
		if l.usual == 0 {
			l.usual = took
		} else {
			l.usual += (took - l.usual) / 8
		}
	}
	close(l.wake)
	l.wake = make(chan struct{})
}

// backedOff says how far the bound came down, when it did.
func (l *fetchLimit) backedOff() (lowest, cuts int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lowest, l.cuts
}

// pushedBack reports errors that say the backend is overloaded rather
// than that the trace is missing or the request wrong.
func pushedBack(err error) bool {
	if err == nil {
		return false
	}
	switch _, kind := ErrorInfo(err); kind {
	case "rate_limited", "timeout", "server", "unreachable":
		return true
	}
	return false
}
