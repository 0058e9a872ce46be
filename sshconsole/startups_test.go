package sshconsole

import (
	"fmt"
	"net"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// fakeConn is a connection from addr that notes its closing.
type fakeConn struct {
	net.Conn
	addr   net.Addr
	closed atomic.Bool
}

func (c *fakeConn) RemoteAddr() net.Addr { return c.addr }
func (c *fakeConn) Close() error         { c.closed.Store(true); return nil }

func connFrom(ip string) *fakeConn {
	return &fakeConn{addr: &net.TCPAddr{IP: net.ParseIP(ip), Port: 40000}}
}

// gateAt is a gate on a clock the test moves, whose random drop says what
// it was asked.
func gateAt(lim Startups) (*startupGate, *time.Time, *[]int) {
	now := time.Unix(1_800_000_000, 0)
	var asked []int
	g := newStartupGate(lim)
	g.now = func() time.Time { return now }
	g.drop = func(p int) bool { asked = append(asked, p); return p >= 100 }
	return g, &now, &asked
}

// sshd's rule: all in up to start, then refused with a probability from
// rate% rising linearly to 100% at full, then all refused.
func TestStartupsRandomEarlyDrop(t *testing.T) {
	g, _, asked := gateAt(Startups{Start: 2, Rate: 30, Full: 6})
	for i := range 6 {
		if s, why := g.admit(connFrom(fmt.Sprintf("10.0.0.%d", i+1))); s == nil {
			t.Fatalf("connection %d refused (%s)", i+1, why)
		}
	}
	if want := []int{30, 47, 65, 82}; !slices.Equal(*asked, want) {
		t.Errorf("drop asked with %v, want %v", *asked, want)
	}
	if s, why := g.admit(connFrom("10.0.0.9")); s != nil || why != refusedStartups {
		t.Errorf("at full: admitted (%q), want refused", why)
	}
	if n := g.unauthenticated(); n != 6 {
		t.Errorf("%d unauthenticated, want 6", n)
	}
}

// Per source: past the limit a new connection is refused while the
// others are young or speaking; one silent past the grace makes room.
func TestStartupsPerSourceEvictsTheSilent(t *testing.T) {
	g, now, _ := gateAt(Startups{Start: 10, Rate: 30, Full: 100, PerSource: 3})
	var held []*startup
	var conns []*fakeConn
	for range 3 {
		c := connFrom("127.0.0.1")
		s, _ := g.admit(c)
		held, conns = append(held, s), append(conns, c)
		*now = now.Add(time.Millisecond)
	}
	if s, why := g.admit(connFrom("127.0.0.1")); s != nil || why != refusedPerSource {
		t.Fatalf("fourth from one address admitted (%q)", why)
	}
	if s, _ := g.admit(connFrom("127.0.0.2")); s == nil {
		t.Fatal("another address refused")
	}
	held[0].spoke.Store(true) // a client mid-handshake is never evicted
	*now = now.Add(silentGrace)
	if s, why := g.admit(connFrom("127.0.0.1")); s == nil {
		t.Fatalf("refused (%q) though two connections have been silent past the grace", why)
	}
	if conns[0].closed.Load() || !conns[1].closed.Load() || conns[2].closed.Load() {
		t.Errorf("closed %v %v %v: want the oldest silent one only", conns[0].closed.Load(), conns[1].closed.Load(), conns[2].closed.Load())
	}
	// Authenticated, a connection no longer counts.
	held[0].done()
	held[0].done()
	if s, why := g.admit(connFrom("127.0.0.1")); s == nil {
		t.Errorf("refused (%q) after one authenticated", why)
	}
}

// Globally too: at the limit, the oldest silent connection makes room
// before any random drop.
func TestStartupsGlobalEvictsTheSilent(t *testing.T) {
	g, now, asked := gateAt(Startups{Start: 2, Rate: 100, Full: 2})
	a, b := connFrom("10.0.0.1"), connFrom("10.0.0.2")
	sa, _ := g.admit(a)
	*now = now.Add(time.Millisecond)
	g.admit(b)
	sa.spoke.Store(true)
	if s, _ := g.admit(connFrom("10.0.0.3")); s != nil {
		t.Fatal("admitted past full with none silent long enough")
	}
	*now = now.Add(silentGrace + time.Second)
	if s, why := g.admit(connFrom("10.0.0.3")); s == nil {
		t.Fatalf("refused (%q) with a connection silent past the grace", why)
	}
	if a.closed.Load() || !b.closed.Load() {
		t.Errorf("closed a=%v b=%v, want b, the silent one", a.closed.Load(), b.closed.Load())
	}
	if len(*asked) != 0 {
		t.Errorf("random drop asked %v; with full == start none is", *asked)
	}
}

func TestSourceOf(t *testing.T) {
	for in, want := range map[net.Addr]string{
		&net.TCPAddr{IP: net.ParseIP("127.0.0.2"), Port: 1}:              "127.0.0.2",
		&net.TCPAddr{IP: net.ParseIP("::ffff:10.1.2.3"), Port: 22}:       "10.1.2.3",
		&net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 22, Zone: ""}: "2001:db8::1",
		&net.UnixAddr{Name: "/run/x.sock", Net: "unix"}:                  "/run/x.sock",
	} {
		if got := sourceOf(in); got != want {
			t.Errorf("sourceOf(%v) = %q, want %q", in, got, want)
		}
	}
}
