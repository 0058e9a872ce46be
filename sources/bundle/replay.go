package bundle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/triagectl/triage/sources"
)

// ReplayOptions tune a replay.
type ReplayOptions struct {
	// Pace answers each investigation exchange as long after the replay's
	// first request as it was answered after the recording's first. The
	// engine's sources run concurrently and hand each other trace ids, so
	// an investigation replayed at recorded pace takes the same turns and
	// gives the same report; unpaced, it gives the answers at once.
	// Drill-down exchanges are never paced.
	Pace bool
	// Speed divides the recorded times when pacing; 1 when zero.
	Speed float64
}

// Replay answers requests from a bundle's exchanges. A request is matched
// on its source, method, path, canonical query and body; identical
// requests get the recorded answers in order, then the last one again. A
// request the bundle does not hold fails with a *sources.Error of
// sources.KindNotRecorded.
type Replay struct {
	b     *Bundle
	opts  ReplayOptions
	rec0  time.Time // start of the recording's first investigation exchange
	mu    sync.Mutex
	t0    time.Time // arrival of the replay's first paced request
	queue map[string]*queue
	miss  []string
}

type queue struct {
	ex   []int // indexes in the bundle's exchanges
	next int
}

// maxMissed bounds the unrecorded requests a replay remembers.
const maxMissed = 200

// NewReplay indexes b's exchanges.
func NewReplay(b *Bundle, o ReplayOptions) *Replay {
	if o.Speed <= 0 {
		o.Speed = 1
	}
	r := &Replay{b: b, opts: o, queue: map[string]*queue{}}
	for i := range b.exchanges.n {
		e := &b.exchanges.at(i).ex
		k := requestKey(e.Source, e.Method, e.URL, e.RequestBody)
		q := r.queue[k]
		if q == nil {
			q = &queue{}
			r.queue[k] = q
		}
		q.ex = append(q.ex, i)
		if paced(e) && (r.rec0.IsZero() || e.Started.Before(r.rec0)) {
			r.rec0 = e.Started
		}
	}
	return r
}

func paced(e *Exchange) bool { return e.Phase == PhaseInvestigation || e.Phase == "" }

// Transport is the RoundTripper for one source's client.
func (r *Replay) Transport(source string) http.RoundTripper {
	return roundTripper{r: r, source: source}
}

// Missed lists the requests asked but not recorded, in order, once each.
func (r *Replay) Missed() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.miss...)
}

type roundTripper struct {
	r      *Replay
	source string
}

func (t roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	target := requestTarget(req.URL.String())
	i, due := t.r.next(requestKey(t.source, req.Method, req.URL.String(), body))
	if i < 0 {
		return nil, &sources.Error{Source: t.source, Kind: sources.KindNotRecorded,
			Msg: sources.NotRecordedReason + ": " + req.Method + " " + sources.Truncate(target, 200)}
	}
	if err := waitUntil(req.Context(), due); err != nil {
		return nil, err
	}
	e, err := t.r.b.unpack(i)
	if err != nil {
		return nil, err
	}
	if e.Error != "" {
		return nil, t.failure(e)
	}
	h := e.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	return &http.Response{
		Status: fmt.Sprintf("%d %s", e.Status, http.StatusText(e.Status)), StatusCode: e.Status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(bytes.NewReader(e.Body)), ContentLength: int64(len(e.Body)),
		Request: req,
	}, nil
}

// next takes the index of the answer for key, -1 for none, and when
// pacing the time it is due.
func (r *Replay) next(key string) (int, time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	q := r.queue[key]
	if q == nil {
		if len(r.miss) < maxMissed && !slices.Contains(r.miss, key) {
			r.miss = append(r.miss, key)
		}
		return -1, time.Time{}
	}
	i := q.ex[min(q.next, len(q.ex)-1)]
	e := &r.b.exchanges.at(i).ex
	first := q.next == 0
	q.next++
	if !r.opts.Pace || !paced(e) || !first {
		return i, time.Time{}
	}
	now := time.Now()
	if r.t0.IsZero() {
		r.t0 = now
	}
	offset := e.Started.Add(e.Duration()).Sub(r.rec0)
	return i, r.t0.Add(time.Duration(float64(offset) / r.opts.Speed))
}

func waitUntil(ctx context.Context, due time.Time) error {
	d := time.Until(due)
	if due.IsZero() || d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// failure rebuilds a recorded transport failure so the client classifies
// it as it did live, with the same message.
func (t roundTripper) failure(e Exchange) error {
	switch sources.Kind(e.ErrorKind) {
	case sources.KindTimeout:
		return &replayedError{msg: e.Error, cause: context.DeadlineExceeded}
	case sources.KindTooLarge:
		return &sources.Error{Source: t.source, Op: e.Op, Kind: sources.KindTooLarge, Status: e.Status, Msg: e.Error}
	case sources.KindUnreachable:
		if e.Error == "connection refused" {
			return &replayedError{msg: e.Error, cause: syscall.ECONNREFUSED}
		}
	}
	return errors.New(e.Error)
}

type replayedError struct {
	msg   string
	cause error
}

func (e *replayedError) Error() string { return e.msg }
func (e *replayedError) Unwrap() error { return e.cause }
