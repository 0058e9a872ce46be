package sshconsole

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	gossh "golang.org/x/crypto/ssh"

	"github.com/triagectl/triage/serve"
	"github.com/triagectl/triage/sources/alertmanager"
	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui/tuitest"
)

// seed posts the fixture's alerts to the daemon: the simulated incident
// (the newest firing), an older firing one, and a newer one that
// resolved. It returns the simulated incident's id once pre-warmed.
func seed(t testing.TB, d *daemon) string {
	t.Helper()
	fx := tuitest.Fixture(t)
	inc := fixtureIncidents(t)
	disk, latency := inc[1].Alert, inc[2].Alert
	d.webhook("firing", disk)
	d.webhook("firing", latency)
	d.webhook("resolved", latency)
	ids := d.webhook("firing", fx.Alert)
	if len(ids) != 1 {
		t.Fatalf("the webhook opened %v, want one incident", ids)
	}
	if in := d.waitPrewarm(ids[0]); in.PrewarmState != serve.PrewarmReady || in.Report == nil {
		t.Fatalf("pre-warm of %s: %s %s", ids[0], in.PrewarmState, in.PrewarmError)
	}
	return ids[0]
}

func TestSSHListOpensOnNewestFiring(t *testing.T) {
	d := startDaemon(t, Config{})
	seed(t, d)
	fx := tuitest.Fixture(t)
	tm := newTerm(t, 120, 40, d.sshArgs(d.key, []string{"-tt"})...)
	scr := tm.waitFor(10*time.Second, "INCIDENTS", "HighLatency", "DiskFilling")
	row := selectedRow(scr)
	if !containsAll(row, fx.Alert.Name, "firing", "✓ ready") {
		t.Fatalf("selected row %q, want the newest firing incident %s, pre-warmed\n%s", row, fx.Alert.Name, scr)
	}
	if !strings.Contains(lineWith(scr, "HighLatency"), "resolved") || strings.Index(scr, "HighLatency") < strings.Index(scr, "DiskFilling") {
		t.Errorf("the resolved incident is not listed, as resolved, after the firing ones\n%s", scr)
	}
	if !strings.Contains(scr, "alert pipeline") {
		t.Errorf("the header lacks the daemon's pipeline heartbeat\n%s", scr)
	}
	// The window follows the client's: narrow, the list drops columns.
	if !strings.Contains(scr, "summary") {
		t.Fatalf("the wide list has no summary column\n%s", scr)
	}
	tm.run("resize-window", "-t", "e2e", "-x", "80", "-y", "24")
	narrow := tm.waitUntil(5*time.Second, "the narrow layout", func(s string) bool {
		return strings.Contains(s, "INCIDENTS") && !strings.Contains(s, "summary")
	})
	if !strings.Contains(selectedRow(narrow), fx.Alert.Name) {
		t.Errorf("the selection moved on resize\n%s", narrow)
	}
	tm.keys("Enter")
	tm.waitFor(5*time.Second, "Incidents › "+fx.Alert.Name, culpritLine(t))
	tm.keys("Escape")
	tm.waitFor(5*time.Second, "INCIDENTS")
	tm.keys("q")
	if code := tm.waitExit(5 * time.Second); code != 0 {
		t.Errorf("q at the list exited %d, want 0", code)
	}
	waitCount(t, d, "ok", 1)
	waitGauge(t, d, 0)
}

// TestSSHOpensIncidentDirectly: `ssh -t host <incident-id>` opens that
// incident's verdict over the incident list. How long it takes is measured
// by BenchmarkSSHOpenIncident.
func TestSSHOpensIncidentDirectly(t *testing.T) {
	d := startDaemon(t, Config{})
	id := seed(t, d)
	fx := tuitest.Fixture(t)
	tm := newTerm(t, 120, 40, d.sshArgs(d.key, []string{"-tt"}, id)...)
	scr := tm.waitFor(10*time.Second, culpritLine(t))
	if !strings.Contains(scr, "Incidents › "+fx.Alert.Name) {
		t.Fatalf("the verdict is not opened over the incident list\n%s", scr)
	}
	tm.keys("C-c")
	tm.waitExit(5 * time.Second)

	out, code := d.runSSH(d.key, []string{"-tt"}, "no-such-incident")
	if code != 1 || !strings.Contains(out, `no incident "no-such-incident"`) {
		t.Errorf("unknown incident: exit %d, output %q", code, out)
	}
	out, code = d.runSSH(d.key, []string{"-tt"}, "one", "two")
	if code != 1 || !strings.Contains(out, "usage: ssh -t HOST -p PORT [incident-id]") {
		t.Errorf("two arguments: exit %d, output %q", code, out)
	}
}

