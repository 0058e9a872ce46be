// Package testenv starts the real backends that integration tests run
// against (Prometheus, Loki, Alertmanager and, when present, Tempo and
// Jaeger), once per test binary, on free loopback ports with temporary
// directories, and fills them with the simulator's incident.
package testenv

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/triagectl/triage/sources"
)

// Backend is one running backend.
type Backend struct {
	Name    string // "prometheus", "loki", "alertmanager", "tempo", "jaeger"
	URL     string // base URL, e.g. "http://127.0.0.1:41234"; Jaeger's query service
	OTLP    string // tempo and jaeger: OTLP/HTTP base URL
	Version string

	proc   *proc
	ready  string // readiness URL
	remote bool   // given by URL, not started here
}

// Config returns a sources.Config aimed at the backend.
func (b *Backend) Config() sources.Config {
	return sources.Config{URL: b.URL, Timeout: 5 * time.Second}
}

// Stop stops the backend's process, for failure tests. A backend given by
// URL cannot be stopped.
func (b *Backend) Stop() {
	if b.proc != nil {
		b.proc.stop()
	}
}

// Start starts a stopped backend again, on the same port and data.
func (b *Backend) Start(t testing.TB) {
	t.Helper()
	if b.proc == nil || b.proc.running() {
		return
	}
	if err := b.proc.start(); err != nil {
		t.Fatalf("restart %s: %v", b.Name, err)
	}
	if err := b.proc.waitReady(b.ready, 90*time.Second); err != nil {
		t.Fatalf("restart %s: %v", b.Name, err)
	}
}

// env holds what this test binary started. It is per process by nature:
// the backends are shared by every test of the package.
type env struct {
	ns string // "" for the default set, else the scenario's name
	// shape is the metric series' shape (sim.MetricsTempo when ""), and
	// only, when set, the backends to start: a metrics-only set.
	shape    string
	only     []string
	mu       sync.Mutex
	backends map[string]*Backend
	failed   map[string]error
	root     string
	metrics  *metricsServer
	incident *SimIncident
	incErr   error
	ports    map[string]int
	held     map[string]net.Listener
}

var state = newEnv("")

// scenarios holds the backend sets started for named scenarios.
var scenarios = struct {
	sync.Mutex
	envs map[string]*env
}{envs: map[string]*env{}}

func newEnv(ns string) *env {
	return &env{ns: ns, backends: map[string]*Backend{}, failed: map[string]error{}}
}

// scenarioEnv returns the backend set of a named scenario.
func scenarioEnv(preset string) *env {
	scenarios.Lock()
	defer scenarios.Unlock()
	e, ok := scenarios.envs[preset]
	if !ok {
		e = newEnv(preset)
		scenarios.envs[preset] = e
	}
	return e
}

// StopScenario stops the backends started for a named scenario.
func StopScenario(preset string) {
	scenarios.Lock()
	e := scenarios.envs[preset]
	delete(scenarios.envs, preset)
	scenarios.Unlock()
	if e != nil {
		e.shutdown()
	}
}

// Main runs the tests, then stops every backend that was started.
func Main(m *testing.M) {
	code := m.Run()
	state.shutdown()
	scenarios.Lock()
	for _, e := range scenarios.envs {
		e.shutdown()
	}
	scenarios.Unlock()
	os.Exit(code)
}

func (e *env) shutdown() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, b := range e.backends {
		b.Stop()
	}
	if e.metrics != nil {
		e.metrics.close()
	}
	for name := range e.held {
		e.release(name)
	}
	if e.root != "" && os.Getenv("TRIAGE_KEEP_TESTENV") == "" {
		os.RemoveAll(e.root)
	}
}

func (e *env) dir(name string) (string, error) {
	if e.root == "" {
		root, err := os.MkdirTemp("", "triage-testenv-"+e.ns)
		if err != nil {
			return "", err
		}
		e.root = root
	}
	d := filepath.Join(e.root, name)
	return d, os.MkdirAll(d, 0o755)
}

// required reports whether TRIAGE_REQUIRE_LIVE names the backend: then a
// missing binary fails the test instead of skipping it.
func required(name string) bool {
	for _, n := range strings.FieldsFunc(os.Getenv("TRIAGE_REQUIRE_LIVE"), func(r rune) bool { return r == ',' || r == ' ' }) {
		if n == name || n == "all" {
			return true
		}
	}
	return false
}

type starter func(e *env) (*Backend, error)

