package serve

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/triagectl/triage/internal/testenv"

	"github.com/triagectl/triage/serve/store"
	"github.com/triagectl/triage/sources/adapter"
	"github.com/triagectl/triage/sources/alertmanager"
)

// buildTriage builds cmd/triage into dir.
func buildTriage(t *testing.T, dir string) string { return testenv.BuildTriage(t, dir) }

// child is a `triage serve` process.
type child struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{}
	log  *bytes.Buffer
}

// writeServeConfig writes a config file for `triage serve`, with the SSH
// console off unless the body sets ssh_listen, and returns its path.
func writeServeConfig(t *testing.T, dir, body string) string {
	t.Helper()
	path := filepath.Join(dir, "config.yaml")
	if !strings.Contains(body, "ssh_listen:") {
		body += "\n  ssh_listen: \"\"\n"
	}
	if err := os.WriteFile(path, []byte(body+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// startServe runs `triage serve --config configPath` with nothing of the
// test's environment but PATH, and waits for /readyz.
func startServe(t *testing.T, bin, dir, configPath string) *child {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--config", configPath)
	cmd.Env = []string{"HOME=" + dir, "XDG_CONFIG_HOME=" + filepath.Join(dir, "config"), "PATH=" + os.Getenv("PATH")}
	// The daemon dies with the test binary, whatever happens to the test.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, done: make(chan struct{}), log: &bytes.Buffer{}}
	addr := make(chan string, 1)
	var logMu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			logMu.Lock()
			c.log.WriteString(line + "\n")
			logMu.Unlock()
			if rest, ok := strings.CutPrefix(line, "triage serve: webhook on "); ok {
				u, _, _ := strings.Cut(rest, "/alerts")
				addr <- u
			}
		}
	}()
	go func() { _ = cmd.Wait(); close(c.done) }()
	t.Cleanup(func() { c.kill() })
	select {
	case c.url = <-addr:
	case <-c.done:
		t.Fatalf("triage serve exited at start:\n%s", c.log)
	case <-time.After(30 * time.Second):
		t.Fatalf("triage serve never listened:\n%s", c.log)
	}
	eventually(t, 30*time.Second, "/readyz", func() bool {
		resp, err := http.Get(c.url + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return c
}

// kill sends SIGKILL: no shutdown code runs.
func (c *child) kill() {
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.done
}

// stop sends SIGTERM and waits for a clean exit.
func (c *child) stop(t *testing.T) {
	t.Helper()
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		t.Fatal("triage serve did not stop on SIGTERM")
	}
	if code := c.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("triage serve exited %d after SIGTERM", code)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// sent is one webhook of the burst and whether the daemon acknowledged it.
type sent struct {
	body   []byte
	alerts []alertmanager.WebhookAlert
	acked  bool
}

// burst posts webhooks of 1–4 alerts from 32 senders until stop closes or
// limit webhooks were sent, and returns what was sent.
func burst(url string, round, limit int, acked *atomic.Int64, stop <-chan struct{}) []*sent {
	out := make([]*sent, limit)
	startsAt := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	for i := range out {
		svc := fmt.Sprintf("svc-%02d", i%20)
		alerts := make([]alertmanager.WebhookAlert, 1+i%4)
		for j := range alerts {
			alerts[j] = firing("HighErrorRate", svc, fmt.Sprintf("r%d-%06d-%d", round, i, j), startsAt)
		}
		out[i] = &sent{body: payload("firing", `{}:{service="`+svc+`"}`, alerts...), alerts: alerts}
	}
	client := &http.Client{Timeout: 10 * time.Second}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= limit {
					return
				}
				select {
				case <-stop:
					return
				default:
				}
				resp, err := client.Post(url+"/alerts", "application/json", bytes.NewReader(out[i].body))
				if err != nil {
					continue // the daemon died mid-request: not acknowledged
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					out[i].acked = true
					acked.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return out[:min(int(next.Load()), limit)]
}

// kill -9 during a burst of webhooks, three times over one store: after
// each restart every acknowledged alert is there, replaying every payload
// (as Alertmanager retries) creates nothing, and the file checks clean.
func TestKill9DuringBurst(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the triage binary and kills it")
	}
	dir := t.TempDir()
	bin := buildTriage(t, dir)
	storePath := filepath.Join(dir, "incidents.db")
	cfg := writeServeConfig(t, dir, fmt.Sprintf("serve:\n  webhook_listen: %s\n  store: %s", freeAddr(t), storePath))

	var all []*sent
	for round, killAfter := range []int64{300, 1500, 4000} {
		c := startServe(t, bin, dir, cfg)
		var acked atomic.Int64
		stop := make(chan struct{})
		var got []*sent
		done := make(chan struct{})
		go func() { defer close(done); got = burst(c.url, round, 20000, &acked, stop) }()
		eventually(t, 60*time.Second, fmt.Sprintf("%d acknowledged webhooks", killAfter), func() bool { return acked.Load() >= killAfter })
		c.kill()
		close(stop)
		<-done
		all = append(all, got...)
		n, ackedAlerts := 0, 0
		for _, s := range got {
			if s.acked {
				n++
				ackedAlerts += len(s.alerts)
			}
		}
		t.Logf("round %d: killed after %d acknowledged webhooks (%d alerts) of %d sent", round, n, ackedAlerts, len(got))

		c = startServe(t, bin, dir, cfg)
		for _, s := range all {
			if !s.acked {
				continue
			}
			code, body := post(t, c.url, s.body, nil)
			var r WebhookResponse
			if code != 200 || json.Unmarshal([]byte(body), &r) != nil {
				t.Fatalf("replay: %d %s", code, body)
			}
			if r.New != 0 || len(r.Created) != 0 || r.Duplicate != len(s.alerts) {
				t.Fatalf("replay of an acknowledged webhook stored anew (it was lost): %+v", r)
			}
		}
		c.stop(t)
	}

	// Replay the unacknowledged ones too, as Alertmanager would, then check
	// the file and count: each alert exactly once.
	c := startServe(t, bin, dir, cfg)
	distinct, unacked, storedUnacked := 0, 0, 0
	for _, s := range all {
		if !s.acked {
			code, body := post(t, c.url, s.body, nil)
			var r WebhookResponse
			if code != 200 || json.Unmarshal([]byte(body), &r) != nil {
				t.Fatalf("retry: %d %s", code, body)
			}
			unacked++
			if r.New == 0 {
				storedUnacked++ // committed, then killed before the answer
			}
		}
		distinct += len(s.alerts)
	}
	c.stop(t)
	t.Logf("%d webhooks (%d alerts) sent; of the %d never acknowledged, %d had been stored", len(all), distinct, unacked, storedUnacked)
	st, err := store.Open(context.Background(), storePath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	recs, err := st.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, r := range recs {
		total += r.AlertCount
	}
	if total != distinct || len(recs) != 20 {
		t.Fatalf("%d incidents holding %d alerts; want 20 holding %d", len(recs), total, distinct)
	}
	for _, s := range all {
		for _, a := range s.alerts {
			in := store.AlertIn{Alert: adapter.AlertFromWebhookAlert(a)}
			if _, _, ok, err := st.AlertIncident(context.Background(), in); err != nil || !ok {
				t.Fatalf("alert %s missing: %v", a.Fingerprint, err)
			}
		}
	}
}
