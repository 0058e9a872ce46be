package sshconsole

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/triagectl/triage/serve"
	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui/tuitest"
)

// memStore is a fixed in-memory Store: it answers as the daemon's read
// API does (firing first, newest first, reports only on one incident).
type memStore struct {
	mu        sync.Mutex
	incidents map[string]serve.Incident
	subs      []chan serve.Event
	reads     atomic.Int64 // Incident calls
	// subscribed gets a value for each Subscribe.
	subscribed chan struct{}
}

func newMemStore(incidents ...serve.Incident) *memStore {
	m := &memStore{incidents: map[string]serve.Incident{}, subscribed: make(chan struct{}, 64)}
	for _, in := range incidents {
		m.incidents[in.ID] = in
	}
	return m
}

func (m *memStore) Incidents(ctx context.Context) ([]serve.Incident, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]serve.Incident, 0, len(m.incidents))
	for _, in := range m.incidents {
		in.Report, in.Bundle = nil, nil
		out = append(out, in)
	}
	sort.Slice(out, func(i, j int) bool {
		if fi, fj := out[i].Status == serve.StatusFiring, out[j].Status == serve.StatusFiring; fi != fj {
			return fi
		}
		return out[i].StartedAt.After(out[j].StartedAt)
	})
	return out, ctx.Err()
}

func (m *memStore) Incident(ctx context.Context, id string) (serve.Incident, error) {
	m.reads.Add(1)
	m.mu.Lock()
	defer m.mu.Unlock()
	in, ok := m.incidents[id]
	if !ok {
		return serve.Incident{}, serve.ErrNotFound
	}
	return in, ctx.Err()
}

func (m *memStore) Subscribe(ctx context.Context) <-chan serve.Event {
	ch := make(chan serve.Event, 16)
	m.mu.Lock()
	m.subs = append(m.subs, ch)
	m.mu.Unlock()
	select {
	case m.subscribed <- struct{}{}:
	default:
	}
	go func() {
		<-ctx.Done()
		m.mu.Lock()
		defer m.mu.Unlock()
		for i, c := range m.subs {
			if c == ch {
				m.subs = append(m.subs[:i], m.subs[i+1:]...)
				close(ch)
			}
		}
	}()
	return ch
}

func (m *memStore) Pipeline() serve.Heartbeat {
	return serve.Heartbeat{LastBeat: tuitest.Now.Add(-40 * time.Second)}
}

// put stores an incident and tells the subscribers, dropping the event
// for one that does not keep up, as the daemon does.
func (m *memStore) put(in serve.Incident, kind serve.EventKind) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.incidents[in.ID] = in
	for _, c := range m.subs {
		select {
		case c <- serve.Event{Kind: kind, IncidentID: in.ID, At: time.Now()}:
		default:
		}
	}
}

// Injected strings every external field may carry: after the console's
// own styling is stripped none may reach the terminal.
const (
	injOSC52 = "\x1b]52;c;ZXZpbA==\x07"
	injTitle = "\x1b]0;pwned\x07"
	injClear = "\x1b[2J\x1b[H"
	injC1    = "\u009b31m"
	injBidi  = "\u202eevil"
)

// Incident ids of the fixture.
const (
	idCheckout = "inc-checkout" // newest firing, pre-warmed
	idDisk     = "inc-disk"     // older firing, pre-warm running
	idLatency  = "inc-latency"  // newest of all, but resolved
	idEvil     = "inc-evil"     // alert fields carry escape sequences
)

// fixtureIncidents are the daemon's incidents around the simulated one.
func fixtureIncidents(t testing.TB) []serve.Incident {
	fx := tuitest.Fixture(t)
	start := fx.Alert.StartsAt
	alert := func(name, service, sev string, at time.Time, fp string) triage.Alert {
		return triage.Alert{Name: name, StartsAt: at, Fingerprint: fp,
			Labels:      map[string]string{"alertname": name, "service": service, "severity": sev},
			Annotations: map[string]string{"summary": name + " on " + service}}
	}
	evil := alert("Evil"+injTitle+"Name", "pay"+injClear+"ments", "warning", start.Add(-time.Hour), "ev1l")
	evil.Annotations["summary"] = injOSC52 + "summary" + injC1 + injBidi
	return []serve.Incident{
		{ID: idCheckout, Alert: fx.Alert, Status: serve.StatusFiring, Scope: "checkout", StartedAt: start,
			PrewarmState: serve.PrewarmReady, ReportAt: start.Add(time.Minute), Report: fx.Report, AlertCount: 1},
		{ID: idDisk, Alert: alert("DiskFilling", "storage", "warning", start.Add(-2*time.Hour), "d15k"), Status: serve.StatusFiring,
			StartedAt: start.Add(-2 * time.Hour), PrewarmState: serve.PrewarmRunning, AlertCount: 1},
		{ID: idLatency, Alert: alert("HighLatency", "search", "critical", start.Add(5*time.Minute), "1a7e"), Status: serve.StatusResolved,
			StartedAt: start.Add(5 * time.Minute), ResolvedAt: start.Add(9 * time.Minute), PrewarmState: serve.PrewarmReady,
			ReportAt: start.Add(6 * time.Minute), Report: fx.Report, AlertCount: 1},
		{ID: idEvil, Alert: evil, Status: serve.StatusFiring, StartedAt: start.Add(-time.Hour),
			PrewarmState: serve.PrewarmFailed, PrewarmError: "tempo: " + injTitle, AlertCount: 1},
	}
}
