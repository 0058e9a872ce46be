package sshconsole

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/triagectl/triage/serve"
	"github.com/triagectl/triage/sources/adapter"
	"github.com/triagectl/triage/sources/alertmanager"
	"github.com/triagectl/triage/themes"
	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/console"
	"github.com/triagectl/triage/tui/tuitest"
)

// The end-to-end tests drive the real OpenSSH client, in tmux, against
// the server on the real daemon (serve.Service) fed through its webhook.

func requireTools(t testing.TB) {
	t.Helper()
	for _, b := range []string{"ssh", "ssh-keygen", tmuxBin()} {
		if _, err := exec.LookPath(b); err != nil {
			t.Skipf("%s not installed (Debian's openssh-client and tmux packages)", b)
		}
	}
}

// tmuxBin is the tmux that scripts/backends.sh found, else the one on PATH.
func tmuxBin() string {
	if b := os.Getenv("TMUX_BIN"); b != "" {
		return b
	}
	return "tmux"
}

// daemon is `triage serve` as the tests run it: the daemon, its SSH
// server on a free loopback port, and a client key it accepts.
type daemon struct {
	t        testing.TB
	svc      *serve.Service
	srv      *Server
	am       *alertmanager.Fake
	dir      string
	key      string // the accepted client key
	hostKey  string
	authKeys string
	port     string
	stop     func() error
	// console, when set, changes the sessions' console options before the
	// SSH server is built (a clock, a verdict age).
	console func(*console.Options)
}

func newKey(t testing.TB, dir, name string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name+"@triage-test", "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	return path
}

// startDaemon runs the daemon on the simulated incident's sources and an
// SSH server in front of it.
func startDaemon(t testing.TB, cfg Config) *daemon {
	t.Helper()
	return startDaemonOn(t, cfg, tuitest.Fixture(t).Sources())
}

