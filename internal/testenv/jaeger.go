package testenv

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// jaegerMaxTraces bounds Jaeger's in-memory store; the simulator's incident
// needs far fewer, and a search may look as deep as the store holds.
const jaegerMaxTraces = 200000

// startJaeger starts Jaeger v2 on in-memory storage: OTLP gRPC and HTTP in,
// the query service's HTTP (api/v3 and the UI's API) and gRPC out, a
// health check for readiness. Every listener is on loopback; nothing is
// written outside its temp dir (the in-memory store writes nothing at all).
func startJaeger(e *env) (*Backend, error) {
	dir, err := e.dir("jaeger")
	if err != nil {
		return nil, err
	}
	ports, err := freePorts(5)
	if err != nil {
		return nil, err
	}
	query, queryGRPC, otlpGRPC, otlpHTTP, health := ports[0], ports[1], ports[2], ports[3], ports[4]
	cfgPath, err := writeFile(dir, "jaeger.yaml", jaegerConfig(query, queryGRPC, otlpGRPC, otlpHTTP, health))
	if err != nil {
		return nil, err
	}
	p := &proc{name: "jaeger", label: e.label("jaeger"), bin: os.Getenv("JAEGER_BIN"), dir: dir, logPath: filepath.Join(dir, "log"), args: []string{"--config", "file:" + cfgPath}}
	b := &Backend{Name: "jaeger", URL: fmt.Sprintf("http://127.0.0.1:%d", query), proc: p,
		OTLP:  fmt.Sprintf("http://127.0.0.1:%d", otlpHTTP),
		ready: fmt.Sprintf("http://127.0.0.1:%d/status", health)}
	if err := p.start(); err != nil {
		return nil, err
	}
	if err := p.waitReady(b.ready, 60*time.Second); err != nil {
		p.stop()
		return nil, err
	}
	// The health check turns green with the pipelines; the query service
	// is an extension started before them, so it answers by now.
	if err := getJSON(b.URL+"/api/v3/services", &struct{}{}); err != nil {
		p.stop()
		return nil, fmt.Errorf("jaeger query service: %w", err)
	}
	b.Version = jaegerVersion(b.URL)
	return b, nil
}

// jaegerConfig is a Jaeger v2 (an OpenTelemetry Collector build) with the
// in-memory store, after cmd/jaeger/internal/all-in-one.yaml without the
// Jaeger, Zipkin and sampling endpoints, and with its own telemetry off so
// it binds no fixed port.
func jaegerConfig(query, queryGRPC, otlpGRPC, otlpHTTP, health int) string {
	return fmt.Sprintf(`service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [jaeger_storage_exporter]
  telemetry:
    resource:
      service.name: jaeger
    metrics:
      level: none
    logs:
      level: warn
extensions:
  healthcheckv2:
    use_v2: true
    http:
      endpoint: 127.0.0.1:%[5]d
  jaeger_query:
    storage:
      traces: memstore
    # Its own spans would land in the store beside the incident's.
    enable_tracing: false
    http:
      endpoint: 127.0.0.1:%[1]d
    grpc:
      endpoint: 127.0.0.1:%[2]d
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: %[6]d
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:%[3]d
      http:
        endpoint: 127.0.0.1:%[4]d
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`, query, queryGRPC, otlpGRPC, otlpHTTP, health, jaegerMaxTraces)
}

// jaegerVersionRE finds the version the query service writes into its UI
// page: JAEGER_VERSION = {"gitCommit":…,"gitVersion":"v2.12.0",…};
var jaegerVersionRE = regexp.MustCompile(`JAEGER_VERSION = \{[^}]*"gitVersion":"([^"]*)"`)

func jaegerVersion(base string) string {
	body, err := getText(base + "/")
	if err != nil {
		return ""
	}
	if m := jaegerVersionRE.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

func getText(u string) (string, error) {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("GET %s: HTTP %d", u, resp.StatusCode)
	}
	return string(b), nil
}

// waitJaeger waits until Jaeger returns the first and the last of the
// incident's affected traces by id, and a search of the alerted service
// finds traces.
func waitJaeger(ctx context.Context, si *SimIncident) error {
	affected := append(append([]string{}, si.Truth.FailingTraceIDs...), si.Truth.SlowTraceIDs...)
	if len(affected) == 0 {
		return nil
	}
	for _, id := range []string{affected[0], affected[len(affected)-1]} {
		err := poll(ctx, 60*time.Second, func(ctx context.Context) error {
			return getJSON(si.Jaeger.URL+"/api/v3/traces/"+id, &struct{}{})
		})
		if err != nil {
			return fmt.Errorf("jaeger never returned trace %s: %w", id, err)
		}
	}
	svc := si.Truth.AlertService
	if svc == "" {
		svc = si.Truth.EntryService
	}
	q := url.Values{"query.service_name": {svc}, "query.num_traces": {"1"},
		"query.start_time_min": {si.Truth.Start.Add(-time.Minute).UTC().Format(time.RFC3339Nano)},
		"query.start_time_max": {si.Now.Add(time.Minute).UTC().Format(time.RFC3339Nano)}}
	err := poll(ctx, 30*time.Second, func(ctx context.Context) error {
		return getJSON(si.Jaeger.URL+"/api/v3/traces?"+q.Encode(), &struct{}{})
	})
	if err != nil {
		return fmt.Errorf("jaeger search never found traces of %s: %w", svc, err)
	}
	return nil
}
