package serve

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/triagectl/triage/serve/store"
	"github.com/triagectl/triage/triage"
)

// pool runs pre-warm investigations on a fixed number of workers. Incidents
// of one scope share an investigation: one queued or running for the scope
// takes them on, and one finished within the coalesce window serves them
// at once. An alert storm thus costs one investigation per scope.
type pool struct {
	s *Service

	mu      sync.Mutex
	pending map[string]*job // by coalescing key, queued or running
	ids     map[string]bool // incidents held by a pending job
	queue   []*job
	recent  map[string]recent // by coalescing key
	ctx     context.Context   // the workers' context, once started
	wake    chan struct{}
	// hungry tells the scheduler the queue has room for more of the
	// backlog.
	hungry  chan struct{}
	bg      sync.WaitGroup // result writes for coalesced incidents
	started int64          // investigations started, for tests
}

// job is one investigation and the incidents waiting for it.
type job struct {
	key     string
	alert   triage.Alert // the first incident's, investigated for all
	ids     []string
	running bool
}

// recent is a finished investigation, kept to serve the same scope again
// within the coalesce window.
type recent struct {
	at     time.Time
	result store.Result
}

func newPool(s *Service) *pool {
	return &pool{s: s, pending: map[string]*job{}, ids: map[string]bool{}, recent: map[string]recent{},
		wake: make(chan struct{}, 1), hungry: make(chan struct{}, 1)}
}

// bound is how many investigations wait in the queue at most, when the
// scheduler fills it: enough to keep every worker busy, few enough that a
// new incident never waits behind a backlog.
func (p *pool) bound() int { return 2 * p.s.cfg.Workers }

// room is how many more investigations the scheduler may queue.
func (p *pool) room() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return max(0, p.bound()-len(p.queue))
}

// coalesceKey groups incidents that one investigation serves: the scope,
// or the incident alone when the alert names no service.
func coalesceKey(r store.Record) string {
	if r.Scope == "" {
		return "incident\x00" + r.ID
	}
	return "scope\x00" + r.Scope
}

// enqueue schedules investigations for incidents, after those queued. It
// never blocks on the backends or the store.
func (p *pool) enqueue(recs ...store.Record) { p.add(false, recs...) }

// enqueueFirst schedules investigations for new incidents ahead of the
// queued refreshes.
func (p *pool) enqueueFirst(recs ...store.Record) { p.add(true, recs...) }

func (p *pool) add(first bool, recs ...store.Record) {
	now := p.s.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	var served []store.Result
	for _, r := range recs {
		if p.ids[r.ID] {
			continue
		}
		key := coalesceKey(r)
		if j := p.pending[key]; j != nil {
			j.ids = append(j.ids, r.ID)
			p.ids[r.ID] = true
			p.s.m.investigations.WithLabelValues("coalesced").Inc()
			continue
		}
		if rc, ok := p.recent[key]; ok && now.Sub(rc.at) < p.s.cfg.Coalesce && p.ctx != nil {
			res := rc.result
			res.ID = r.ID
			served = append(served, res)
			p.ids[r.ID] = true // until stored, so the scheduler leaves it alone
			p.s.m.investigations.WithLabelValues("coalesced").Inc()
			continue
		}
		j := &job{key: key, alert: r.Alert, ids: []string{r.ID}}
		p.pending[key], p.ids[r.ID] = j, true
		if first {
			p.queue = append([]*job{j}, p.queue...)
		} else {
			p.queue = append(p.queue, j)
		}
	}
	p.s.m.prewarmQueued.Set(float64(len(p.queue)))
	if len(p.queue) > 0 {
		p.signal()
	}
	if len(served) > 0 {
		p.bg.Add(1)
		go func() {
			defer p.bg.Done()
			p.s.storeResults(p.ctx, served)
			p.release(served)
		}()
	}
}

// release forgets incidents whose results are stored.
func (p *pool) release(results []store.Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range results {
		delete(p.ids, r.ID)
	}
}

func (p *pool) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// pending reports whether an incident waits for an investigation.
func (p *pool) holds(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ids[id]
}

// next takes the first queued job, marking it running.
func (p *pool) next() *job {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.queue) <= p.s.cfg.Workers {
		select {
		case p.hungry <- struct{}{}:
		default:
		}
	}
	if len(p.queue) == 0 {
		return nil
	}
	j := p.queue[0]
	p.queue = p.queue[1:]
	j.running = true
	p.started++
	p.s.m.prewarmQueued.Set(float64(len(p.queue)))
	if len(p.queue) > 0 {
		p.signal() // another worker may take the rest
	}
	return j
}

