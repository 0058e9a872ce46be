package sshconsole

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/triagectl/triage/serve"
	"github.com/triagectl/triage/themes"
	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/console"
	"github.com/triagectl/triage/tui/tuitest"
)

// newTestCommon is a session's Common on store, on the simulated
// incident's sources, at a fixed size and clock.
func newTestCommon(t *testing.T, store Store, w, h int) (*tui.Common, *sessionData) {
	t.Helper()
	fx := tuitest.Fixture(t)
	data := newSessionData(store)
	o := console.Options{Theme: themes.Dark(), Data: tui.Data{Sources: fx.Sources(), Options: fx.Options},
		Now: func() time.Time { return tuitest.Now }}
	c, err := sessionCommon(t.Context(), o, store, data, w, h)
	if err != nil {
		t.Fatal(err)
	}
	return c, data
}

func screen(m tea.Model) string { return ansi.Strip(m.View().Content) }

// selectedRow is the list row under the cursor.
func selectedRow(scr string) string {
	for _, l := range strings.Split(scr, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "▸") {
			return l
		}
	}
	return ""
}

// culpritText is what the verdict shows for the fixture's culprit.
func culpritText(t testing.TB) string {
	t.Helper()
	r := tuitest.Fixture(t).Report
	if r.Impact != nil && r.Impact.Culprit != "" {
		return r.Impact.Culprit
	}
	for _, s := range r.Services {
		if s.Role == triage.RoleCulprit {
			return s.Name
		}
	}
	t.Fatal("the fixture's report names no culprit")
	return ""
}

func TestListOpensOnNewestFiring(t *testing.T) {
	fx := tuitest.Fixture(t)
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		store := newMemStore(fixtureIncidents(t)...)
		c, data := newTestCommon(t, store, size[0], size[1])
		m := openList(t.Context(), c, data)
		m = tuitest.Run(m, m.Init())
		scr := screen(m)
		tuitest.CheckSize(t, m.View().Content, size[0], size[1])
		if row := selectedRow(scr); !strings.Contains(row, fx.Alert.Name) || !strings.Contains(row, "firing") {
			t.Fatalf("%dx%d: selected row %q, want the newest firing incident %s\n%s", size[0], size[1], row, fx.Alert.Name, scr)
		}
		if !strings.Contains(selectedRow(scr), "✓ ready") {
			t.Errorf("%dx%d: the pre-warmed incident does not say ready: %q", size[0], size[1], selectedRow(scr))
		}
		if i, j := strings.Index(scr, "DiskFilling"), strings.Index(scr, "HighLatency"); i < 0 || j < i {
			t.Errorf("%dx%d: the resolved incident is not listed after the firing ones\n%s", size[0], size[1], scr)
		}
		// enter opens the pre-warmed report: the culprit, with no
		// investigation.
		m = tuitest.Drive(t, m, "enter")
		if scr := screen(m); !strings.Contains(scr, culpritText(t)) || !strings.Contains(scr, "Incidents › "+fx.Alert.Name) {
			t.Errorf("%dx%d: enter did not open the verdict with its culprit %q\n%s", size[0], size[1], culpritText(t), scr)
		}
		if app := m.(*tui.App); app.Top().(tui.Incident).Report() != fx.Report {
			t.Errorf("%dx%d: the verdict is not showing the pre-warmed report", size[0], size[1])
		}
	}
}

func TestListFollowsTheStore(t *testing.T) {
	store := newMemStore(fixtureIncidents(t)...)
	c, data := newTestCommon(t, store, 120, 40)
	m := openList(t.Context(), c, data)
	m = tuitest.Run(m, m.Init())
	m = tuitest.Drive(t, m, "j", "j")
	if row := selectedRow(screen(m)); !strings.Contains(row, "DiskFilling") || !strings.Contains(row, "running") {
		t.Fatalf("selected row %q, want DiskFilling, running", row)
	}

	disk := fixtureIncidents(t)[1]
	disk.PrewarmState, disk.Report, disk.ReportAt = serve.PrewarmReady, tuitest.Fixture(t).Report, tuitest.Now
	store.put(disk, serve.EventPrewarmReady)
	fresh := serve.Incident{ID: "inc-new", Status: serve.StatusFiring, StartedAt: tuitest.Now, PrewarmState: serve.PrewarmQueued,
		Alert: triage.Alert{Name: "QueueBacklog", StartsAt: tuitest.Now, Fingerprint: "9ueue", Labels: map[string]string{"service": "orders"}}}
	store.put(fresh, serve.EventIncidentNew)

	m, cmd := m.Update(tui.IncidentsChangedMsg{IDs: []string{"inc-new", idDisk}})
	m = tuitest.Run(m, cmd)
	scr := screen(m)
	if row := selectedRow(scr); !strings.Contains(row, "DiskFilling") || !strings.Contains(row, "✓ ready") {
		t.Errorf("after the pre-warm finished the selected row is %q, want DiskFilling still selected and ready\n%s", row, scr)
	}
	if !strings.Contains(scr, "QueueBacklog") || !strings.Contains(scr, "queued") {
		t.Errorf("the new incident is not listed\n%s", scr)
	}

	// A heartbeat alone reloads nothing.
	if _, cmd := m.Update(tui.IncidentsChangedMsg{Heartbeat: true}); cmd != nil {
		t.Error("a heartbeat made the list reload")
	}
}

