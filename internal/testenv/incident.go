package testenv

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/triagectl/triage/internal/sim"
)

// SimIncident is the simulator's incident as loaded into the live backends.
// Backends that are not live are nil.
type SimIncident struct {
	Truth    sim.GroundTruth
	Incident *sim.Incident
	Now      time.Time

	Prometheus, Loki, Alertmanager, Tempo, Jaeger *Backend
}

// Incident loads the simulator's default scenario into every live backend,
// once per test binary, and waits until each answers with the data.
func Incident(t testing.TB) *SimIncident {
	t.Helper()
	return state.incidentFor(t, "")
}

// IncidentFor loads one of the simulator's named scenarios into a
// Prometheus, a Loki and (when present) a Tempo and a Jaeger of its own,
// started for it, so scenarios do not mix. StopScenario frees them.
func IncidentFor(t testing.TB, preset string) *SimIncident {
	t.Helper()
	return scenarioEnv(preset).incidentFor(t, preset)
}

// IncidentOf loads a scenario of the test's own, named name, as
// IncidentFor loads a preset: into backends of its own.
func IncidentOf(t testing.TB, name string, sc sim.Scenario) *SimIncident {
	t.Helper()
	customMu.Lock()
	custom[name] = sc
	customMu.Unlock()
	return scenarioEnv(name).incidentFor(t, name)
}

var (
	customMu sync.Mutex
	custom   = map[string]sim.Scenario{}
)

// MetricsIncident loads one of the simulator's named scenarios, its metric
// series in shape (sim.MetricsTempo or sim.MetricsOTel), into a Prometheus
// of its own and no other backend. StopMetricsIncident frees it.
func MetricsIncident(t testing.TB, preset, shape string) *SimIncident {
	t.Helper()
	name := preset + "-" + shape + "-metrics"
	scenarios.Lock()
	e, ok := scenarios.envs[name]
	if !ok {
		e = newEnv(name)
		e.shape, e.only = shape, []string{"prometheus"}
		scenarios.envs[name] = e
	}
	scenarios.Unlock()
	return e.incidentFor(t, preset)
}

// StopMetricsIncident stops the Prometheus MetricsIncident started.
func StopMetricsIncident(preset, shape string) { StopScenario(preset + "-" + shape + "-metrics") }

func (e *env) incidentFor(t testing.TB, preset string) *SimIncident {
	t.Helper()
	e.mu.Lock()
	inc, err := e.incident, e.incErr
	e.mu.Unlock()
	if inc == nil && err == nil {
		inc, err = e.loadIncident(preset)
		e.mu.Lock()
		e.incident, e.incErr = inc, err
		e.mu.Unlock()
	}
	if err != nil {
		t.Fatalf("simulator incident %s: %v", preset, err)
	}
	return inc
}

// optional returns the backend if it is live, nil if its binary is absent,
// and an error if it is present but would not start.
func (e *env) optional(name string) (*Backend, error) {
	b, err := e.get(name)
	if _, ok := err.(errNotAvailable); ok {
		if required(name) {
			return nil, err
		}
		return nil, nil
	}
	return b, err
}

