package sshconsole

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/triagectl/triage/internal/config"
)

// idleFlood opens n TCP connections to addr from the local address from
// ("" for any) that never send a byte, and closes them when the test ends.
func idleFlood(t *testing.T, addr, from string, n int) []net.Conn {
	t.Helper()
	d := net.Dialer{Timeout: 2 * time.Second}
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	var conns []net.Conn
	for range n {
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial %s from %q: %v", addr, from, err)
		}
		conns = append(conns, c)
	}
	t.Cleanup(func() {
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return conns
}

// stillOpen counts the connections the server has not closed: a read
// that times out found one open; one that ends found it closed (the
// server's version string, when it sent one, is read past).
func stillOpen(conns []net.Conn) int {
	var open atomic.Int64
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() {
			_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			buf := make([]byte, 256)
			var err error
			for err == nil {
				_, err = c.Read(buf)
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				open.Add(1)
			}
		})
	}
	wg.Wait()
	return int(open.Load())
}

// An authorised user gets in while idle connections flood the console.
// A flood from one address holds its share (5), and a real OpenSSH client
// from another gets in at once. A flood from the client's own address and
// from 90 more holds its slots only until its connections have been
// silent past the grace; then the client's connection takes the place of
// the oldest, and the client gets in at once, time and again.
func TestSSHFloodOfIdleConnections(t *testing.T) {
	lim := FromConfig(config.Default()).Startups
	if lim != DefaultStartups {
		t.Fatalf("the config's defaults %+v, the server's %+v", lim, DefaultStartups)
	}
	d := startDaemon(t, Config{Startups: lim})
	addr := net.JoinHostPort("127.0.0.1", d.port)
	getIn := func(what string) {
		t.Helper()
		t0 := time.Now()
		out, code := d.runSSH(d.key, []string{"-tt", "-o", "ConnectTimeout=5"}, "no-such-incident")
		if code != 1 || !strings.Contains(out, "no incident") {
			t.Fatalf("%s: exit %d: %q", what, code, out)
		}
		t.Logf("%s: in (authenticated, session run) after %s", what, time.Since(t0).Round(time.Millisecond))
	}

	other := idleFlood(t, addr, "127.0.0.2", 100)
	if open := stillOpen(other); open > lim.PerSource {
		t.Errorf("%d connections from 127.0.0.2 still open, over its %d", open, lim.PerSource)
	}
	getIn("client from 127.0.0.1, 100 idle connections from 127.0.0.2")

	start := time.Now()
	same := idleFlood(t, addr, "127.0.0.1", 100)
	var spread []net.Conn
	for i := 3; i <= 92; i++ {
		spread = append(spread, idleFlood(t, addr, "127.0.0."+strconv.Itoa(i), 1)...)
	}
	flooded := time.Since(start)
	sameOpen, allOpen := stillOpen(same), stillOpen(append(append(same, spread...), other...))
	if sameOpen > lim.PerSource {
		t.Errorf("%d connections from one address still open, over its %d", sameOpen, lim.PerSource)
	}
	held := d.srv.gate.unauthenticated()
	if held > lim.Full || held != allOpen {
		t.Errorf("%d unauthenticated connections held, %d open: want as many, at most %d", held, allOpen, lim.Full)
	}
	t.Logf("flood: 290 idle connections, 100 from 127.0.0.2, then in %s 100 from 127.0.0.1 and one each from 127.0.0.3-92; the server keeps %d open (%d from 127.0.0.1), refuses the rest",
		flooded.Round(time.Millisecond), held, sameOpen)

	// The flood's connections may make room once silent past the grace:
	// a timer of the server's, so the test waits it out.
	time.Sleep(silentGrace)
	for i := range 3 {
		getIn("client " + strconv.Itoa(i+1) + " from 127.0.0.1 during the flood")
	}
	t0 := time.Now()
	tm := newTerm(t, 100, 30, d.sshArgs(d.key, []string{"-tt"})...)
	tm.waitFor(10*time.Second, "INCIDENTS")
	t.Logf("the console on screen during the flood after %s; %d of the flood's connections still open",
		time.Since(t0).Round(time.Millisecond), stillOpen(append(append(same, spread...), other...)))
}
