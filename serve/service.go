// Package serve is the daemon behind `triage serve`: it receives
// Alertmanager and Grafana webhooks, stores incidents durably, pre-warms an
// investigation for each, and serves them to the SSH console.
package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/triagectl/triage/serve/store"
	"github.com/triagectl/triage/triage"
)

// Service is the daemon: webhook receiver, store, pre-warm pool, heartbeat
// and metrics. Build it with New, serve Handler, and call Run.
type Service struct {
	cfg    Config
	deps   Deps
	store  *store.Store
	m      *metrics
	events *broker
	limits limits
	pool   *pool
	log    *slog.Logger
	now    func() time.Time

	started  time.Time
	beatMu   sync.Mutex
	lastBeat time.Time
	silent   bool

	running atomic.Bool
	ready   atomic.Bool

	// backlog holds the incidents due for an investigation that the pool
	// had no room for yet, newest first.
	backlogMu sync.Mutex
	backlog   []store.Record
}

// New opens the store and builds the service; nothing runs until Run.
func New(ctx context.Context, cfg Config, deps Deps) (*Service, error) {
	cfg = cfg.withDefaults()
	if cfg.StorePath == "" {
		return nil, errors.New("serve: no store path (serve.store)")
	}
	if deps.InvestigationTimeout <= 0 {
		deps.InvestigationTimeout = 5 * time.Minute
	}
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	s := &Service{cfg: cfg, deps: deps, m: newMetrics(), events: newBroker(), limits: newLimits(cfg.SourceLimits),
		log: deps.Log, now: deps.Now}
	st, err := store.Open(ctx, cfg.StorePath, store.Options{NoSync: cfg.noSync, SeenResolution: seenResolution(cfg.AlertExpiry),
		OnCommit: func(n int, took time.Duration) {
			s.m.storeBatch.Observe(float64(n))
			s.m.storeCommit.Observe(took.Seconds())
		}})
	if err != nil {
		return nil, err
	}
	s.store = st
	s.pool = newPool(s)
	s.started = s.now()
	if s.lastBeat, err = st.LastBeat(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	s.setBeatMetric()
	return s, nil
}

// Run runs the pre-warm workers and the maintenance loop (refreshes,
// retention, the dead man's switch) until ctx ends. Incidents left queued
// or running by a previous run are investigated first.
func (s *Service) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return errors.New("serve: Run called twice")
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.pool.run(ctx, s.cfg.Workers)
	}()
	s.ready.Store(true)
	s.maintain(ctx)
	s.ready.Store(false)
	wg.Wait()
	return nil
}

// Close closes the store; call it after Run returned and the HTTP server
// stopped.
func (s *Service) Close() error { return s.store.Close() }

// tick is how often the maintenance loop looks for due refreshes.
func (s *Service) tick() time.Duration {
	return max(10*time.Millisecond, min(s.cfg.Refresh/4, 15*time.Second))
}

func (s *Service) maintain(ctx context.Context) {
	t := time.NewTicker(s.tick())
	defer t.Stop()
	var lastPrune time.Time
	for {
		s.schedule(ctx)
		s.expire(ctx)
		s.checkBeat()
		if s.cfg.Retention > 0 && s.now().Sub(lastPrune) >= time.Hour {
			lastPrune = s.now()
			n, err := s.store.Prune(ctx, s.now().Add(-s.cfg.Retention))
			if err != nil && ctx.Err() == nil {
				s.storeFailed("prune", err)
			}
			s.m.storePruned.Add(float64(n))
		}
	wait:
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.pool.hungry:
			// The pool has room: hand it the next of the backlog, newest
			// first, without listing the store again.
			s.feed()
			goto wait
		}
	}
}

// seenResolution is how much later a re-sent alert must arrive for the
// store to write its arrival: a tenth of the expiry, at most a minute.
func seenResolution(expiry time.Duration) time.Duration {
	if expiry <= 0 {
		return time.Minute
	}
	return min(time.Minute, max(expiry/10, time.Millisecond))
}

// schedule finds firing incidents due for a refresh, and any incident a
// previous run left without its investigation, and hands them to the
// pool newest first, no more at a time than the pool has room for: the
// rest wait in the backlog, so a start on a store of ten thousand
// incidents neither floods the pool nor holds up the newest. It also
// refreshes the incident gauges.
func (s *Service) schedule(ctx context.Context) {
	recs, err := s.store.List(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.storeFailed("list", err)
		}
		return
	}
	now := s.now()
	var due []store.Record
	counts := map[string]int{store.StatusFiring: 0, store.StatusResolved: 0}
	for _, r := range recs {
		counts[r.Status]++
		if s.isDue(r, now) && !s.pool.holds(r.ID) {
			due = append(due, r)
		}
	}
	for st, n := range counts {
		s.m.incidents.WithLabelValues(st).Set(float64(n))
	}
	s.m.storeUnreadable.Set(float64(s.store.Unreadable()))
	sort.Slice(due, func(i, j int) bool {
		if !due[i].StartedAt.Equal(due[j].StartedAt) {
			return due[i].StartedAt.After(due[j].StartedAt)
		}
		return due[i].ID < due[j].ID
	})
	s.backlogMu.Lock()
	s.backlog = due
	s.backlogMu.Unlock()
	s.feed()
}

