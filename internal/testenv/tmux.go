package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Tmux runs a terminal program in a detached tmux session of a fixed size
// on a private server, and reads its screen back with capture-pane: how
// the end-to-end tests drive the console as a person would.
type Tmux struct {
	t      testing.TB
	bin    string
	socket string
	name   string
}

// NewTmux starts argv under env in a w×h pane; the test is skipped when
// tmux is not installed (scripts/backends.sh installs it).
func NewTmux(t testing.TB, w, h int, env []string, argv ...string) *Tmux {
	t.Helper()
	bin := os.Getenv("TMUX_BIN")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("tmux"); err != nil {
			t.Skip("tmux not installed (scripts/backends.sh installs it from Debian's packages)")
		}
	}
	s := &Tmux{t: t, bin: bin, socket: fmt.Sprintf("triage-e2e-%d-%d", os.Getpid(), time.Now().UnixNano()), name: "e2e"}
	cmd := "env " + strings.Join(shellQuote(env), " ") + " " + strings.Join(shellQuote(argv), " ")
	s.run("-f", "/dev/null", "new-session", "-d", "-s", s.name, "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), cmd)
	s.run("set-option", "-t", s.name, "remain-on-exit", "on")
	t.Cleanup(func() { _ = exec.Command(s.bin, "-L", s.socket, "kill-server").Run() })
	return s
}

func shellQuote(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return out
}

func (s *Tmux) run(args ...string) string {
	s.t.Helper()
	out, err := exec.Command(s.bin, append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %v: %v: %s", args, err, out)
	}
	return string(out)
}

// Screen is the pane's text.
func (s *Tmux) Screen() string { return s.run("capture-pane", "-p", "-t", s.name) }

// Keys sends keys as tmux names them ("l", "Escape", "C-c").
func (s *Tmux) Keys(keys ...string) { s.run(append([]string{"send-keys", "-t", s.name}, keys...)...) }

// WaitFor polls the screen every 10 ms until every want is on it, and
// returns that screen; it fails the test after timeout.
func (s *Tmux) WaitFor(timeout time.Duration, want ...string) string {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		scr := s.Screen()
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
		time.Sleep(10 * time.Millisecond)
	}
}
