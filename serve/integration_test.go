package serve

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/triagectl/triage/internal/testenv"
	"github.com/triagectl/triage/serve/store"
	"github.com/triagectl/triage/sources/bundle"
	"github.com/triagectl/triage/triage"
)

// webhookAddr is where the daemon under test listens; the test
// Alertmanager is started with a receiver aimed at it (TRIAGE_TEST_WEBHOOK),
// so it is fixed before any backend starts.
var webhookAddr string

func TestMain(m *testing.M) {
	if os.Getenv("TRIAGE_TEST_WEBHOOK") == "" {
		if addr, err := reserveAddr(); err == nil {
			webhookAddr = addr
			os.Setenv("TRIAGE_TEST_WEBHOOK", "http://"+addr+"/alerts")
		}
	}
	testenv.Main(m)
}

// The whole chain with real processes: the simulator's incident in real
// Prometheus, Loki and a trace backend (Tempo when present, else Jaeger);
// Prometheus evaluates the simulator's alert rules and sends to a real
// Alertmanager, which sends its webhooks to a `triage serve` child
// process. The daemon pre-warms the incident; its stored report names the
// simulator's culprit when a trace backend is live, and has its metrics
// and logs sections otherwise. The rules' Watchdog arrives as the daemon's
// heartbeat, not as an incident.
func TestLiveAlertmanagerToPrewarmedReport(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the backends and the triage binary")
	}
	if webhookAddr == "" {
		t.Skip("TRIAGE_TEST_WEBHOOK was set outside the test: the daemon cannot take its address")
	}
	testenv.Prometheus(t)
	testenv.Loki(t)
	testenv.Alertmanager(t)
	si := testenv.Incident(t)
	tr := si.Truth

	dir := t.TempDir()
	bin := buildTriage(t, dir)
	storePath := filepath.Join(dir, "incidents.db")
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "sources:\n  prometheus: {url: %s}\n  loki: {url: %s}\n", si.Prometheus.URL, si.Loki.URL)
	// One trace backend per investigation: Tempo when present, else Jaeger.
	// Searches over a fresh live store are slow on small machines.
	traces := ""
	switch {
	case si.Tempo != nil:
		traces = triage.SourceTempo
		fmt.Fprintf(&cfg, "  tempo: {url: %s, timeout: 30s}\n", si.Tempo.URL)
	case si.Jaeger != nil:
		traces = triage.SourceJaeger
		fmt.Fprintf(&cfg, "  jaeger: {url: %s, timeout: 30s}\n", si.Jaeger.URL)
	}
	// The simulator back-dates its incident; the window reaches back to it.
	fmt.Fprintf(&cfg, "triage: {lookback: %s}\n", (tr.End.Sub(tr.IncidentStart) + 10*time.Minute).Round(time.Second))
	fmt.Fprintf(&cfg, "serve:\n  webhook_listen: %s\n  store: %s\n  watchdog: {alertname: Watchdog, max_gap: 5m}", webhookAddr, storePath)
	sshKey, sshAddr := sshLogin(t, dir)
	if sshAddr != "" {
		fmt.Fprintf(&cfg, "\n  ssh_listen: %s\n  ssh_host_key: %s\n  authorized_keys: %s", sshAddr,
			filepath.Join(dir, "host_ed25519"), sshKey+".pub")
	}
	c := startServe(t, bin, dir, writeServeConfig(t, dir, cfg.String()))

	mode := traces + " live"
	if traces == "" {
		mode = "no trace backend: metrics and logs only"
	}
	t.Logf("mode: %s; alert %s on %s, culprit %s", mode, tr.AlertName, tr.AlertService, tr.Culprit)
	eventually(t, 4*time.Minute, "a finished pre-warm and a Watchdog beat", func() bool {
		m := scrape(t, c.url)
		return metricValue(m, `triage_investigations_total{result="ok"}`)+metricValue(m, `triage_investigations_total{result="failed"}`) >= 1 &&
			metricValue(m, "triage_watchdog_last_seen_timestamp_seconds") > 0
	})
	m := scrape(t, c.url)
	t.Logf("daemon metrics:\n%s", grep(m, "triage_webhook_alerts_total")+"\n"+grep(m, "triage_investigations_total"))
	if sshAddr != "" && traces != "" {
		// A real OpenSSH client logs in: the pre-warmed incident is on the
		// list, and enter shows its verdict with the simulator's culprit.
		_, port, _ := net.SplitHostPort(sshAddr)
		t0 := time.Now()
		tm := testenv.NewTmux(t, 100, 30, []string{"TERM=xterm-256color"}, "ssh", "-tt", "-p", port, "-i", sshKey,
			"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "127.0.0.1")
		tm.WaitFor(20*time.Second, tr.AlertName, "ready")
		listed := time.Since(t0)
		tm.Keys("Enter")
		t1 := time.Now()
		scr := tm.WaitFor(10*time.Second, "culprit", tr.Culprit)
		t.Logf("ssh: incident list on screen %s after launching ssh, verdict with culprit %s after enter:\n%s",
			listed.Round(time.Millisecond), time.Since(t1).Round(time.Millisecond), scr)
		tm.Keys("C-c")
	}
	c.stop(t)

	st, err := store.Open(context.Background(), storePath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := &Service{store: st}
	incs, err := s.Incidents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var id string
	for _, inc := range incs {
		if inc.Alert.Name == "Watchdog" {
			t.Errorf("the Watchdog became incident %s", inc.ID)
		}
		if inc.Alert.Name == tr.AlertName && inc.Scope == tr.AlertService {
			id = inc.ID
		}
	}
	if id == "" {
		t.Fatalf("no incident for %s on %s among %+v", tr.AlertName, tr.AlertService, incs)
	}
	inc, err := s.Incident(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if inc.PrewarmState != PrewarmReady || inc.Report == nil {
		t.Fatalf("incident %s: %s %q, report %v", id, inc.PrewarmState, inc.PrewarmError, inc.Report != nil)
	}
	// The report's evidence is kept with it: the bundle of every exchange.
	b, err := bundle.Read(bytes.NewReader(inc.Bundle))
	if err != nil {
		t.Fatalf("stored bundle (%d bytes): %v", len(inc.Bundle), err)
	}
	if b.Report == nil || b.Len() == 0 || b.Header.Alert.Name != tr.AlertName {
		t.Errorf("stored bundle: report %v, %d exchanges, alert %q", b.Report != nil, b.Len(), b.Header.Alert.Name)
	}
	t.Logf("stored bundle: %d bytes, %d exchanges", len(inc.Bundle), b.Len())
	if beat, err := st.LastBeat(context.Background()); err != nil || beat.IsZero() {
		t.Errorf("no Watchdog beat stored: %v", err)
	}
	r := inc.Report
	for _, src := range r.Sources {
		t.Logf("source %s: %s %dms %s", src.Name, src.State, src.LatencyMS, src.Error)
		if !triage.IsTraceSource(src.Name) || traces != "" {
			if src.State != triage.StateOK && src.State != triage.StateSlow {
				t.Errorf("source %s: %s %s", src.Name, src.State, src.Error)
			}
		}
	}
	if r.Impact == nil || r.Impact.FailingRatio == nil {
		t.Errorf("no metrics section: impact %+v", r.Impact)
	}
	if len(r.LogPatterns) == 0 {
		t.Error("no log patterns from live Loki")
	}
	if traces != "" {
		if got := triage.TraceSource(r); got != traces {
			t.Errorf("trace source named %q, want %q", got, traces)
		}
		if len(r.Services) == 0 || r.Services[0].Name != tr.Culprit || r.Services[0].Role != triage.RoleCulprit {
			t.Fatalf("top service %+v, want culprit %s", firstService(r), tr.Culprit)
		}
		t.Logf("culprit %s found by the pre-warmed report", r.Services[0].Name)
	}
}

func firstService(r *triage.Report) any {
	if len(r.Services) == 0 {
		return nil
	}
	return r.Services[0]
}

// metricValue reads one sample from a /metrics page; 0 when absent.
func metricValue(page, series string) float64 {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`)
	sm := re.FindStringSubmatch(page)
	if sm == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(sm[1], 64)
	return v
}

func reserveAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// sshLogin makes a client key for the daemon's SSH console and reserves
// its address; both are empty when OpenSSH is not installed.
func sshLogin(t *testing.T, dir string) (key, addr string) {
	t.Helper()
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Log("no OpenSSH client: the SSH leg is skipped")
		return "", ""
	}
	key = filepath.Join(dir, "client_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	return key, freeAddr(t)
}