// isDue reports whether an incident needs an investigation: one a
// previous run left queued or running, or a firing one last checked a
// refresh interval ago. A firing incident whose alerts have not been sent
// again within the alert expiry is not refreshed: it is presumed resolved
// and expires unless Alertmanager sends it again.
func (s *Service) isDue(r store.Record, now time.Time) bool {
	if s.cfg.AlertExpiry > 0 && r.Firing() && now.Sub(r.SeenAt) >= s.cfg.AlertExpiry {
		return false
	}
	unfinished := r.PrewarmState == store.PrewarmQueued || r.PrewarmState == store.PrewarmRunning
	return unfinished || (r.Firing() && now.Sub(r.CheckedAt) >= s.cfg.Refresh)
}

// feed moves the newest of the backlog into the pool, as many as it has
// room for.
func (s *Service) feed() {
	s.backlogMu.Lock()
	defer s.backlogMu.Unlock()
	room := s.pool.room()
	var batch []store.Record
	for len(s.backlog) > 0 && len(batch) < room {
		r := s.backlog[0]
		s.backlog = s.backlog[1:]
		if !s.pool.holds(r.ID) {
			batch = append(batch, r)
		}
	}
	s.m.prewarmBacklog.Set(float64(len(s.backlog)))
	if len(batch) > 0 {
		s.pool.enqueue(batch...)
	}
}

// expire resolves the incidents whose alerts Alertmanager stopped sending
// (see store.Expire).
func (s *Service) expire(ctx context.Context) {
	if s.cfg.AlertExpiry <= 0 {
		return
	}
	now := s.now()
	ids, n, err := s.store.Expire(ctx, now, s.started, s.cfg.AlertExpiry)
	if err != nil && ctx.Err() == nil {
		s.storeFailed("expire", err)
	}
	s.m.alertsExpired.Add(float64(n))
	s.m.incidentsExpired.Add(float64(len(ids)))
	s.m.incidentsResolved.Add(float64(len(ids)))
	if len(ids) > 0 {
		s.m.incidents.WithLabelValues(store.StatusFiring).Sub(float64(len(ids)))
		s.m.incidents.WithLabelValues(store.StatusResolved).Add(float64(len(ids)))
		s.log.Info("incidents expired", "incidents", len(ids), "alerts", n, "expiry", s.cfg.AlertExpiry)
	}
	for _, id := range ids {
		s.events.publish(Event{Kind: EventIncidentResolved, IncidentID: id, At: now})
	}
}

func (s *Service) storeFailed(op string, err error) {
	s.m.storeFailures.WithLabelValues(op).Inc()
	s.log.Error("store", "op", op, "err", err)
}

// Handler serves POST /alerts, GET /metrics, /healthz and /readyz.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/alerts", s.Webhook())
	mux.Handle("/metrics", promhttp.HandlerFor(s.m.reg, promhttp.HandlerOpts{Registry: s.m.reg}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		if !s.ready.Load() {
			http.Error(w, "not running", http.StatusServiceUnavailable)
			return
		}
		if err := s.store.Ping(r.Context()); err != nil {
			http.Error(w, "store: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	return mux
}

// Registerer is the daemon's metrics registry, for collectors of other
// parts of the process.
func (s *Service) Registerer() prometheus.Registerer { return s.m.reg }

// SSHMetrics returns the metrics the SSH listener updates.
func (s *Service) SSHMetrics() SSHMetrics { return s.m.ssh }

// Subscribe returns the event feed; see Incidents.
func (s *Service) Subscribe(ctx context.Context) <-chan Event { return s.events.subscribe(ctx) }

// Incidents lists the stored incidents, firing first, newest first.
func (s *Service) Incidents(ctx context.Context) ([]Incident, error) {
	recs, err := s.store.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Incident, len(recs))
	for i, r := range recs {
		out[i] = incidentOf(r)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if (a.Status == StatusFiring) != (b.Status == StatusFiring) {
			return a.Status == StatusFiring
		}
		if !a.StartedAt.Equal(b.StartedAt) {
			return a.StartedAt.After(b.StartedAt)
		}
		return a.ID < b.ID
	})
	return out, nil
}

// Incident returns one incident with its report and bundle.
func (s *Service) Incident(ctx context.Context, id string) (Incident, error) {
	r, report, bundle, err := s.store.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return Incident{}, ErrNotFound
	}
	if err != nil {
		return Incident{}, err
	}
	inc := incidentOf(r)
	inc.Bundle = bundle
	if report != nil {
		var rep triage.Report
		if err := json.Unmarshal(report, &rep); err != nil {
			return inc, fmt.Errorf("incident %s: stored report: %w", id, err)
		}
		inc.Report = &rep
	}
	return inc, nil
}

func incidentOf(r store.Record) Incident {
	return Incident{ID: r.ID, Alert: r.Alert, Status: Status(r.Status), Scope: r.Scope, GroupKey: r.GroupKey,
		Receiver: r.Receiver, StartedAt: r.StartedAt, UpdatedAt: r.UpdatedAt, ResolvedAt: r.ResolvedAt,
		AlertCount: r.AlertCount, PrewarmState: PrewarmState(r.PrewarmState), PrewarmError: r.PrewarmError,
		ReportAt: r.ReportAt, Expired: r.Expired, SeenAt: r.SeenAt}
}