func TestSSHUpdatesLive(t *testing.T) {
	d := startDaemon(t, Config{})
	fx := tuitest.Fixture(t)
	tm := newTerm(t, 120, 40, d.sshArgs(d.key, []string{"-tt"})...)
	tm.waitFor(10*time.Second, "INCIDENTS", "no alert is firing")
	// The alert arrives while the session is open: no key is pressed,
	// the list shows it, then its pre-warm finishing.
	d.webhook("firing", fx.Alert)
	tm.waitFor(30*time.Second, fx.Alert.Name)
	scr := tm.waitFor(60*time.Second, "✓ ready")
	if row := selectedRow(scr); !containsAll(row, fx.Alert.Name, "✓ ready") {
		t.Errorf("selected row %q, want the new incident, ready\n%s", row, scr)
	}
	tm.keys("Enter")
	tm.waitFor(5*time.Second, culpritLine(t))
}

// TestSSHVerdictFollowsPrewarm opens an incident whose pre-warm is still
// running: the session investigates on its own, then swaps in the
// daemon's report the moment the pre-warm finishes.
func TestSSHVerdictFollowsPrewarm(t *testing.T) {
	fx := tuitest.Fixture(t)
	srcs := fx.Sources()
	gate := make(chan struct{})
	srcs.Traces = gatedTraces{TracesSource: srcs.Traces, open: gate}
	d := startDaemonOn(t, Config{}, srcs)
	t.Cleanup(func() {
		select {
		case <-gate:
		default:
			close(gate)
		}
	})
	ids := d.webhook("firing", fx.Alert)
	list := newTerm(t, 120, 40, d.sshArgs(d.key, []string{"-tt"})...)
	if row := selectedRow(list.waitFor(10*time.Second, fx.Alert.Name, "running")); !strings.Contains(row, "running") {
		t.Fatalf("selected row %q, want the pre-warm running", row)
	}
	verdict := newTerm(t, 120, 40, d.sshArgs(d.key, []string{"-tt"}, ids[0])...)
	verdict.waitFor(10*time.Second, "Incidents › "+fx.Alert.Name, culpritLine(t))
	if scr := verdict.screen(); strings.Contains(scr, "pre-warmed report updated") {
		t.Fatalf("a report was swapped in before the pre-warm finished\n%s", scr)
	}
	close(gate)
	verdict.waitFor(30*time.Second, "pre-warmed report updated", culpritLine(t))
	list.waitFor(30*time.Second, "✓ ready")
}

// TestSSHRechecksKeyPerSession revokes the key while a multiplexed
// connection stays authenticated: the next session on it is refused by
// the middleware, not the handshake.
func TestSSHNeutralisesEscapesInAlerts(t *testing.T) {
	d := startDaemon(t, Config{})
	evil := fixtureIncidents(t)[3].Alert
	ids := d.webhook("firing", evil)
	d.waitPrewarm(ids[0])
	raw := filepath.Join(t.TempDir(), "raw")
	// tee keeps every byte the server sent, styling included.
	argv := []string{"sh", "-c", shellJoin(d.sshArgs(d.key, []string{"-tt"})) + " | tee " + shellJoin([]string{raw})}
	tm := newTerm(t, 120, 40, argv...)
	tm.waitFor(10*time.Second, "INCIDENTS", "Evil")
	tm.keys("Enter")
	tm.waitFor(10*time.Second, "Incidents › Evil")
	tm.keys("s")
	tm.waitFor(5*time.Second, "SILENCE")
	tm.keys("Escape")
	tm.waitFor(5*time.Second, "silence cancelled")
	if got := tm.title(); got != "triage" {
		t.Errorf("pane title %q, want the console's own \"triage\"", got)
	}
	tm.keys("C-c")
	tm.waitExit(5 * time.Second)
	b, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	// The sanitiser shows the bytes as text (\x1b…); the bytes themselves
	// must not arrive.
	if !strings.Contains(string(b), `Evil\x1b]0;pwned\x07Name`) {
		t.Errorf("the alert name is not shown with its escapes made visible")
	}
	for _, bad := range []string{injOSC52, injTitle, "\x1b[2J\x1b[Hments", injC1, "\u202e", "\x07Name"} {
		if i := strings.Index(string(b), bad); i >= 0 {
			t.Errorf("the stream carries %q from the alert: %q", bad, b[max(0, i-200):min(len(b), i+50)])
		}
	}
	if bufs := strings.TrimSpace(tm.run("list-buffers")); bufs != "" {
		t.Errorf("an OSC 52 reached the clipboard: %s", bufs)
	}
}

func TestSSHNoColorForcesMono(t *testing.T) {
	d := startDaemon(t, Config{})
	seed(t, d)
	colour := regexp.MustCompile(`\x1b\[([0-9;]*)m`)
	coloured := func(s string) bool {
		for _, m := range colour.FindAllStringSubmatch(s, -1) {
			for _, p := range strings.Split(m[1], ";") {
				if p == "38" || p == "48" || len(p) == 2 && (p[0] == '3' || p[0] == '4' || p[0] == '9') && p[1] <= '7' {
					return true
				}
			}
		}
		return false
	}
	for _, tc := range []struct {
		name   string
		extra  []string
		colour bool
	}{
		{"default theme", nil, true},
		{"NO_COLOR", []string{"-o", "SetEnv=NO_COLOR=1"}, false},
	} {
		tm := newTerm(t, 120, 40, d.sshArgs(d.key, append([]string{"-tt"}, tc.extra...))...)
		tm.waitFor(10*time.Second, "INCIDENTS", "✓ ready")
		if got := coloured(tm.styledScreen()); got != tc.colour {
			t.Errorf("%s: coloured %v, want %v", tc.name, got, tc.colour)
		}
		if !strings.Contains(selectedRow(tm.screen()), "▸") {
			t.Errorf("%s: the selection has no marker besides colour", tc.name)
		}
		tm.keys("C-c")
		tm.waitExit(5 * time.Second)
	}
}

