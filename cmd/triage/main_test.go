package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/triagectl/triage/sources/sourcestest"
)

func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	var o, e bytes.Buffer
	code = run(context.Background(), args, &o, &e)
	return o.String(), e.String(), code
}

func TestConfigPrintsEffectiveRedacted(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfg, []byte("sources:\n  loki: {url: http://loki:3100, basic_auth: {username: u, password: hunter2}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TRIAGE_THEME", "light")
	out, errOut, code := runCLI(t, "config", "--config", cfg, "--tempo-url", "http://tempo:3200")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"url: http://loki:3100", "password: <redacted>", "theme: light", "url: http://tempo:3200", "file: " + cfg} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "hunter2") {
		t.Error("password printed")
	}
}

func TestBadConfigNamesKey(t *testing.T) {
	_, errOut, code := runCLI(t, "config", "--loki-url", "loki:3100")
	if code == 0 {
		t.Fatal("bad url accepted")
	}
	if !strings.Contains(errOut, `sources.loki.url = "loki:3100"`) || !strings.Contains(errOut, "http://") {
		t.Errorf("stderr = %q", errOut)
	}
}

func TestCheckWithNothingConfigured(t *testing.T) {
	_, errOut, code := runCLI(t, "check")
	if code == 0 || !strings.Contains(errOut, "no source configured") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

// A healthy source and a broken one: the table says which and why, and the
// exit code is non-zero.
func TestCheckReportsEachSourceApart(t *testing.T) {
	prom := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/-/ready":
			_, _ = w.Write([]byte("Prometheus Server is Ready.\n"))
		case "/api/v1/status/buildinfo":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"status":"success","data":{"version":"3.16.0","revision":"abc","branch":"HEAD","goVersion":"go1.26"}}`))
		default:
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"status":"success","data":["__name__","job"]}`))
		}
	}))
	defer prom.Close()
	loki := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("Ingester not ready: \x1b]52;c;ZXZpbA==\x07waiting for 15s after being ready"))
	}))
	defer loki.Close()
	tempoAddr := sourcestest.ClosedAddr(t)

	out, _, code := runCLI(t, "check", "--prometheus-url", prom.URL, "--loki-url", loki.URL, "--tempo-url", "http://"+tempoAddr)
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	lines := strings.Split(out, "\n")
	row := func(name string) string {
		for _, l := range lines {
			if strings.HasPrefix(l, name+" ") {
				return l
			}
		}
		t.Fatalf("no row for %s:\n%s", name, out)
		return ""
	}
	if r := row("prometheus"); !strings.Contains(r, "ok") || !strings.Contains(r, "3.16.0") {
		t.Errorf("prometheus row: %q", r)
	}
	if r := row("loki"); !strings.Contains(r, "failed") || !strings.Contains(r, "HTTP 503") || !strings.Contains(r, "Ingester not ready") {
		t.Errorf("loki row: %q", r)
	}
	if strings.Contains(out, "\x1b") {
		t.Error("escape sequence from a server body reached the terminal")
	}
	if r := row("tempo"); !strings.Contains(r, "unreachable") || !strings.Contains(r, "connection refused") {
		t.Errorf("tempo row: %q", r)
	}
	if r := row("alertmanager"); !strings.Contains(r, "unconfigured") {
		t.Errorf("alertmanager row: %q", r)
	}
}

func TestDebugLogsToFileNotTerminal(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "debug.log")
	out, errOut, code := runCLI(t, "version", "--debug", "--debug-file", logPath)
	if code != 0 || !strings.HasPrefix(out, "triage ") {
		t.Fatalf("exit %d out %q err %q", code, out, errOut)
	}
	if errOut != "" {
		t.Errorf("stderr not empty: %q", errOut)
	}
	b, err := os.ReadFile(logPath)
	if err != nil || !strings.Contains(string(b), "triage starting") {
		t.Fatalf("debug log: %v %q", err, b)
	}
}

func TestTempoAndJaegerTogetherRefused(t *testing.T) {
	_, errOut, code := runCLI(t, "check", "--tempo-url", "http://tempo:3200", "--jaeger-url", "http://jaeger:16686")
	if code == 0 || !strings.Contains(errOut, "sources.tempo and sources.jaeger are both set: one trace backend per investigation") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

// Config that would fail later fails first, whatever the command: triage
// serve never opens its store or its webhook listener, and every problem
// is listed, one per line.
func TestBadConfigFailsBeforeServing(t *testing.T) {
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	store := filepath.Join(dir, "incidents.db")
	cfg := filepath.Join(dir, "c.yaml")
	body := "keys: {notanaction: x, silence: ctrl+c, filter: \"\"}\n" +
		"sources:\n  loki: {url: http://l:3100, headers: {\"X Scope\": a}}\n" +
		"serve: {webhook_listen: " + addr + ", store: " + store + ", ssh_listen: \"\"}\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"config", "serve", "check"} {
		_, errOut, code := runCLI(t, cmd, "--config", cfg)
		if code == 0 {
			t.Fatalf("%s: exit 0 with a bad config", cmd)
		}
		lines := strings.Split(strings.TrimSpace(errOut), "\n")
		if len(lines) != 4 {
			t.Errorf("%s: want 4 problems, one per line:\n%s", cmd, errOut)
		}
		for _, want := range []string{`keys.notanaction = "x"`, `keys.silence = "ctrl+c"`, `keys.filter = ""`, `sources.loki.headers = "x scope"`} {
			if !strings.Contains(errOut, want) {
				t.Errorf("%s: stderr lacks %q:\n%s", cmd, want, errOut)
			}
		}
		for _, l := range lines {
			if !strings.HasPrefix(l, "triage: config: ") {
				t.Errorf("%s: line %q", cmd, l)
			}
		}
	}
	if _, err := os.Stat(store); !os.IsNotExist(err) {
		t.Errorf("serve created its store before failing: %v", err)
	}
}
