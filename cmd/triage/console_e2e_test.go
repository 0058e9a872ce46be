package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/triagectl/triage/internal/testenv"
)

// tmuxSession runs the built console in a detached tmux session of a fixed
// size on a private server, and reads the screen back with capture-pane.
type tmuxSession struct {
	t      *testing.T
	bin    string
	socket string
	name   string
}

func newTmux(t *testing.T, w, h int, env []string, argv ...string) *tmuxSession {
	t.Helper()
	bin := os.Getenv("TMUX_BIN")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("tmux"); err != nil {
			t.Skip("tmux not installed (scripts/backends.sh installs it from Debian's packages)")
		}
	}
	s := &tmuxSession{t: t, bin: bin, socket: fmt.Sprintf("triage-e2e-%d-%d", os.Getpid(), time.Now().UnixNano()), name: "e2e"}
	cmd := "env " + strings.Join(quoteAll(env), " ") + " " + strings.Join(quoteAll(argv), " ")
	s.run("-f", "/dev/null", "new-session", "-d", "-s", s.name, "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), cmd)
	s.run("set-option", "-t", s.name, "remain-on-exit", "on")
	t.Cleanup(func() { _ = exec.Command(s.bin, "-L", s.socket, "kill-server").Run() })
	return s
}

func quoteAll(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return out
}

func (s *tmuxSession) run(args ...string) string {
	s.t.Helper()
	out, err := exec.Command(s.bin, append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %v: %v: %s", args, err, out)
	}
	return string(out)
}

func (s *tmuxSession) screen() string { return s.run("capture-pane", "-p", "-t", s.name) }

func (s *tmuxSession) keys(keys ...string) {
	s.run(append([]string{"send-keys", "-t", s.name}, keys...)...)
}

// waitFor polls the screen until every want is on it.
func (s *tmuxSession) waitFor(timeout time.Duration, want ...string) string {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	var scr string
	for {
		scr = s.screen()
		missing := ""
		for _, w := range want {
			if !strings.Contains(scr, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return scr
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("screen never showed %q within %s:\n%s", missing, timeout, scr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// buildTriage builds this command once per test binary.
func buildTriage(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "triage")
	cmd := exec.Command("go", "build", "-o", out, ".")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return out
}

// The built console against the live backends and the simulator, driven
// in tmux as a person would: the verdict names the right culprit, `l`
// reaches the logs of the culprit's first failing trace, and with Loki
// stopped the logs section reads unknown with the reason.
func TestConsoleEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the built binary against the live backends")
	}
	si := testenv.Incident(t)
	if si.Tempo == nil {
		t.Skip("tempo not live (no tempo binary or TEMPO_URL): without traces the verdict has no culprit to check")
	}
	bin := buildTriage(t)
	alert := map[string]any{
		"labels":      map[string]string{"alertname": si.Truth.AlertName, "service": si.Truth.AlertService, "severity": "critical"},
		"annotations": map[string]string{"summary": "error ratio above 5%\x1b]52;c;ZXZpbA==\x07 on " + si.Truth.AlertService},
		"startsAt":    si.Truth.IncidentStart.Add(2 * time.Minute).Format(time.RFC3339),
		"fingerprint": "e2e0000000000001",
	}
	body, _ := json.Marshal(alert)
	alertFile := filepath.Join(t.TempDir(), "alert.json")
	if err := os.WriteFile(alertFile, body, 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"TERM=xterm-256color", "XDG_CONFIG_HOME=" + t.TempDir(), "HOME=" + t.TempDir()}
	argv := []string{bin, "open", "--alert-file", alertFile, "--lookback", "30m",
		"--prometheus-url", si.Prometheus.URL, "--loki-url", si.Loki.URL, "--tempo-url", si.Tempo.URL}

	t.Run("verdict and logs", func(t *testing.T) {
		s := newTmux(t, 100, 30, env, argv...)
		scr := s.waitFor(90*time.Second, "culprit", si.Truth.Culprit, "SERVICES")
		t.Logf("verdict:\n%s", scr)
		if strings.Contains(scr, "\x1b") {
			t.Error("a raw escape reached the screen")
		}
		s.keys("l")
		scr = s.waitFor(30*time.Second, "logs", "LOGS trace", "error")
		t.Logf("logs:\n%s", scr)
		s.keys("Escape")
		s.waitFor(10*time.Second, "SERVICES")
		s.keys("q")
	})

	t.Run("loki stopped", func(t *testing.T) {
		si.Loki.Stop()
		defer si.Loki.Start(t)
		s := newTmux(t, 100, 30, env, argv...)
		scr := s.waitFor(90*time.Second, "unknown — loki:", "culprit")
		t.Logf("verdict with loki stopped:\n%s", scr)
		if !strings.Contains(scr, "connection refused") && !strings.Contains(scr, "unreachable") {
			t.Errorf("the unknown logs section gives no reason:\n%s", scr)
		}
		s.keys("C-c")
	})
}
