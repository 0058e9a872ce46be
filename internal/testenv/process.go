package testenv

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// proc is one backend process with its temp dir and log file.
type proc struct {
	name    string
	label   string // in reports: "loki", or "loki@cache-tier"
	bin     string
	args    []string
	dir     string
	logPath string
	cmd     *exec.Cmd
	done    chan struct{}
	// stopping is set by stop: an exit without it is a backend that died
	// under a test, which the live report names with its log's tail.
	stopping atomic.Bool
	up       atomic.Bool // answered its readiness check
}

func (p *proc) start() error {
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(p.bin, p.args...)
	cmd.Dir = p.dir
	cmd.Stdout = logf
	cmd.Stderr = logf
	// The backend dies with the test binary even if Main never runs its cleanup.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start %s: %w", p.bin, err)
	}
	p.cmd = cmd
	p.done = make(chan struct{})
	p.stopping.Store(false)
	p.up.Store(false)
	go func() {
		err := cmd.Wait()
		logf.Close()
		if p.up.Load() && !p.stopping.Load() {
			tail := p.logTail(15)
			report("exited", p.label, fmt.Sprintf("exited while in use (%v); log tail: %s", err, tail))
			fmt.Fprintf(os.Stderr, "testenv: %s exited while in use (%v); log tail:\n%s\n", p.label, err, tail)
		}
		close(p.done)
	}()
	return nil
}

func (p *proc) running() bool {
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// stop sends SIGTERM, then SIGKILL after a grace period.
func (p *proc) stop() {
	if !p.running() {
		return
	}
	p.stopping.Store(true)
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// exitNote says, for a failure message, whether the backend's process
// has exited, with its log's tail: a backend that died mid-test reads as
// "connection refused" otherwise.
func (b *Backend) exitNote() string {
	if b == nil || b.proc == nil || b.proc.running() {
		return ""
	}
	return fmt.Sprintf("\n%s has exited; log tail:\n%s", b.proc.name, b.proc.logTail(30))
}

// revive starts the backend again, on the same ports and data, if its
// process has exited, and says so in the live report. It reports whether
// it did.
func (b *Backend) revive() (bool, error) {
	if b == nil || b.proc == nil || b.proc.running() || b.proc.cmd == nil {
		return false, nil
	}
	if err := b.proc.start(); err != nil {
		return false, err
	}
	if err := b.proc.waitReady(b.ready, 120*time.Second); err != nil {
		return false, err
	}
	report("restarted", b.proc.label, "started again after it exited")
	return true, nil
}

// againIfDied runs f, and once more if it failed because b's process had
// exited and b could be started again: a backend that crashed under the
// harness's own set-up must not fail a test of triage. The crash stays in
// the live report.
func againIfDied(b *Backend, f func() error) error {
	err := f()
	if err == nil {
		return nil
	}
	if ok, rerr := b.revive(); rerr != nil {
		return fmt.Errorf("%w%s; starting it again failed: %v", err, b.exitNote(), rerr)
	} else if ok {
		return f()
	}
	return fmt.Errorf("%w%s", err, b.exitNote())
}

// logTail returns the last lines of the process log, for failure messages.
func (p *proc) logTail(n int) string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// waitReady polls url until it answers 200 or the process dies or the
// deadline passes.
func (p *proc) waitReady(url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: 2 * time.Second}
	var last string
	for time.Now().Before(deadline) {
		if !p.running() {
			return fmt.Errorf("%s exited during start-up; log tail:\n%s", p.name, p.logTail(30))
		}
		resp, err := client.Get(url)
		if err == nil {
			var buf bytes.Buffer
			_, _ = buf.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				p.up.Store(true)
				return nil
			}
			last = fmt.Sprintf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(buf.String()))
		} else {
			last = err.Error()
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready after %s (last: %s); log tail:\n%s", p.name, timeout, last, p.logTail(30))
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func freePorts(n int) ([]int, error) {
	// Hold all listeners open together so the ports differ.
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func writeFile(dir, name, content string) (string, error) {
	path := filepath.Join(dir, name)
	return path, os.WriteFile(path, []byte(content), 0o644)
}

// poll calls f until it returns nil or the timeout passes.
func poll(ctx context.Context, timeout time.Duration, f func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var err error
	for {
		if err = f(ctx); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("gave up after %s: %w", timeout, err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// BuildTriage builds cmd/triage into dir (a temp dir of t's when "") and
// returns the binary's path.
func BuildTriage(t testing.TB, dir string) string {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	bin := filepath.Join(dir, "triage")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/triagectl/triage/cmd/triage").CombinedOutput()
	if err != nil {
		t.Fatalf("go build ./cmd/triage: %v\n%s", err, out)
	}
	return bin
}
