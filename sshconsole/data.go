package sshconsole

import (
	"context"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/triagectl/triage/serve"
	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/verdict"
)

// Store is the daemon as the sessions read it. *serve.Service implements
// it; tests use a fixed one.
type Store interface {
	// Incidents lists the incidents, firing first, newest first, without
	// their reports.
	Incidents(ctx context.Context) ([]serve.Incident, error)
	// Incident returns one incident with its latest report, or
	// serve.ErrNotFound.
	Incident(ctx context.Context, id string) (serve.Incident, error)
	// Subscribe reports changes until ctx ends.
	Subscribe(ctx context.Context) <-chan serve.Event
	// Pipeline is the dead man's switch for the header.
	Pipeline() serve.Heartbeat
}

// prefetchReports bounds how many reports a list load reads ahead: the
// newest firing incidents are the ones opened at 3 AM.
const prefetchReports = 8

// readTimeout bounds a store read made while a key waits for it.
const readTimeout = 2 * time.Second

// sessionData is one session's view of the store: the list's rows keyed
// by the alert key the list uses, and the reports read so far.
type sessionData struct {
	store Store

	mu       sync.Mutex
	byKey    map[string]serve.Incident // list entries, without reports
	reports  map[string]serve.Incident // by incident id, with their report
	followed map[string]followed       // incidents opened, by id
}

// followed is an incident the session opened: its verdict page is told
// of newer reports.
type followed struct {
	alert triage.Alert // as the page knows it (the list's key as fingerprint)
	shown time.Time    // when the report it shows was stored; zero for none
}

func newSessionData(store Store) *sessionData {
	return &sessionData{store: store, byKey: map[string]serve.Incident{}, reports: map[string]serve.Incident{},
		followed: map[string]followed{}}
}

// follow records that a verdict page opened alert, showing rep.
func (d *sessionData) follow(a triage.Alert, rep *triage.Report) {
	id := d.incidentID(a)
	if id == "" {
		return
	}
	shown := d.reportAt(id, rep)
	d.mu.Lock()
	defer d.mu.Unlock()
	if f, ok := d.followed[id]; ok && f.shown.After(shown) {
		shown = f.shown
	}
	d.followed[id] = followed{alert: a, shown: shown}
}

// newerReports reads the followed incidents among ids and returns a
// message for each whose report is newer than the one its page shows.
func (d *sessionData) newerReports(ctx context.Context, ids []string) []tea.Msg {
	var out []tea.Msg
	for _, id := range ids {
		d.mu.Lock()
		f, ok := d.followed[id]
		d.mu.Unlock()
		if !ok {
			continue
		}
		rctx, cancel := context.WithTimeout(ctx, readTimeout)
		in, err := d.store.Incident(rctx, id)
		cancel()
		if err != nil || in.Report == nil || !in.ReportAt.After(f.shown) {
			continue
		}
		d.remember(in)
		d.mu.Lock()
		f.shown = in.ReportAt
		d.followed[id] = f
		d.mu.Unlock()
		out = append(out, tui.ReportMsg{Fingerprint: f.alert.Fingerprint, StartsAt: f.alert.StartsAt, Report: in.Report})
	}
	return out
}

// listKey is the fingerprint the list keys an incident's row by. Two
// incidents of one alert (it fired, resolved and fired again) share a
// fingerprint; the older ones are keyed by their incident id instead so
// each keeps its own row.
func listKey(in serve.Incident, seen map[string]bool) string {
	k := in.Alert.Fingerprint
	if k == "" || seen[k] {
		k = "incident:" + in.ID
	}
	seen[k] = true
	return k
}

// load lists the incidents as the list's alerts and reads ahead the
// reports of the newest firing ones, so enter opens them at once.
func (d *sessionData) load(ctx context.Context) ([]triage.Alert, error) {
	alerts, ahead, err := d.listing(ctx)
	if err != nil {
		return nil, err
	}
	d.prefetch(ctx, ahead)
	return alerts, nil
}

// listing reads the incidents without their reports; ahead are the ones
// whose report is worth reading ahead.
func (d *sessionData) listing(ctx context.Context) (alerts []triage.Alert, ahead []serve.Incident, err error) {
	list, err := d.store.Incidents(ctx)
	if err != nil {
		return nil, nil, err
	}
	byKey := make(map[string]serve.Incident, len(list))
	seen := map[string]bool{}
	alerts = make([]triage.Alert, 0, len(list))
	for _, in := range list {
		a := in.Alert
		a.Fingerprint = listKey(in, seen)
		byKey[a.Fingerprint] = in
		alerts = append(alerts, a)
		if in.Status != serve.StatusResolved && !in.ReportAt.IsZero() && len(ahead) < prefetchReports {
			ahead = append(ahead, in)
		}
	}
	d.mu.Lock()
	d.byKey = byKey
	d.mu.Unlock()
	return alerts, ahead, nil
}