// startDaemonOn is startDaemon with the daemon's pre-warms on srcs (the
// sessions' own drill-downs stay on the simulated incident).
func startDaemonOn(t testing.TB, cfg Config, srcs triage.Sources) *daemon {
	t.Helper()
	requireTools(t)
	fx := tuitest.Fixture(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	svc, err := serve.New(ctx, serve.Config{StorePath: filepath.Join(dir, "incidents.db")},
		serve.Deps{Sources: srcs, Options: fx.Options})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	ran := make(chan struct{})
	go func() { _ = svc.Run(ctx); close(ran) }()
	d := &daemon{t: t, svc: svc, am: alertmanager.NewFake(), dir: dir,
		key: newKey(t, dir, "oncall"), hostKey: filepath.Join(dir, "state", "ssh_host_ed25519"),
		authKeys: filepath.Join(dir, "authorized_keys")}
	pub, err := os.ReadFile(d.key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(d.authKeys, pub, 0o600); err != nil {
		t.Fatal(err)
	}
	d.listen(cfg, "127.0.0.1:0")
	t.Cleanup(func() {
		if err := d.stop(); err != nil {
			t.Errorf("ssh server: %v", err)
		}
		cancel()
		select {
		case <-ran:
		case <-time.After(10 * time.Second):
			t.Error("the daemon did not stop")
		}
		_ = svc.Close()
	})
	return d
}

// listen starts an SSH server on addr; stop shuts it down gracefully.
func (d *daemon) listen(cfg Config, addr string) {
	t := d.t
	t.Helper()
	fx := tuitest.Fixture(t)
	cfg.HostKey, cfg.AuthorizedKeys = d.hostKey, d.authKeys
	o := console.Options{Theme: themes.Dark(), Data: tui.Data{Sources: fx.Sources(), Options: fx.Options},
		Now: func() time.Time { return tuitest.Now }}
	if d.console != nil {
		d.console(&o)
	}
	srv, err := New(cfg, Deps{
		Store:     d.svc,
		Console:   o,
		AlertsFor: func(author string) tui.AlertSource { return adapter.Alerts{C: d.am, CreatedBy: author} },
		Metrics:   d.svc.SSHMetrics(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	_, d.port, _ = net.SplitHostPort(ln.Addr().String())
	d.srv = srv
	var stopped atomic.Bool
	d.stop = func() error {
		if stopped.Swap(true) {
			return nil
		}
		cancel()
		select {
		case err := <-served:
			return err
		case <-time.After(15 * time.Second):
			return fmt.Errorf("Serve did not return after its context ended")
		}
	}
}

// sshArgs is the OpenSSH command line for key, with extra options, asking
// for remote (the incident id, when given).
func (d *daemon) sshArgs(key string, extra []string, remote ...string) []string {
	args := []string{"ssh", "-F", "/dev/null", "-p", d.port, "-i", key,
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes",
		"-o", "BatchMode=yes", "-o", "LogLevel=ERROR"}
	args = append(args, extra...)
	return append(append(args, "127.0.0.1"), remote...)
}

// runSSH runs the client without a terminal, bounded in time.
func (d *daemon) runSSH(key string, extra []string, remote ...string) (string, int) {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	args := d.sshArgs(key, extra, remote...)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		d.t.Fatalf("ssh %v did not end: %s", args, out)
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		d.t.Fatal(err)
	}
	return string(out), code
}

// webhook posts alerts to the daemon's receiver, one group per alert,
// and returns the incidents opened.
func (d *daemon) webhook(status string, alerts ...triage.Alert) []string {
	d.t.Helper()
	var created []string
	for _, a := range alerts {
		wa := map[string]any{"status": status, "labels": a.Labels, "annotations": a.Annotations,
			"startsAt": a.StartsAt, "endsAt": time.Time{}, "fingerprint": a.Fingerprint, "generatorURL": ""}
		if status == "resolved" {
			wa["endsAt"] = a.StartsAt.Add(3 * time.Minute)
		}
		body, err := json.Marshal(map[string]any{"version": "4", "receiver": "triage", "status": status,
			"alerts": []any{wa}, "groupLabels": map[string]string{"alertname": a.Name},
			"commonLabels": a.Labels, "commonAnnotations": a.Annotations, "externalURL": "http://alertmanager.test",
			"groupKey": fmt.Sprintf("{}:{alertname=%q}", a.Name), "truncatedAlerts": 0})
		if err != nil {
			d.t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		d.svc.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/alerts", strings.NewReader(string(body))))
		if rec.Code != http.StatusOK {
			d.t.Fatalf("webhook: %d %s", rec.Code, rec.Body)
		}
		var res serve.WebhookResponse
		if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
			d.t.Fatal(err)
		}
		created = append(created, res.Created...)
	}
	return created
}

// waitPrewarm polls the daemon until the incident's pre-warm ended.
func (d *daemon) waitPrewarm(id string) serve.Incident {
	d.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		in, err := d.svc.Incident(context.Background(), id)
		if err == nil && (in.PrewarmState == serve.PrewarmReady || in.PrewarmState == serve.PrewarmFailed) {
			return in
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("incident %s: pre-warm did not end (%v, %v)", id, in.PrewarmState, err)
		}
		time.Sleep(10 * time.Millisecond) // polling the real daemon, bounded by the deadline
	}
}

// gatedTraces holds every trace search until open is closed: a slow
// Tempo, so a pre-warm can be caught running.
type gatedTraces struct {
	triage.TracesSource
	open chan struct{}
}

func (g gatedTraces) Search(ctx context.Context, q triage.TraceSearch) (triage.TraceHits, error) {
	select {
	case <-g.open:
	case <-ctx.Done():
		return triage.TraceHits{}, ctx.Err()
	}
	return g.TracesSource.Search(ctx, q)
}

// term is a terminal: a detached tmux session on a private server.
type term struct {
	t      testing.TB
	socket string
}

var termSeq atomic.Int64

func newTerm(t testing.TB, w, h int, argv ...string) *term {
	t.Helper()
	conf := filepath.Join(t.TempDir(), "tmux.conf")
	// set-clipboard lets an OSC 52 reach tmux's buffers, so a leaked one
	// would show.
	if err := os.WriteFile(conf, []byte("set -g set-clipboard on\nset -g history-limit 100\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tm := &term{t: t, socket: fmt.Sprintf("triage-ssh-%d-%d", os.Getpid(), termSeq.Add(1))}
	// The shell stays after the client: tmux may drop a dead pane's last
	// output, and the client's last words are what some tests read.
	tm.run("-f", conf, "new-session", "-d", "-s", "e2e", "-x", fmt.Sprint(w), "-y", fmt.Sprint(h),
		"env TERM=xterm-256color "+shellJoin(argv)+`; echo "[exited $?]"; exec cat`)
	t.Cleanup(func() { _ = exec.Command(tmuxBin(), "-L", tm.socket, "kill-server").Run() })
	return tm
}

func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(out, " ")
}

func (tm *term) run(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command(tmuxBin(), append([]string{"-L", tm.socket}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %v: %v: %s", args, err, out)
	}
	return string(out)
}

func (tm *term) screen() string       { return tm.run("capture-pane", "-p", "-t", "e2e") }
func (tm *term) styledScreen() string { return tm.run("capture-pane", "-p", "-e", "-t", "e2e") }
func (tm *term) keys(keys ...string)  { tm.run(append([]string{"send-keys", "-t", "e2e"}, keys...)...) }
func (tm *term) title() string {
	return strings.TrimSpace(tm.run("display-message", "-p", "-t", "e2e", "#{pane_title}"))
}

var exitLine = regexp.MustCompile(`\[exited (\d+)\]`)

// exited reports whether the client ended, and its exit status.
func (tm *term) exited() (bool, int) {
	m := exitLine.FindStringSubmatch(tm.screen())
	if m == nil {
		return false, 0
	}
	status, _ := strconv.Atoi(m[1])
	return true, status
}

// waitFor polls the screen every 10 ms until every want is on it.
func (tm *term) waitFor(timeout time.Duration, want ...string) string {
	tm.t.Helper()
	return tm.waitUntil(timeout, fmt.Sprintf("%q", want), func(s string) bool { return containsAll(s, want...) })
}

// waitUntil polls the screen every 10 ms until ok holds.
func (tm *term) waitUntil(timeout time.Duration, what string, ok func(string) bool) string {
	tm.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		scr := tm.screen()
		if ok(scr) {
			return scr
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("after %s the screen still lacks %s:\n%s", timeout, what, scr)
		}
		time.Sleep(10 * time.Millisecond) // polling the real terminal, bounded by the deadline
	}
}

// waitExit polls until the client ended and returns its status.
func (tm *term) waitExit(timeout time.Duration) int {
	tm.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if dead, status := tm.exited(); dead {
			return status
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("the client did not exit within %s:\n%s", timeout, tm.screen())
		}
		time.Sleep(10 * time.Millisecond) // polling the real terminal, bounded by the deadline
	}
}

func containsAll(s string, want ...string) bool {
	for _, w := range want {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}
