package console

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/triagectl/triage/internal/testenv"
	"github.com/triagectl/triage/sources/alertmanager"
)

// buildTriage builds the triage command for the flows below.
func buildTriage(t *testing.T) string { return testenv.BuildTriage(t, "") }

func tmuxEnv(t *testing.T) []string {
	return []string{"TERM=xterm-256color", "XDG_CONFIG_HOME=" + t.TempDir(), "HOME=" + t.TempDir(), "XDG_STATE_HOME=" + t.TempDir()}
}

// The built console at 80×24 in tmux, on the embedded demo: `:trace <id>`
// reaches the trace's waterfall, and `c` on a trace of the list shows its
// comparison with a healthy trace of its route.
func TestDemoFlowsInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the built binary in tmux")
	}
	bin := buildTriage(t)
	const id = "86d249a27b96028cc0f6aa203c46194d" // the demo's first failing trace

	t.Run(":trace reaches the waterfall", func(t *testing.T) {
		s := testenv.NewTmux(t, 80, 24, tmuxEnv(t), bin, "demo")
		s.WaitFor(30*time.Second, "SERVICES", "culprit")
		s.Keys(":")
		s.WaitFor(5*time.Second, "tab completes")
		s.Keys("-l", "trace "+id)
		s.WaitFor(5*time.Second, "enter opens trace "+id)
		s.Keys("Enter")
		scr := s.WaitFor(10*time.Second, "TRACE 86d249a2", "SELECT accounts", "c compare")
		t.Logf("waterfall:\n%s", scr)
		s.Keys("Escape")
		s.WaitFor(5*time.Second, "SERVICES")
		time.Sleep(50 * time.Millisecond) // esc and t apart: together they read as alt+t
		s.Keys("t")
		scr = s.WaitFor(10*time.Second, "TRACES", "• 1 opened")
		if !strings.Contains(scr, "✖•") {
			t.Errorf("the opened trace is not marked in the list:\n%s", scr)
		}
		s.Keys("q")
	})

	t.Run("c shows the comparison", func(t *testing.T) {
		s := testenv.NewTmux(t, 80, 24, tmuxEnv(t), bin, "demo")
		s.WaitFor(30*time.Second, "SERVICES", "culprit")
		s.Keys("t")
		s.WaitFor(10*time.Second, "TRACES", "storefront POST /checkout")
		s.Keys("c")
		scr := s.WaitFor(20*time.Second, "COMPARE ✖ 86d249a2", "with    ✓", "healthy", "SELECT accounts", "+2.00s", "healthy only")
		t.Logf("comparison:\n%s", scr)
		s.Keys("t")
		s.WaitFor(10*time.Second, "TRACE ", "› trace ")
		s.Keys("q")
	})
}

// `s` on a live alert: enter at every step takes the defaults, and the
// confirmation's default is No, so nothing reaches Alertmanager; y
// silences.
func TestSilenceCancelledInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the built binary in tmux")
	}
	am := testenv.Alertmanager(t)
	bin := buildTriage(t)
	alert := map[string]any{
		"labels":      map[string]string{"alertname": "HighErrorRate", "service": "storefront", "severity": "critical", "test": "tmux-silence"},
		"annotations": map[string]string{"summary": "error ratio above 5% on storefront"},
		"startsAt":    time.Now().Add(-5 * time.Minute).UTC().Format(time.RFC3339),
		"fingerprint": "e2e00000000000aa",
	}
	body, _ := json.Marshal(alert)
	file := filepath.Join(t.TempDir(), "alert.json")
	if err := os.WriteFile(file, body, 0o644); err != nil {
		t.Fatal(err)
	}
	client, err := alertmanager.New(am.Config())
	if err != nil {
		t.Fatal(err)
	}
	silences := func() int {
		list, err := client.Silences(context.Background(), alertmanager.SilencesFilter{Filter: []string{`test="tmux-silence"`}})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, s := range list {
			if s.Status.State != "expired" {
				n++
			}
		}
		return n
	}

	s := testenv.NewTmux(t, 80, 24, tmuxEnv(t), bin, "open", "--alert-file", file, "--alertmanager-url", am.URL)
	s.WaitFor(30*time.Second, "HighErrorRate", "SERVICES")
	s.Keys("s")
	s.WaitFor(5*time.Second, "SILENCE")
	s.Keys("Enter")
	s.WaitFor(5*time.Second, "comment")
	s.Keys("Enter")
	scr := s.WaitFor(5*time.Second, "▸ No")
	t.Logf("confirmation:\n%s", scr)
	s.Keys("Enter")
	s.WaitFor(5*time.Second, "silence cancelled: No was selected")
	if n := silences(); n != 0 {
		t.Fatalf("enter on the default posted %d silence(s)", n)
	}

	// The same steps with y do silence: the check above can fail.
	s.Keys("s")
	s.WaitFor(5*time.Second, "SILENCE")
	s.Keys("Enter")
	s.WaitFor(5*time.Second, "comment")
	s.Keys("Enter")
	s.WaitFor(5*time.Second, "▸ No")
	s.Keys("y")
	s.WaitFor(10*time.Second, "silenced · id")
	if n := silences(); n != 1 {
		t.Errorf("y posted %d silence(s), want 1", n)
	}
	s.Keys("q")
}