func (e *env) loadIncident(preset string) (*SimIncident, error) {
	now := time.Now().Truncate(time.Second)
	sc := sim.DefaultScenario()
	customMu.Lock()
	own, isOwn := custom[preset]
	customMu.Unlock()
	switch {
	case isOwn:
		sc = own
	case preset != "":
		var err error
		if sc, err = sim.PresetScenario(preset); err != nil {
			return nil, err
		}
	}
	sc.Metrics = e.shape
	in, err := sim.Generate(sc, now)
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	si := &SimIncident{Truth: in.Truth(), Incident: in, Now: now}
	for name, dst := range map[string]**Backend{"prometheus": &si.Prometheus, "loki": &si.Loki,
		"alertmanager": &si.Alertmanager, "tempo": &si.Tempo, "jaeger": &si.Jaeger} {
		if name == "alertmanager" && preset != "" {
			continue // scenarios need no alerting
		}
		if e.only != nil && !slices.Contains(e.only, name) {
			continue
		}
		b, err := e.optional(name)
		if err != nil {
			return nil, err
		}
		*dst = b
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	e.mu.Lock()
	if e.metrics != nil {
		e.metrics.set(in.MetricsHandler())
	}
	e.mu.Unlock()

	if si.Loki != nil {
		q := url.Values{"query": {`sum(count_over_time({env="sim"}[1h]))`}, "time": {fmt.Sprint(now.Add(time.Minute).Unix())}}
		err := againIfDied(si.Loki, func() error {
			if err := in.PushLogs(ctx, si.Loki.URL); err != nil {
				return fmt.Errorf("push logs to loki: %w", err)
			}
			err := poll(ctx, 60*time.Second, func(ctx context.Context) error {
				return hasResult(si.Loki.URL + "/loki/api/v1/query?" + q.Encode())
			})
			if err != nil {
				return fmt.Errorf("loki never answered with the pushed logs: %w", err)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if si.Tempo != nil {
		if err := in.SendTraces(ctx, si.Tempo.OTLP); err != nil {
			return nil, fmt.Errorf("send traces to tempo: %w%s", err, si.Tempo.exitNote())
		}
	}
	if si.Jaeger != nil {
		if err := in.SendTraces(ctx, si.Jaeger.OTLP); err != nil {
			return nil, fmt.Errorf("send traces to jaeger: %w%s", err, si.Jaeger.exitNote())
		}
		if err := waitJaeger(ctx, si); err != nil {
			return nil, err
		}
	}
	if si.Prometheus != nil {
		if err := installRules(si.Prometheus, in.RuleFile()); err != nil {
			return nil, err
		}
		if err := in.Backfill(ctx, si.Prometheus.URL, sim.BackfillOptions{}); err != nil {
			return nil, fmt.Errorf("backfill prometheus with the incident's metric history: %w", err)
		}
		calls := "traces_spanmetrics_calls_total"
		if e.shape == sim.MetricsOTel {
			calls = "traces_span_metrics_calls_total"
		}
		err := poll(ctx, 60*time.Second, func(ctx context.Context) error {
			return promHasData(si.Prometheus.URL, "sum("+calls+")")
		})
		if err != nil {
			return nil, fmt.Errorf("prometheus never scraped the simulator: %w", err)
		}
		// The backfilled history answers at once; exemplars come only from
		// a live scrape of the incident's handler.
		err = poll(ctx, 60*time.Second, func(ctx context.Context) error {
			return promHasData(si.Prometheus.URL, `scrape_samples_scraped{job="sim"} > 0`)
		})
		if err != nil {
			return nil, fmt.Errorf("prometheus never scraped the simulator's exemplars: %w%s", err, si.Prometheus.exitNote())
		}
	}
	if si.Loki != nil {
		// Loki's pattern tee can drop a push made while its pattern ingester
		// is still joining the ring; a second push (stored lines are
		// deduplicated) gives it the lines again.
		pq := url.Values{"query": {`{env="sim"}`}, "start": {fmt.Sprint(si.Truth.Start.Unix())},
			"end": {fmt.Sprint(now.Add(time.Minute).Unix())}, "step": {"60s"}}
		patterns := func(ctx context.Context) error {
			var v struct {
				Data []any `json:"data"`
			}
			if err := getJSON(si.Loki.URL+"/loki/api/v1/patterns?"+pq.Encode(), &v); err != nil {
				return err
			}
			if len(v.Data) == 0 {
				return fmt.Errorf("no patterns yet")
			}
			return nil
		}
		if poll(ctx, 20*time.Second, patterns) != nil {
			if err := in.PushLogs(ctx, si.Loki.URL); err != nil {
				return nil, fmt.Errorf("push logs to loki again: %w%s", err, si.Loki.exitNote())
			}
			_ = poll(ctx, 30*time.Second, patterns)
		}
	}
	if affected := append(append([]string{}, si.Truth.FailingTraceIDs...), si.Truth.SlowTraceIDs...); si.Tempo != nil && len(affected) > 0 {
		id := affected[0]
		// v2 answers a missing trace with 200 and an empty trace: wait for spans.
		err := poll(ctx, 90*time.Second, func(ctx context.Context) error {
			var v struct {
				Trace struct {
					ResourceSpans []any `json:"resourceSpans"`
				} `json:"trace"`
			}
			if err := getJSON(si.Tempo.URL+"/api/v2/traces/"+id, &v); err != nil {
				return err
			}
			if len(v.Trace.ResourceSpans) == 0 {
				return fmt.Errorf("trace %s not found yet", id)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("tempo never returned trace %s: %w", id, err)
		}
		// Search lags trace-by-id while the live store indexes the spans:
		// wait until a search over the alerted service finds nearly all of
		// its traces (up to the limit).
		const limit = 1000
		svc := si.Truth.AlertService
		if svc == "" {
			svc = si.Truth.EntryService
		}
		// Wait on the kind of trace the scenario is about: the live store
		// answers some conditions (span duration) later than others.
		q, pool := fmt.Sprintf(`{ resource.service.name = %q && status = error }`, svc), len(si.Truth.FailingTraceIDs)
		if si.Truth.Kind == sim.KindLatency {
			q, pool = fmt.Sprintf(`{ resource.service.name = %q && duration > 1s }`, svc), len(si.Truth.SlowTraceIDs)
		}
		want := min(limit, pool) * 9 / 10
		sq := url.Values{"q": {q}, "limit": {fmt.Sprint(limit)},
			"start": {fmt.Sprint(si.Truth.Start.Unix())}, "end": {fmt.Sprint(now.Add(time.Minute).Unix())}}
		last := 0
		err = poll(ctx, 120*time.Second, func(ctx context.Context) error {
			var v struct {
				Traces []any `json:"traces"`
			}
			if err := getJSON(si.Tempo.URL+"/api/search?"+sq.Encode(), &v); err != nil {
				return err
			}
			if last = len(v.Traces); last < want {
				return fmt.Errorf("search %s finds %d traces, want %d", q, last, want)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("tempo search never found the failing traces: %w", err)
		}
	}
	return si, nil
}

// installRules writes the simulator's alert rules and reloads Prometheus.
func installRules(b *Backend, rules []byte) error {
	if b.proc == nil {
		return nil
	}
	path := filepath.Join(b.proc.dir, "rules", "sim.yml")
	if err := os.WriteFile(path, rules, 0o644); err != nil {
		return err
	}
	resp, err := http.Post(b.URL+"/-/reload", "", nil)
	if err != nil {
		return fmt.Errorf("reload prometheus: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("reload prometheus: HTTP %d (rules rejected? see %s)", resp.StatusCode, b.proc.logPath)
	}
	return nil
}

func promHasData(base, query string) error {
	return hasResult(base + "/api/v1/query?" + url.Values{"query": {query}}.Encode())
}

// hasResult checks that a Prometheus-style query answers a non-empty result.
func hasResult(u string) error {
	var v struct {
		Status string `json:"status"`
		Data   struct {
			Result []any `json:"result"`
		} `json:"data"`
	}
	if err := getJSON(u, &v); err != nil {
		return err
	}
	if len(v.Data.Result) == 0 {
		return fmt.Errorf("empty result from %s", u)
	}
	return nil
}
