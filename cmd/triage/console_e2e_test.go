package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/triagectl/triage/internal/testenv"
)

// buildTriage builds this command once per test binary.
func buildTriage(t *testing.T) string { return testenv.BuildTriage(t, "") }

// The built console against the live backends and the simulator, driven
// in tmux as a person would, once per live trace backend (Jaeger, and
// Tempo where present): the verdict names the right culprit with the
// trace source named after its backend, `l` reaches the logs of the
// culprit's first failing trace, `S` shows how the backend answered, and
// with Loki stopped the logs section reads unknown with the reason.
func TestConsoleEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the built binary against the live backends")
	}
	si := testenv.Incident(t)
	type backend struct{ name, flag, url string }
	var backends []backend
	if si.Jaeger != nil {
		backends = append(backends, backend{"jaeger", "--jaeger-url", si.Jaeger.URL})
	}
	if si.Tempo != nil {
		backends = append(backends, backend{"tempo", "--tempo-url", si.Tempo.URL})
	}
	if len(backends) == 0 {
		t.Skip("no trace backend live (neither jaeger nor tempo): without traces the verdict has no culprit to check")
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
	argvFor := func(b backend) []string {
		return []string{bin, "open", "--alert-file", alertFile, "--lookback", "30m",
			"--prometheus-url", si.Prometheus.URL, "--loki-url", si.Loki.URL, b.flag, b.url}
	}

	for _, b := range backends {
		t.Run(b.name+"/verdict and logs", func(t *testing.T) {
			// 60 rows: the sources panel shows the trace backend below
			// Prometheus's and Loki's queries.
			s := testenv.NewTmux(t, 100, 60, env, argvFor(b)...)
			scr := s.WaitFor(90*time.Second, "culprit", si.Truth.Culprit, "SERVICES", b.name+" ")
			t.Logf("verdict:\n%s", scr)
			if !strings.Contains(scr, b.name+" ●") && !strings.Contains(scr, b.name+" ◔") {
				t.Errorf("the header does not show %s answered", b.name)
			}
			if strings.Contains(scr, "\x1b") {
				t.Error("a raw escape reached the screen")
			}
			s.Keys("l")
			scr = s.WaitFor(30*time.Second, "logs", "LOGS trace", "error")
			t.Logf("logs:\n%s", scr)
			s.Keys("Escape")
			s.WaitFor(10*time.Second, "SERVICES")
			s.Keys("S")
			want := []string{"SOURCES", b.url}
			if b.name == "jaeger" {
				want = append(want, "note: failures below") // how Jaeger answered what it cannot ask
			}
			scr = s.WaitFor(10*time.Second, want...)
			t.Logf("sources:\n%s", scr)
			if !strings.Contains(scr, b.name+" ok") && !strings.Contains(scr, b.name+" slow") {
				t.Errorf("the sources panel does not show %s answered", b.name)
			}
			s.Keys("Escape")
			s.Keys("q")
		})
	}

	t.Run("loki stopped", func(t *testing.T) {
		si.Loki.Stop()
		defer si.Loki.Start(t)
		s := testenv.NewTmux(t, 100, 30, env, argvFor(backends[0])...)
		scr := s.WaitFor(90*time.Second, "unknown — loki:", "culprit")
		t.Logf("verdict with loki stopped:\n%s", scr)
		if !strings.Contains(scr, "connection refused") && !strings.Contains(scr, "unreachable") {
			t.Errorf("the unknown logs section gives no reason:\n%s", scr)
		}
		s.Keys("C-c")
	})
}