func TestSSHSilenceFromTheConsole(t *testing.T) {
	d := startDaemon(t, Config{})
	seed(t, d)
	fx := tuitest.Fixture(t)
	tm := newTerm(t, 120, 40, d.sshArgs(d.key, []string{"-tt"})...)
	tm.waitFor(10*time.Second, "INCIDENTS", "✓ ready")
	tm.keys("Enter")
	tm.waitFor(5*time.Second, culpritLine(t))
	tm.keys("s")
	// The duration starts empty, 2h its placeholder.
	tm.waitFor(5*time.Second, "SILENCE", "for: ", "2h")
	tm.keys("4", "5", "m", "Enter")
	tm.waitFor(5*time.Second, "comment:")
	tm.keys("Enter")
	tm.waitFor(5*time.Second, "silence for 45m")
	tm.keys("y")
	scr := tm.waitFor(5*time.Second, "silenced · id")
	created := d.am.Created()
	if len(created) != 1 {
		t.Fatalf("silences created: %d, want 1", len(created))
	}
	s := created[0]
	if !strings.Contains(scr, s.ID) {
		t.Errorf("the silence id %s is not shown\n%s", s.ID, scr)
	}
	if got := s.EndsAt.Sub(s.StartsAt); got != 45*time.Minute {
		t.Errorf("silence lasts %s, want 45m", got)
	}
	pub, _ := os.ReadFile(d.key + ".pub")
	fp := keyFingerprint(t, pub)
	if !strings.Contains(s.CreatedBy, "via triage ssh ("+fp+")") {
		t.Errorf("createdBy %q, want the session's key %s", s.CreatedBy, fp)
	}
	if !matchesAlert(s.Matchers, fx.Alert) {
		t.Errorf("matchers %+v do not select the alert %v", s.Matchers, fx.Alert.Labels)
	}
}

// culpritLine is the verdict's culprit as the impact block writes it:
// where the error began and the peer it called.
func culpritLine(t testing.TB) string {
	t.Helper()
	r := tuitest.Fixture(t).Report
	name := culpritText(t)
	for _, tr := range r.Traces {
		if o := tr.ErrorOrigin; tr.Failing && o != nil && (o.Service == name || o.Peer == name) {
			if o.Peer != "" {
				return "culprit: " + o.Service + " → " + o.Peer
			}
			return "culprit: " + o.Service
		}
	}
	return "culprit: " + name
}

// waitCount polls the daemon's session counter for result until it is
// want.
func waitCount(t *testing.T, d *daemon, result string, want float64) {
	t.Helper()
	waitValue(t, "sessions "+result, want, func() float64 {
		return testutil.ToFloat64(d.svc.SSHMetrics().SessionsTotal.WithLabelValues(result))
	})
}

func waitGauge(t *testing.T, d *daemon, want float64) {
	t.Helper()
	waitValue(t, "open sessions", want, func() float64 { return testutil.ToFloat64(d.svc.SSHMetrics().Sessions) })
}

func waitValue(t *testing.T, what string, want float64, get func() float64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for get() != want {
		if time.Now().After(deadline) {
			t.Errorf("%s: %v, want %v", what, get(), want)
			return
		}
		time.Sleep(5 * time.Millisecond) // the server counts on its own goroutine; bounded by the deadline
	}
}

func lineWith(scr, s string) string {
	for _, l := range strings.Split(scr, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

func keyFingerprint(t *testing.T, pub []byte) string {
	t.Helper()
	k, _, _, _, err := gossh.ParseAuthorizedKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return Fingerprint(k)
}

func matchesAlert(ms []alertmanager.Matcher, a triage.Alert) bool {
	for _, m := range ms {
		if a.Labels[m.Name] != m.Value || m.IsRegex || !m.IsEqual {
			return false
		}
	}
	return len(ms) > 0
}

// BenchmarkSSHOpenIncident measures what the on-call engineer waits for:
// from starting `ssh -t host <incident-id>` to the culprit on screen
// (target 300 ms).
func BenchmarkSSHOpenIncident(b *testing.B) {
	d := startDaemon(b, Config{})
	id := seed(b, d)
	want := culpritLine(b)
	for b.Loop() {
		tm := newTerm(b, 120, 40, d.sshArgs(d.key, []string{"-tt"}, id)...)
		tm.waitFor(10*time.Second, want)
		b.StopTimer()
		tm.keys("C-c")
		tm.waitExit(5 * time.Second)
		b.StartTimer()
	}
}