var starters = map[string]struct {
	envVar string
	start  starter
}{
	"prometheus":   {"PROMETHEUS_BIN", startPrometheus},
	"loki":         {"LOKI_BIN", startLoki},
	"alertmanager": {"ALERTMANAGER_BIN", startAlertmanager},
	"tempo":        {"TEMPO_BIN", startTempo},
	"jaeger":       {"JAEGER_BIN", startJaeger},
}

// errNotAvailable marks a backend whose binary is not configured.
type errNotAvailable struct{ reason string }

func (e errNotAvailable) Error() string { return e.reason }

// get returns the running backend, starting it on first use. A nil backend
// with an errNotAvailable means the binary is absent.
func (e *env) get(name string) (*Backend, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if b, ok := e.backends[name]; ok {
		return b, nil
	}
	if err, ok := e.failed[name]; ok {
		return nil, err
	}
	s := starters[name]
	if name == "tempo" && os.Getenv("TEMPO_URL") != "" {
		b := remoteTempo()
		e.backends[name] = b
		report("live", e.label(name), b.URL+" (TEMPO_URL)")
		return b, nil
	}
	if os.Getenv(s.envVar) == "" {
		err := errNotAvailable{fmt.Sprintf("%s not live: %s is not set (make test sets it)", name, s.envVar)}
		if name == "tempo" {
			err = errNotAvailable{"tempo not live: no tempo binary on PATH and TEMPO_URL unset; Tempo is covered by recorded responses"}
		}
		e.failed[name] = err
		report("skip", e.label(name), err.reason)
		return nil, err
	}
	t0 := time.Now()
	b, err := s.start(e)
	if err != nil {
		e.failed[name] = err
		report("fail", e.label(name), err.Error())
		return nil, err
	}
	e.backends[name] = b
	if b.Version == "" {
		b.Version = "version unknown"
	}
	report("live", e.label(name), fmt.Sprintf("%s %s (ready in %s)", b.URL, b.Version, time.Since(t0).Round(100*time.Millisecond)))
	return b, nil
}

// label names a backend in reports: "loki", or "loki@cache-tier".
func (e *env) label(name string) string {
	if e.ns == "" {
		return name
	}
	return name + "@" + e.ns
}

func need(t testing.TB, name string) *Backend {
	t.Helper()
	b, err := state.get(name)
	if err != nil {
		if na, ok := err.(errNotAvailable); ok {
			if required(name) {
				t.Fatalf("%s is required (TRIAGE_REQUIRE_LIVE) but not available: %s", name, na.reason)
			}
			t.Skip(na.reason)
		}
		t.Fatalf("%s: %v", name, err)
	}
	return b
}

// Prometheus returns the test Prometheus, which scrapes the simulator's
// metrics every second.
func Prometheus(t testing.TB) *Backend { t.Helper(); return need(t, "prometheus") }

// Loki returns the test Loki.
func Loki(t testing.TB) *Backend { t.Helper(); return need(t, "loki") }

// Alertmanager returns the test Alertmanager.
func Alertmanager(t testing.TB) *Backend { t.Helper(); return need(t, "alertmanager") }

// Tempo returns Tempo when one is live (TEMPO_URL or TEMPO_BIN), and skips
// the test otherwise.
func Tempo(t testing.TB) *Backend { t.Helper(); return need(t, "tempo") }

// Jaeger returns the test Jaeger v2 (in-memory storage) when JAEGER_BIN is
// set, and skips the test otherwise. Its URL is the query service's.
func Jaeger(t testing.TB) *Backend { t.Helper(); return need(t, "jaeger") }

// report appends a line to the file named by TRIAGE_LIVE_REPORT, which
// `make test` prints at the end: which backends ran live and which did not.
func report(state, name, detail string) {
	path := os.Getenv("TRIAGE_LIVE_REPORT")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%s\t%s\t%s\n", state, name, strings.ReplaceAll(detail, "\n", " "))
}

// metricsServer serves the simulator's /metrics on a port fixed before
// Prometheus starts, so the scrape config can name it.
type metricsServer struct {
	addr    string
	srv     *http.Server
	mu      sync.RWMutex
	handler http.Handler
}

func (m *metricsServer) set(h http.Handler) {
	m.mu.Lock()
	m.handler = h
	m.mu.Unlock()
}

func (m *metricsServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.RLock()
	h := m.handler
	m.mu.RUnlock()
	if h == nil {
		http.Error(w, "no incident yet", http.StatusServiceUnavailable)
		return
	}
	h.ServeHTTP(w, r)
}

func (m *metricsServer) close() { _ = m.srv.Close() }
