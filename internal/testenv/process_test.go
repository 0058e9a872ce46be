package testenv

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A backend that dies under the harness is named in the live report with
// its log's tail, and againIfDied starts it again, on the same port, and
// runs the step once more.
func TestBackendDeathIsReportedAndRevived(t *testing.T) {
	if os.Getenv("PROMETHEUS_BIN") == "" {
		if required("prometheus") {
			t.Fatal("prometheus is required (TRIAGE_REQUIRE_LIVE) but PROMETHEUS_BIN is not set")
		}
		t.Skip("prometheus not live: PROMETHEUS_BIN is not set (make test sets it)")
	}
	liveReport := filepath.Join(t.TempDir(), "live")
	t.Setenv("TRIAGE_LIVE_REPORT", liveReport)
	e := newEnv("death-test")
	t.Cleanup(func() { e.shutdown() })
	b, err := e.get("prometheus")
	if err != nil {
		t.Fatal(err)
	}
	_ = syscall.Kill(-b.proc.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-b.proc.done:
	case <-time.After(30 * time.Second):
		t.Fatal("prometheus did not die of SIGKILL within 30s")
	}
	calls := 0
	ready := func() error {
		calls++
		return getJSON(b.URL+"/api/v1/status/buildinfo", &struct{}{})
	}
	if err := againIfDied(b, ready); err != nil {
		t.Fatalf("againIfDied: %v", err)
	}
	if calls != 2 {
		t.Errorf("the step ran %d times, want 2 (failed, then after the restart)", calls)
	}
	raw, err := os.ReadFile(liveReport)
	if err != nil {
		t.Fatal(err)
	}
	got := string(raw)
	for _, want := range []string{"live\tprometheus@death-test\t", "exited\tprometheus@death-test\texited while in use (signal: killed)", "restarted\tprometheus@death-test\t"} {
		if !strings.Contains(got, want) {
			t.Errorf("live report lacks %q:\n%s", want, got)
		}
	}

	// A step that fails while the backend runs fails once, unretried.
	calls = 0
	boom := errors.New("boom")
	if err := againIfDied(b, func() error { calls++; return boom }); !errors.Is(err, boom) || calls != 1 {
		t.Errorf("againIfDied on a running backend: err %v after %d calls, want boom after 1", err, calls)
	}
	// A backend stopped on purpose is not reported as exited.
	b.Stop()
	raw, _ = os.ReadFile(liveReport)
	if n := strings.Count(string(raw), "exited\t"); n != 1 {
		t.Errorf("%d exit lines after a deliberate stop, want 1:\n%s", n, raw)
	}
}
