package sshconsole

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// serveBinary is `triage serve`, built, running on a config file.
type serveBinary struct {
	cmd  *exec.Cmd
	done chan struct{}
	mu   sync.Mutex
	log  strings.Builder
}

func (b *serveBinary) output() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.log.String()
}

// startServeBinary builds cmd/triage and runs `triage serve` on config,
// with nothing of the test's environment but PATH; it returns the SSH
// console's port.
func startServeBinary(t *testing.T, dir, config string) (*serveBinary, string) {
	t.Helper()
	bin := filepath.Join(dir, "triage")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/triagectl/triage/cmd/triage").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	b := &serveBinary{cmd: exec.Command(bin, "serve", "--config", cfg), done: make(chan struct{})}
	b.cmd.Env = []string{"HOME=" + dir, "XDG_CONFIG_HOME=" + filepath.Join(dir, "xdg"), "PATH=" + os.Getenv("PATH")}
	b.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // dies with the test
	stderr, err := b.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			b.mu.Lock()
			b.log.WriteString(line + "\n")
			b.mu.Unlock()
			if rest, ok := strings.CutPrefix(line, "triage serve: ssh console on "); ok {
				addr, _, _ := strings.Cut(rest, ",")
				_, p, _ := net.SplitHostPort(addr)
				port <- p
			}
		}
	}()
	go func() { _ = b.cmd.Wait(); close(b.done) }()
	t.Cleanup(func() {
		_ = b.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-b.done:
		case <-time.After(20 * time.Second):
			_ = b.cmd.Process.Kill()
			t.Errorf("triage serve did not stop on SIGTERM:\n%s", b.output())
		}
	})
	select {
	case p := <-port:
		return b, p
	case <-b.done:
		t.Fatalf("triage serve exited at start:\n%s", b.output())
	case <-time.After(30 * time.Second):
		t.Fatalf("triage serve never listened:\n%s", b.output())
	}
	return nil, ""
}

// The built daemon takes serve.ssh_idle_timeout and serve.ssh_max_sessions
// from its config file: a second session is turned away at a cap of one,
// and a real ssh session left idle past a second is closed, told why.
func TestServeIdleTimeoutAndSessionCapFromConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs triage serve")
	}
	requireTools(t)
	dir := t.TempDir()
	key := newKey(t, dir, "oncall")
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600); err != nil {
		t.Fatal(err)
	}
	srv, port := startServeBinary(t, dir, fmt.Sprintf(`serve:
  webhook_listen: 127.0.0.1:0
  ssh_listen: 127.0.0.1:0
  ssh_host_key: %[1]s/host_key
  authorized_keys: %[1]s/authorized_keys
  store: %[1]s/incidents.db
  ssh_idle_timeout: 1s
  ssh_max_sessions: 1
log:
  file: %[1]s/debug.log
`, dir))
	d := &daemon{t: t, port: port}
	tm := newTerm(t, 100, 30, d.sshArgs(key, []string{"-tt"})...)
	tm.waitFor(10*time.Second, "INCIDENTS")
	shown := time.Now()
	out, code := d.runSSH(key, []string{"-tt"})
	if code != 1 || !strings.Contains(out, "too many open sessions (the limit is 1)") {
		t.Errorf("second session at serve.ssh_max_sessions 1: exit %d, %q", code, out)
	}
	tm.waitExit(5 * time.Second)
	t.Logf("the idle session closed %s after its first frame", time.Since(shown).Round(time.Millisecond))
	if scr := tm.screen(); !strings.Contains(scr, "triage: closed after 1s without input") {
		t.Errorf("the client was not told why:\n%s\ndaemon:\n%s", scr, srv.output())
	}
}