// oldReport is the fixture's report as an earlier pre-warm saw it: a
// different culprit and no traces yet.
func oldReport(t *testing.T) *triage.Report {
	r := *tuitest.Fixture(t).Report
	imp := *r.Impact
	imp.Culprit = "old-culprit"
	r.Impact, r.Traces = &imp, nil
	return &r
}

// changed tells the program of changed incidents as a live session does:
// the news, then the newer reports of the incidents the session follows.
func changed(t *testing.T, m tea.Model, data *sessionData, ids ...string) tea.Model {
	t.Helper()
	m, cmd := m.Update(tui.IncidentsChangedMsg{IDs: ids})
	m = tuitest.Run(m, cmd)
	for _, r := range data.newerReports(t.Context(), ids) {
		m, cmd = m.Update(r)
		m = tuitest.Run(m, cmd)
	}
	return m
}

func TestVerdictSwapsInTheNewerReport(t *testing.T) {
	fx := tuitest.Fixture(t)
	inc := fixtureIncidents(t)
	inc[0].Report, inc[0].ReportAt = oldReport(t), tuitest.Now.Add(-time.Minute)
	store := newMemStore(inc...)
	c, data := newTestCommon(t, store, 120, 40)
	m, err := openIncident(t.Context(), c, data, idCheckout)
	if err != nil {
		t.Fatal(err)
	}
	m = tuitest.Run(m, m.Init())
	if scr := screen(m); !strings.Contains(scr, "old-culprit") || !strings.Contains(scr, "Incidents › "+fx.Alert.Name) {
		t.Fatalf("the direct open does not show the stored report over the list\n%s", scr)
	}

	// Another incident's change reads nothing.
	reads := store.reads.Load()
	m = changed(t, m, data, idDisk)
	if store.reads.Load() != reads {
		t.Error("the verdict read the store for another incident's change")
	}

	// The newer report waits while a filter is typed, then shows.
	m = tuitest.Drive(t, m, "/", "x")
	newer := inc[0]
	newer.Report, newer.ReportAt = fx.Report, tuitest.Now
	store.put(newer, serve.EventPrewarmReady)
	m = changed(t, m, data, idCheckout)
	if scr := screen(m); !strings.Contains(scr, "old-culprit") {
		t.Fatalf("the report changed under a filter being typed\n%s", scr)
	}
	m = tuitest.Drive(t, m, "enter")
	scr := screen(m)
	if strings.Contains(scr, "old-culprit") || !strings.Contains(scr, culpritText(t)) {
		t.Fatalf("the newer report was not swapped in\n%s", scr)
	}
	if !strings.Contains(scr, "pre-warmed report updated") {
		t.Errorf("the swap was not announced\n%s", scr)
	}

	// The same report again changes nothing.
	app := m.(*tui.App)
	before := app.Top().(tui.Incident).Report()
	m = changed(t, m, data, idCheckout)
	if m.(*tui.App).Top().(tui.Incident).Report() != before {
		t.Error("an event without a newer report rebuilt the verdict")
	}

	// The swap kept the page, its filter included: esc clears the filter,
	// then goes back to the list the session opened over.
	m = tuitest.Drive(t, m, "esc", "esc")
	if scr := screen(m); !strings.Contains(scr, "INCIDENTS") || !strings.Contains(selectedRow(scr), fx.Alert.Name) {
		t.Errorf("esc did not go back to the incident list\n%s", scr)
	}
}

