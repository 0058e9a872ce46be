package sshconsole

import (
	"context"
	"sort"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	gossh "golang.org/x/crypto/ssh"

	"github.com/triagectl/triage/serve"
	"github.com/triagectl/triage/tui"
)

// minBroadcastGap spaces the broadcasts: a burst of webhooks makes one
// reload per session, not one per alert.
const minBroadcastGap = 100 * time.Millisecond

// liveSession is one open program as the broadcaster sees it: changes
// collect in pending and a goroutine of the session delivers them, so a
// busy program never holds up the others.
type liveSession struct {
	p    program
	data *sessionData    // the incidents the session follows
	key  gossh.PublicKey // the key it authenticated with; nil in tests

	mu        sync.Mutex
	ids       map[string]bool
	heartbeat bool
	wake      chan struct{}
	endReason string // set when the server ends the session
}

// program is the part of a tea.Program the broadcaster drives.
type program interface {
	Send(tea.Msg)
	Quit()
}

func newLiveSession(p program, data *sessionData) *liveSession {
	return &liveSession{p: p, data: data, ids: map[string]bool{}, wake: make(chan struct{}, 1)}
}

func (l *liveSession) notify(ids map[string]bool, heartbeat bool) {
	l.mu.Lock()
	for id := range ids {
		l.ids[id] = true
	}
	l.heartbeat = l.heartbeat || heartbeat
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// deliver sends the collected changes into the program until ctx ends.
func (l *liveSession) deliver(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.wake:
		}
		l.mu.Lock()
		msg := tui.IncidentsChangedMsg{Heartbeat: l.heartbeat}
		for id := range l.ids {
			msg.IDs = append(msg.IDs, id)
		}
		l.ids, l.heartbeat = map[string]bool{}, false
		l.mu.Unlock()
		sort.Strings(msg.IDs)
		l.p.Send(msg)
		if l.data != nil {
			// Newer reports of the incidents the session opened: read here,
			// off the program's loop, and handed to their verdict pages.
			for _, r := range l.data.newerReports(ctx, msg.IDs) {
				l.p.Send(r)
			}
		}
	}
}

// end quits the program, saying why once it has left the screen.
func (l *liveSession) end(reason string) {
	l.mu.Lock()
	if l.endReason == "" {
		l.endReason = reason
	}
	l.mu.Unlock()
	l.p.Quit()
}

func (l *liveSession) reason() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.endReason
}

// broadcast follows the store's events until ctx ends and hands them to
// every open session. Events that arrived meanwhile are merged into one.
func (s *Server) broadcast(ctx context.Context) {
	events := s.store.Subscribe(ctx)
	for {
		var ev serve.Event
		var ok bool
		select {
		case <-ctx.Done():
			return
		case ev, ok = <-events:
			if !ok {
				return
			}
		}
		ids, heartbeat := map[string]bool{}, false
		add := func(ev serve.Event) {
			if ev.Kind == serve.EventHeartbeat || ev.IncidentID == "" {
				heartbeat = true
				return
			}
			ids[ev.IncidentID] = true
		}
		add(ev)
	drain:
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					break drain
				}
				add(ev)
			default:
				break drain
			}
		}
		for _, l := range s.openSessions() {
			l.notify(ids, heartbeat)
		}
		t := time.NewTimer(minBroadcastGap)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// keyRecheck is how often the authorized keys are read again for the
// open sessions: a session whose key is no longer listed ends on the
// second read that misses it, so a file caught half-written by an editor
// ends none.
const keyRecheck = time.Second

// revokedKeyReason is what a session whose key was removed is told.
const revokedKeyReason = "the session is closed: its key was removed from the authorized keys"

// watchKeys ends the open sessions whose key was removed from the
// authorized keys, within two reads of the file, until ctx ends.
func (s *Server) watchKeys(ctx context.Context) {
	t := time.NewTicker(keyRecheck)
	defer t.Stop()
	missing := map[*liveSession]bool{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		missing = s.endRevoked(missing)
	}
}

// endRevoked reads the authorized keys once and ends the sessions whose
// key it misses for the second time; it returns those it misses for the
// first.
func (s *Server) endRevoked(missing map[*liveSession]bool) map[*liveSession]bool {
	keys := s.keys.reload()
	next := map[*liveSession]bool{}
	for _, l := range s.openSessions() {
		switch {
		case l.key == nil || listed(keys, l.key):
		case missing[l]:
			s.log.Info("ssh session closed: its key was removed from the authorized keys", "key", Fingerprint(l.key))
			l.end(revokedKeyReason)
		default:
			next[l] = true
		}
	}
	return next
}
