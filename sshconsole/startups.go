package sshconsole

import (
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Startups limit the connections not yet authenticated, as sshd's
// MaxStartups and PerSourceMaxStartups do, so that idle connections
// cannot hold every slot until the handshake timeout frees one.
type Startups struct {
	// Start, Rate and Full are sshd's MaxStartups: once Start
	// connections are unauthenticated a new one is refused with
	// probability Rate%, rising linearly to every one at Full.
	Start, Rate, Full int
	// PerSource caps them per source address; 0 does not.
	PerSource int
}

// DefaultStartups are sshd's MaxStartups, and a tenth of it per source.
var DefaultStartups = Startups{Start: 10, Rate: 30, Full: 100, PerSource: 5}

// silentGrace is how long a connection may stay silent before it may be
// closed to make room: a real client sends its version the moment it
// connects, so one that has said nothing for this long is not one, or is
// across a link too slow to finish a handshake anyway.
const silentGrace = 2 * time.Second

// startupGate admits connections within Startups. It is sshd's rule with
// one addition: when a limit is reached and a connection has been silent
// past silentGrace, the oldest such is closed and the new one let in,
// rather than the new one refused. A flood of idle connections then holds
// its slots only until someone connects, and an authorised user gets in
// even from the flood's own address.
type startupGate struct {
	lim  Startups
	now  func() time.Time
	drop func(percent int) bool // true with that probability

	mu       sync.Mutex
	pending  map[*startup]struct{}
	bySource map[string]int
}

func newStartupGate(lim Startups) *startupGate {
	return &startupGate{lim: lim, now: time.Now, drop: func(p int) bool { return rand.IntN(100) < p },
		pending: map[*startup]struct{}{}, bySource: map[string]int{}}
}

// startup is one connection until it authenticates or closes.
type startup struct {
	g      *startupGate
	conn   net.Conn
	source string
	at     time.Time
	spoke  atomic.Bool
	once   sync.Once
}

// Refusals say why a connection was not admitted.
const (
	refusedPerSource = "per-source startups"
	refusedStartups  = "startups"
)

// admit takes c in, or says why not; a silent connection it closes to make
// room is returned to be closed outside the lock.
func (g *startupGate) admit(c net.Conn) (s *startup, refused string) {
	src := sourceOf(c.RemoteAddr())
	now := g.now()
	g.mu.Lock()
	var evict []*startup
	if g.lim.PerSource > 0 && g.bySource[src] >= g.lim.PerSource {
		v := g.oldestSilent(now, src, nil)
		if v == nil {
			g.mu.Unlock()
			return nil, refusedPerSource
		}
		evict = append(evict, v)
	}
	if n := len(g.pending) - len(evict); n >= g.lim.Start {
		if v := g.oldestSilent(now, "", evict); v != nil {
			evict = append(evict, v)
		} else if n >= g.lim.Full || g.drop(g.dropPercent(n)) {
			g.mu.Unlock()
			return nil, refusedStartups
		}
	}
	for _, v := range evict {
		g.remove(v)
	}
	s = &startup{g: g, conn: c, source: src, at: now}
	g.pending[s] = struct{}{}
	g.bySource[src]++
	g.mu.Unlock()
	for _, v := range evict {
		_ = v.conn.Close()
	}
	return s, ""
}

// dropPercent is sshd's: rate% at start, rising linearly to 100% at full.
func (g *startupGate) dropPercent(n int) int {
	l := g.lim
	if l.Full <= l.Start {
		return 100
	}
	return (100-l.Rate)*(n-l.Start)/(l.Full-l.Start) + l.Rate
}

// oldestSilent is the oldest connection, of source when given, that has
// said nothing for silentGrace, other than those in not.
func (g *startupGate) oldestSilent(now time.Time, source string, not []*startup) *startup {
	var best *startup
	for s := range g.pending {
		if (source != "" && s.source != source) || s.spoke.Load() || now.Sub(s.at) < silentGrace || contains(not, s) {
			continue
		}
		if best == nil || s.at.Before(best.at) {
			best = s
		}
	}
	return best
}

func contains(list []*startup, s *startup) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// remove forgets s; the caller holds the lock.
func (g *startupGate) remove(s *startup) {
	if _, ok := g.pending[s]; !ok {
		return
	}
	delete(g.pending, s)
	if g.bySource[s.source]--; g.bySource[s.source] <= 0 {
		delete(g.bySource, s.source)
	}
}

// done ends s's startup: it authenticated, or closed.
func (s *startup) done() {
	s.once.Do(func() {
		s.g.mu.Lock()
		s.g.remove(s)
		s.g.mu.Unlock()
	})
}

// unauthenticated is the number of connections not yet authenticated.
func (g *startupGate) unauthenticated() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.pending)
}

// sourceOf is the address a connection comes from, without its port.
func sourceOf(a net.Addr) string {
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap.Addr().Unmap().String()
	}
	return a.String()
}

// startupConn notes the first byte a connection sends, and ends its
// startup when it closes.
type startupConn struct {
	net.Conn
	s *startup
}

func (c *startupConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.s.spoke.Store(true)
	}
	return n, err
}

func (c *startupConn) Close() error {
	c.s.done()
	return c.Conn.Close()
}