// run starts the workers and blocks until ctx ends and they have stopped.
func (p *pool) run(ctx context.Context, workers int) {
	p.mu.Lock()
	p.ctx = ctx
	p.mu.Unlock()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if j := p.next(); j != nil {
					p.work(ctx, j)
					continue
				}
				select {
				case <-ctx.Done():
					return
				case <-p.wake:
				}
			}
		}()
	}
	wg.Wait()
	p.bg.Wait()
}

func (p *pool) work(ctx context.Context, j *job) {
	s := p.s
	p.mu.Lock()
	ids := append([]string(nil), j.ids...)
	p.mu.Unlock()
	if err := s.store.SetPrewarm(ctx, ids, store.PrewarmRunning, s.now()); err != nil && ctx.Err() == nil {
		s.storeFailed("set_prewarm", err)
	}
	for _, id := range ids {
		s.events.publish(Event{Kind: EventPrewarmStarted, IncidentID: id, At: s.now()})
	}
	s.m.prewarmRunning.Inc()
	t0 := time.Now()
	report, bundle, err := s.investigate(ctx, j.alert)
	s.m.prewarmRunning.Dec()
	s.m.investigationDuration.Observe(time.Since(t0).Seconds())
	s.observeSources(report)

	res := store.Result{State: store.PrewarmReady, Bundle: bundle}
	if report != nil {
		b, merr := json.Marshal(report)
		if merr != nil && err == nil {
			err = merr
		}
		res.Report = b
	}
	if err != nil || res.Report == nil {
		res.State = store.PrewarmFailed
		if err == nil {
			err = errors.New("investigation returned no report")
		}
		res.Error = err.Error()
	}
	s.m.investigations.WithLabelValues(map[string]string{store.PrewarmReady: "ok", store.PrewarmFailed: "failed"}[res.State]).Inc()

	// From here on, incidents of the scope start a new job or take this
	// result as recent; those already on the job stay held until stored.
	p.mu.Lock()
	ids = append([]string(nil), j.ids...) // with those that joined while it ran
	delete(p.pending, j.key)
	if res.Report != nil {
		p.recent[j.key] = recent{at: s.now(), result: res}
	}
	p.pruneRecent()
	p.mu.Unlock()

	results := make([]store.Result, len(ids))
	for i, id := range ids {
		results[i] = res
		results[i].ID = id
	}
	if ctx.Err() == nil {
		// When shutting down, the incidents stay queued or running in the
		// store and are investigated again at the next start.
		s.storeResults(ctx, results)
	}
	p.release(results)
}

// pruneRecent forgets results older than the coalesce window. Called with
// p.mu held.
func (p *pool) pruneRecent() {
	now := p.s.now()
	for k, rc := range p.recent {
		if now.Sub(rc.at) >= p.s.cfg.Coalesce {
			delete(p.recent, k)
		}
	}
}

// investigate runs one investigation, through the recorder when there is one.
func (s *Service) investigate(ctx context.Context, a triage.Alert) (*triage.Report, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, s.deps.InvestigationTimeout)
	defer cancel()
	if t := s.now(); a.StartsAt.After(t) {
		// A sender's clock ahead of ours must not fail the investigation.
		a.StartsAt = t
	}
	if s.deps.Recorder != nil {
		return s.deps.Recorder(ctx, a, s.limits.wrap)
	}
	r, err := triage.NewInvestigation(s.limits.wrap(s.deps.Sources), s.deps.Options, s.deps.RED).Run(ctx, a, nil)
	return r, nil, err
}

// observeSources records how each source did.
func (s *Service) observeSources(r *triage.Report) {
	if r == nil {
		return
	}
	for _, src := range r.Sources {
		if src.State == triage.StateUnconfigured {
			continue
		}
		s.m.sourceDuration.WithLabelValues(src.Name).Observe(float64(src.LatencyMS) / 1000)
		if src.State == triage.StateFailed || src.State == triage.StatePartial {
			kind := src.ErrorKind
			if kind == "" {
				kind = string(src.State)
			}
			s.m.sourceErrors.WithLabelValues(src.Name, kind).Inc()
		}
	}
}

// storeResults writes investigation results and tells subscribers.
func (s *Service) storeResults(ctx context.Context, results []store.Result) {
	if err := s.store.PutResults(ctx, results, s.now()); err != nil {
		if ctx.Err() == nil {
			s.storeFailed("put_results", err)
		}
		return
	}
	for _, r := range results {
		kind := EventPrewarmReady
		if r.State == store.PrewarmFailed {
			kind = EventPrewarmFailed
		}
		s.events.publish(Event{Kind: kind, IncidentID: r.ID, At: s.now()})
	}
}