func TestOpenUnknownIncident(t *testing.T) {
	store := newMemStore(fixtureIncidents(t)...)
	c, data := newTestCommon(t, store, 80, 24)
	_, err := openIncident(t.Context(), c, data, "nope"+injTitle+injC1)
	if err == nil || !strings.Contains(err.Error(), "no incident") {
		t.Fatalf("error %v, want no incident", err)
	}
	assertHarmless(t, "error", err.Error())
}

func TestInjectedAlertFieldsRenderHarmlessly(t *testing.T) {
	store := newMemStore(fixtureIncidents(t)...)
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		c, data := newTestCommon(t, store, size[0], size[1])
		m := openList(t.Context(), c, data)
		m = tuitest.Run(m, m.Init())
		assertHarmless(t, "list", screen(m))
		if !strings.Contains(screen(m), "Evil") {
			t.Fatalf("the injected incident is not listed\n%s", screen(m))
		}
		m = tuitest.Drive(t, m, "/", "E", "v", "i", "l", "enter", "s")
		assertHarmless(t, "filtered list", screen(m))
	}
}

// assertHarmless fails when a terminal control survives in s once the
// console's own styling is stripped.
func assertHarmless(t *testing.T, what, s string) {
	t.Helper()
	s = ansi.Strip(s)
	for _, r := range s {
		switch {
		case r == 0x1b, r == 0x07, r >= 0x80 && r <= 0x9f,
			r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f:
			t.Fatalf("%s: control %U reached the screen:\n%q", what, r, s)
		}
	}
}

// recorder is a program that records what the broadcaster sends.
type recorder struct {
	mu   sync.Mutex
	msgs []tui.IncidentsChangedMsg
	quit int
	got  chan struct{}
}

func (r *recorder) Send(m tea.Msg) {
	r.mu.Lock()
	if m, ok := m.(tui.IncidentsChangedMsg); ok {
		r.msgs = append(r.msgs, m)
	}
	r.mu.Unlock()
	r.got <- struct{}{}
}

func (r *recorder) Quit() { r.mu.Lock(); r.quit++; r.mu.Unlock() }

func TestBroadcastReachesEverySession(t *testing.T) {
	store := newMemStore(fixtureIncidents(t)...)
	s := &Server{store: store, sessions: map[*liveSession]struct{}{}}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var recs []*recorder
	for range 3 {
		r := &recorder{got: make(chan struct{}, 8)}
		l := newLiveSession(r, nil)
		if !s.register(l) {
			t.Fatal("register refused")
		}
		go l.deliver(ctx)
		recs = append(recs, r)
	}
	done := make(chan struct{})
	go func() { s.broadcast(ctx); close(done) }()
	select {
	case <-store.subscribed:
	case <-time.After(5 * time.Second):
		t.Fatal("the broadcaster did not subscribe")
	}
	disk := fixtureIncidents(t)[1]
	disk.PrewarmState = serve.PrewarmReady
	store.put(disk, serve.EventPrewarmReady)
	for i, r := range recs {
		select {
		case <-r.got:
		case <-time.After(5 * time.Second):
			t.Fatalf("session %d got nothing", i)
		}
		r.mu.Lock()
		if m := r.msgs[0]; !slices.Contains(m.IDs, idDisk) || m.Heartbeat {
			t.Errorf("session %d got %+v, want %s", i, m, idDisk)
		}
		r.mu.Unlock()
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the broadcaster did not stop with its context")
	}
}

func TestLiveSessionMergesPendingChanges(t *testing.T) {
	r := &recorder{got: make(chan struct{}, 8)}
	l := newLiveSession(r, nil)
	// Nothing delivers yet: changes pile up and leave as one message.
	l.notify(map[string]bool{"a": true}, false)
	l.notify(map[string]bool{"b": true, "a": true}, true)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go l.deliver(ctx)
	select {
	case <-r.got:
	case <-time.After(5 * time.Second):
		t.Fatal("nothing delivered")
	}
	r.mu.Lock()
	if len(r.msgs) != 1 || strings.Join(r.msgs[0].IDs, ",") != "a,b" || !r.msgs[0].Heartbeat {
		t.Errorf("delivered %+v, want one message for a,b with the heartbeat", r.msgs)
	}
	r.mu.Unlock()
	l.end("first")
	l.end("second")
	r.mu.Lock()
	defer r.mu.Unlock()
	if l.reason() != "first" || r.quit != 2 {
		t.Errorf("reason %q after %d quits, want the first reason kept", l.reason(), r.quit)
	}
}
