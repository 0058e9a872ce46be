package serve

import "time"

// Heartbeat is the alert pipeline's dead man's switch.
type Heartbeat struct {
	// LastBeat is the Watchdog's last arrival; zero when it never came.
	LastBeat time.Time
	// Silent is set once no beat came for longer than the allowed gap.
	Silent bool
}

// HasWatchdog reports whether a Watchdog is configured; without one,
// Pipeline has nothing to say and the console should not ask.
func (s *Service) HasWatchdog() bool { return s.cfg.Watchdog.enabled() }

// Pipeline is the dead man's switch: the Watchdog's last arrival, and
// whether it has been silent for longer than the allowed gap (counted from
// the daemon's start when it never came). Zero without a Watchdog.
func (s *Service) Pipeline() Heartbeat {
	if !s.HasWatchdog() {
		return Heartbeat{}
	}
	s.beatMu.Lock()
	defer s.beatMu.Unlock()
	return Heartbeat{LastBeat: s.lastBeat, Silent: s.silentLocked()}
}

// silentLocked counts the gap from the daemon's start when the last beat
// is older, so that a restart gives Alertmanager one gap to deliver before
// the pipeline is called silent.
func (s *Service) silentLocked() bool {
	since := s.lastBeat
	if since.Before(s.started) {
		since = s.started
	}
	return s.now().Sub(since) > s.cfg.Watchdog.MaxGap
}

// noteBeat records a Watchdog arrival the store already holds. Every
// arrival is an event: it moves the header's "last beat" even when the
// switch stays as it was.
func (s *Service) noteBeat(at time.Time) {
	s.beatMu.Lock()
	if at.After(s.lastBeat) {
		s.lastBeat = at
	}
	s.silent = s.silentLocked()
	s.beatMu.Unlock()
	s.setBeatMetric()
	s.events.publish(Event{Kind: EventHeartbeat, At: s.now()})
}

// checkBeat publishes a heartbeat event when the switch flips.
func (s *Service) checkBeat() {
	if !s.HasWatchdog() {
		return
	}
	s.beatMu.Lock()
	silent := s.silentLocked()
	flipped := silent != s.silent
	s.silent = silent
	s.beatMu.Unlock()
	s.setBeatMetric()
	if flipped {
		s.events.publish(Event{Kind: EventHeartbeat, At: s.now()})
	}
}

func (s *Service) setBeatMetric() {
	s.beatMu.Lock()
	defer s.beatMu.Unlock()
	if !s.lastBeat.IsZero() {
		s.m.watchdogLast.Set(float64(s.lastBeat.UnixMilli()) / 1000)
	}
	v := 0.0
	if s.cfg.Watchdog.enabled() && s.silentLocked() {
		v = 1
	}
	s.m.watchdogSilent.Set(v)
}
