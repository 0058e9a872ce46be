package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/triagectl/triage/sources/alertmanager"
	"github.com/triagectl/triage/triage"
)

// backends are fake Prometheus, Loki and Tempo that answer empty, count
// calls and concurrency per source, and can hold every call at a gate.
type backends struct {
	gate chan struct{} // calls wait until it is closed; nil: no wait
	fail error         // every call fails with it when set

	runs atomic.Int64 // investigations, counted by the engine's clock

	mu       sync.Mutex
	inflight map[string]int
	peak     map[string]int
	calls    map[string]int
}

func newBackends() *backends {
	return &backends{inflight: map[string]int{}, peak: map[string]int{}, calls: map[string]int{}}
}

func (b *backends) sources() triage.Sources {
	return triage.Sources{Metrics: fakeMetrics{b}, Logs: fakeLogs{b}, Traces: fakeTraces{b}}
}

// options count investigations: the engine reads its clock once per run.
func (b *backends) options() triage.Options {
	o := triage.DefaultOptions()
	o.Now = func() time.Time { b.runs.Add(1); return time.Now() }
	return o
}

func (b *backends) call(ctx context.Context, source string) error {
	b.mu.Lock()
	b.calls[source]++
	b.inflight[source]++
	b.peak[source] = max(b.peak[source], b.inflight[source])
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		b.inflight[source]--
		b.mu.Unlock()
	}()
	if b.gate != nil {
		select {
		case <-b.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return b.fail
}

func (b *backends) peakOf(source string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.peak[source]
}

type fakeMetrics struct{ b *backends }

func (f fakeMetrics) Query(ctx context.Context, q string, at time.Time) ([]triage.Sample, error) {
	return []triage.Sample{}, f.b.call(ctx, triage.SourcePrometheus)
}

func (f fakeMetrics) QueryRange(ctx context.Context, q string, start, end time.Time, step time.Duration) ([]triage.Series, error) {
	return []triage.Series{}, f.b.call(ctx, triage.SourcePrometheus)
}

func (f fakeMetrics) Exemplars(ctx context.Context, q string, start, end time.Time) ([]triage.Exemplar, error) {
	return []triage.Exemplar{}, f.b.call(ctx, triage.SourcePrometheus)
}

type fakeLogs struct{ b *backends }

func (f fakeLogs) Lines(ctx context.Context, q triage.LogQuery) ([]triage.LogLine, error) {
	return []triage.LogLine{}, f.b.call(ctx, triage.SourceLoki)
}

func (f fakeLogs) Volume(ctx context.Context, _ string, _, _ time.Time) (map[string]int, error) {
	return map[string]int{}, f.b.call(ctx, triage.SourceLoki)
}

func (f fakeLogs) Patterns(ctx context.Context, query string, start, end time.Time, step time.Duration) ([]triage.LokiPattern, error) {
	if err := f.b.call(ctx, triage.SourceLoki); err != nil {
		return nil, err
	}
	return nil, triage.ErrPatternsUnavailable
}

func (f fakeLogs) ServiceLabel() string { return "service_name" }

type fakeTraces struct{ b *backends }

func (f fakeTraces) Search(ctx context.Context, q triage.TraceSearch) (triage.TraceHits, error) {
	return triage.TraceHits{Refs: []triage.TraceRef{}}, f.b.call(ctx, triage.SourceTempo)
}

func (f fakeTraces) Trace(ctx context.Context, id string) (*triage.Trace, error) {
	if err := f.b.call(ctx, triage.SourceTempo); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("trace %s not found", id)
}

// daemon is a running Service behind a loopback HTTP server.
type daemon struct {
	*Service
	url  string
	stop func()
}

// start builds a Service on a fresh store and runs it until the test ends.
func start(t testing.TB, cfg Config, deps Deps) *daemon {
	t.Helper()
	if cfg.StorePath == "" {
		cfg.StorePath = filepath.Join(t.TempDir(), "incidents.db")
	}
	s, err := New(context.Background(), cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Run(ctx)
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			srv.Close()
			cancel()
			<-done
			s.Close()
		})
	}
	t.Cleanup(stop)
	return &daemon{Service: s, url: srv.URL, stop: stop}
}

// post sends a payload to /alerts and returns the status and body.
func post(t testing.TB, url string, body []byte, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/alerts", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "webhook", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// payload builds an Alertmanager notification of one group.
func payload(status, groupKey string, alerts ...alertmanager.WebhookAlert) []byte {
	for i := range alerts {
		if alerts[i].Status == "" {
			alerts[i].Status = status
		}
	}
	wh := alertmanager.Webhook{Format: alertmanager.FormatAlertmanager, Version: "4", Receiver: "triage",
		Status: status, GroupKey: groupKey, Alerts: alerts, GroupLabels: map[string]string{},
		CommonLabels: map[string]string{}, CommonAnnotations: map[string]string{}}
	b, err := json.Marshal(wh)
	if err != nil {
		panic(err)
	}
	return b
}

func firing(name, service, fp string, startsAt time.Time) alertmanager.WebhookAlert {
	return alertmanager.WebhookAlert{Status: alertmanager.StatusFiring, Fingerprint: fp, StartsAt: startsAt,
		Labels: map[string]string{"alertname": name, "service": service, "severity": "critical"}}
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %s waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

func (fakeTraces) Name() string { return triage.SourceTempo }
