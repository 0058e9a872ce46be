package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/triagectl/triage/sources/sourcestest"
)

const webhook = `{"version":"4","status":"firing","receiver":"triage","groupKey":"{}:{alertname=\"HighErrorRate\"}",
"alerts":[{"status":"firing","labels":{"alertname":"HighErrorRate","service":"storefront","severity":"critical"},
"annotations":{"summary":"5xx \u001b]52;c;ZXZpbA==\u0007 on storefront"},"startsAt":"2026-03-01T11:55:00Z","endsAt":"0001-01-01T00:00:00Z",
"generatorURL":"http://prometheus/graph?g0.expr=sum%28rate%28x%5B5m%5D%29%29+%3E+0.05&g0.tab=1","fingerprint":"abc123"}]}`

// With every source down the report still comes out, says why for each,
// claims nothing, and the command exits 1.
func TestReportAllSourcesDown(t *testing.T) {
	alert := filepath.Join(t.TempDir(), "alert.json")
	if err := os.WriteFile(alert, []byte(webhook), 0o600); err != nil {
		t.Fatal(err)
	}
	down := func() string { return "http://" + sourcestest.ClosedAddr(t) }
	out, errOut, code := runCLI(t, "report", "--alert-file", alert, "-o", "json",
		"--prometheus-url", down(), "--loki-url", down(), "--tempo-url", down())
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr %s", code, errOut)
	}
	if !strings.Contains(errOut, "every source failed") {
		t.Errorf("stderr = %q", errOut)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out)
	}
	for _, sec := range []string{"impact", "services", "users", "differences", "log_patterns", "traces"} {
		if string(doc[sec]) != "null" {
			t.Errorf("%s = %s, want null", sec, doc[sec])
		}
	}
	var r struct {
		Version int
		Alert   struct{ Name, Expr string }
		Sources []struct{ Name, State, Error string }
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out)
	}
	if r.Version != 2 || r.Alert.Name != "HighErrorRate" || r.Alert.Expr != "sum(rate(x[5m])) > 0.05" {
		t.Errorf("header: %+v", r)
	}
	for _, s := range r.Sources {
		if s.State != "failed" || !strings.Contains(s.Error, "connection refused") {
			t.Errorf("source %+v", s)
		}
	}
}

func TestReportMarkdownSaysUnknown(t *testing.T) {
	alert := filepath.Join(t.TempDir(), "alert.json")
	if err := os.WriteFile(alert, []byte(webhook), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, code := runCLI(t, "report", "--alert-file", alert, "-o", "slack", "--loki-url", "http://"+sourcestest.ClosedAddr(t))
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(out, "*HighErrorRate*") || !strings.Contains(out, "unknown — loki") {
		t.Errorf("markdown:\n%s", out)
	}
	if strings.Contains(out, "\x1b") {
		t.Error("escape sequence from the alert reached the output")
	}
	if n := strings.Count(out, "\n"); n > 40 {
		t.Errorf("%d lines, want at most 40", n)
	}
}

func TestReportNeedsOneAlert(t *testing.T) {
	_, errOut, code := runCLI(t, "report")
	if code == 0 {
		t.Fatalf("exit %d stderr %q", code, errOut)
	}
	for _, way := range []string{"--alert-file", "--fingerprint", "--bundle", "--demo"} {
		if !strings.Contains(errOut, way) {
			t.Errorf("stderr lacks %s:\n%s", way, errOut)
		}
	}
}
