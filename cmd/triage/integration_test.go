package main

import (
	"strings"
	"testing"

	"github.com/triagectl/triage/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// Against the real backends every source is ok with its version; with Loki
// stopped, Loki alone fails with the reason and the exit code says so.
func TestCheckLiveBackends(t *testing.T) {
	prom := testenv.Prometheus(t)
	loki := testenv.Loki(t)
	am := testenv.Alertmanager(t)
	args := []string{"check", "--prometheus-url", prom.URL, "--loki-url", loki.URL, "--alertmanager-url", am.URL}
	out, errOut, code := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	for _, b := range []*testenv.Backend{prom, loki, am} {
		row := rowOf(t, out, b.Name)
		if !strings.Contains(row, "● ok") {
			t.Errorf("%s not ok: %q", b.Name, row)
		}
		if b.Version != "" && !strings.Contains(row, b.Version) {
			t.Errorf("%s row lacks version %s: %q", b.Name, b.Version, row)
		}
	}
	t.Logf("check output:\n%s", out)

	loki.Stop()
	defer loki.Start(t)
	out, _, code = runCLI(t, args...)
	if code != 1 {
		t.Fatalf("exit %d with loki stopped, want 1:\n%s", code, out)
	}
	row := rowOf(t, out, "loki")
	if !strings.Contains(row, "failed") || !strings.Contains(row, "unreachable") || !strings.Contains(row, "connection refused") {
		t.Errorf("loki row: %q", row)
	}
	if r := rowOf(t, out, "prometheus"); !strings.Contains(r, "● ok") {
		t.Errorf("prometheus affected by loki's failure: %q", r)
	}
	t.Logf("check output with loki stopped:\n%s", out)
}

func rowOf(t *testing.T, out, name string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, name+" ") {
			return l
		}
	}
	t.Fatalf("no %s row in:\n%s", name, out)
	return ""
}