func (d *sessionData) prefetch(ctx context.Context, ahead []serve.Incident) {
	for _, in := range ahead {
		if ctx.Err() != nil {
			return
		}
		if d.cached(in) != nil {
			continue
		}
		if full, err := d.store.Incident(ctx, in.ID); err == nil {
			d.remember(full)
		} // else enter reads it again, or the verdict investigates
	}
}

// cached is the incident's report when the one read is still the latest.
func (d *sessionData) cached(in serve.Incident) *triage.Report {
	d.mu.Lock()
	defer d.mu.Unlock()
	got, ok := d.reports[in.ID]
	if !ok || got.Report == nil || got.ReportAt.Before(in.ReportAt) {
		return nil
	}
	return got.Report
}

func (d *sessionData) remember(in serve.Incident) {
	if in.Report == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if old, ok := d.reports[in.ID]; ok && old.ReportAt.After(in.ReportAt) {
		return
	}
	in.Bundle = nil // the console never shows it; keep sessions small
	d.reports[in.ID] = in
}

func (d *sessionData) entry(key string) (serve.Incident, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	in, ok := d.byKey[key]
	return in, ok
}

// status is the list's pre-warm column.
func (d *sessionData) status(key string) string {
	in, ok := d.entry(key)
	if !ok {
		return ""
	}
	switch in.PrewarmState {
	case serve.PrewarmRunning:
		if !in.ReportAt.IsZero() {
			return "updating" // a refresh of a ready report
		}
		return "running"
	case serve.PrewarmReady:
		return "✓ ready"
	case serve.PrewarmFailed:
		return "✖ failed"
	}
	return string(in.PrewarmState)
}

func (d *sessionData) resolved(a triage.Alert) bool {
	in, ok := d.entry(a.Fingerprint)
	return ok && in.Status == serve.StatusResolved
}

// report is the incident's pre-warmed report for enter: read ahead by the
// list, else read now (the store is local), else nil and the verdict page
// investigates.
func (d *sessionData) report(ctx context.Context, key string) *triage.Report {
	in, ok := d.entry(key)
	if !ok || in.ReportAt.IsZero() {
		return nil
	}
	if r := d.cached(in); r != nil {
		return r
	}
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	full, err := d.store.Incident(ctx, in.ID)
	if err != nil {
		return nil
	}
	d.remember(full)
	return full.Report
}

// reportAt is when rep, a report this session read, was stored; zero
// when it is not the one read for incident id.
func (d *sessionData) reportAt(id string, rep *triage.Report) time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	if in, ok := d.reports[id]; ok && rep != nil && in.Report == rep {
		return in.ReportAt
	}
	return time.Time{}
}

// incidentID is the incident behind an alert the list or a direct open
// handed to the verdict page.
func (d *sessionData) incidentID(a triage.Alert) string {
	if in, ok := d.entry(a.Fingerprint); ok {
		return in.ID
	}
	return ""
}

// listOptions wires the incident list to the store: what the daemon
// received, whatever Alertmanager can be reached or not.
func (d *sessionData) listOptions(ctx context.Context) verdict.ListOptions {
	return verdict.ListOptions{
		Load:     d.load,
		Resolved: d.resolved,
		Status:   d.status,
		Report:   func(key string) *triage.Report { return d.report(ctx, key) },
		Source:   "the daemon's store",
		Origin:   "received by triage serve",
	}
}

// open reads the incident a session was asked for (`ssh host <id>`) and
// registers it so the verdict page can follow its pre-warm.
func (d *sessionData) open(ctx context.Context, id string) (serve.Incident, error) {
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	in, err := d.store.Incident(ctx, id)
	if err != nil {
		return serve.Incident{}, err
	}
	d.remember(in)
	d.mu.Lock()
	key := in.Alert.Fingerprint
	if prev, ok := d.byKey[key]; key == "" || ok && prev.ID != in.ID {
		key = "incident:" + in.ID
	}
	in.Alert.Fingerprint = key
	entry := in
	entry.Report, entry.Bundle = nil, nil
	d.byKey[key] = entry
	d.mu.Unlock()
	return in, nil
}
