package testenv

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// reservePort returns a port kept for name, so that configs written before
// a backend starts (Prometheus naming Alertmanager) agree with it. The port
// stays bound until release, just before the backend starts, so no other
// process takes it meanwhile.
func (e *env) reservePort(name string) (int, error) {
	if e.ports == nil {
		e.ports, e.held = map[string]int{}, map[string]net.Listener{}
	}
	if p, ok := e.ports[name]; ok {
		return p, nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	p := l.Addr().(*net.TCPAddr).Port
	e.ports[name], e.held[name] = p, l
	return p, nil
}

// release frees a reserved port for its backend to bind.
func (e *env) release(name string) {
	if l := e.held[name]; l != nil {
		l.Close()
		delete(e.held, name)
	}
}

func (e *env) metricsAddr() (string, error) {
	if e.metrics != nil {
		return e.metrics.addr, nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	m := &metricsServer{addr: l.Addr().String()}
	m.srv = &http.Server{Handler: m, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = m.srv.Serve(l) }()
	e.metrics = m
	return m.addr, nil
}

func startPrometheus(e *env) (*Backend, error) {
	dir, err := e.dir("prometheus")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	simAddr, err := e.metricsAddr()
	if err != nil {
		return nil, err
	}
	amPort, err := e.reservePort("alertmanager")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "rules"), 0o755); err != nil {
		return nil, err
	}
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
storage:
  tsdb:
    out_of_order_time_window: 3h
rule_files: [%q]
alerting:
  alertmanagers:
    - static_configs: [{targets: ["127.0.0.1:%d"]}]
scrape_configs:
  - job_name: sim
    scrape_interval: 1s
    scrape_timeout: 1s
    static_configs: [{targets: [%q]}]
`, filepath.Join(dir, "rules", "*.yml"), amPort, simAddr)
	cfgPath, err := writeFile(dir, "prometheus.yml", cfg)
	if err != nil {
		return nil, err
	}
	return launch(e, "prometheus", "PROMETHEUS_BIN", dir, port, "/-/ready", 90*time.Second, []string{
		"--config.file=" + cfgPath,
		"--storage.tsdb.path=" + filepath.Join(dir, "data"),
		"--web.listen-address=127.0.0.1:" + strconv.Itoa(port),
		"--web.enable-lifecycle",
		"--web.enable-remote-write-receiver",
		"--enable-feature=exemplar-storage",
		"--log.level=warn",
	}, "/api/v1/status/buildinfo", "data", "version")
}

func startLoki(e *env) (*Backend, error) {
	dir, err := e.dir("loki")
	if err != nil {
		return nil, err
	}
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	cfg := fmt.Sprintf(`auth_enabled: false
server:
  http_listen_address: 127.0.0.1
  http_listen_port: %d
  grpc_listen_address: 127.0.0.1
  grpc_listen_port: %d
  log_level: warn
  # The simulator pushes in bursts; Loki forwards them to its pattern
  # ingester in one message, over gRPC's default 4 MiB.
  grpc_server_max_recv_msg_size: 67108864
  grpc_server_max_send_msg_size: 67108864
common:
  instance_addr: 127.0.0.1
  path_prefix: %[3]s
  replication_factor: 1
  storage:
    filesystem:
      chunks_directory: %[3]s/chunks
      rules_directory: %[3]s/rules
  ring:
    kvstore:
      store: inmemory
schema_config:
  configs:
    - from: 2020-10-24
      store: tsdb
      object_store: filesystem
      schema: v13
      index: {prefix: index_, period: 24h}
ingester:
  lifecycler:
    min_ready_duration: 0s
    final_sleep: 0s
limits_config:
  allow_structured_metadata: true
  volume_enabled: true
  discover_log_levels: true
  reject_old_samples: false
pattern_ingester:
  enabled: true
  lifecycler:
    min_ready_duration: 0s
    final_sleep: 0s
query_range:
  results_cache:
    cache:
      embedded_cache: {enabled: false}
  cache_results: false
analytics:
  reporting_enabled: false
`, ports[0], ports[1], dir)
	cfgPath, err := writeFile(dir, "loki.yml", cfg)
	if err != nil {
		return nil, err
	}
	return launch(e, "loki", "LOKI_BIN", dir, ports[0], "/ready", 120*time.Second, []string{"-config.file=" + cfgPath}, "/loki/api/v1/status/buildinfo", "version")
}

func startAlertmanager(e *env) (*Backend, error) {
	dir, err := e.dir("alertmanager")
	if err != nil {
		return nil, err
	}
	port, err := e.reservePort("alertmanager")
	if err != nil {
		return nil, err
	}
	cfg := `route:
  receiver: sink
  group_by: [alertname, service]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1m
receivers:
  - name: sink
`
	if hook := os.Getenv("TRIAGE_TEST_WEBHOOK"); hook != "" {
		cfg += fmt.Sprintf("    webhook_configs: [{url: %q, send_resolved: true}]\n", hook)
	}
	cfgPath, err := writeFile(dir, "alertmanager.yml", cfg)
	if err != nil {
		return nil, err
	}
	e.release("alertmanager")
	return launch(e, "alertmanager", "ALERTMANAGER_BIN", dir, port, "/-/ready", 60*time.Second, []string{
		"--config.file=" + cfgPath,
		"--storage.path=" + filepath.Join(dir, "data"),
		"--web.listen-address=127.0.0.1:" + strconv.Itoa(port),
		"--cluster.listen-address=",
		"--log.level=warn",
	}, "/api/v2/status", "versionInfo", "version")
}

// remoteTempo is a Tempo given by TEMPO_URL (and TEMPO_OTLP for its OTLP/HTTP
// receiver, by default port 4318 on the same host).
func remoteTempo() *Backend {
	u := strings.TrimRight(os.Getenv("TEMPO_URL"), "/")
	otlp := os.Getenv("TEMPO_OTLP")
	if otlp == "" {
		host := strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://")
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		otlp = "http://" + net.JoinHostPort(host, "4318")
	}
	b := &Backend{Name: "tempo", URL: u, OTLP: otlp, remote: true}
	var info struct {
		Version string `json:"version"`
	}
	if getJSON(u+"/api/status/buildinfo", &info) == nil {
		b.Version = info.Version
	}
	return b
}

func startTempo(e *env) (*Backend, error) {
	dir, err := e.dir("tempo")
	if err != nil {
		return nil, err
	}
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	cfgPath, err := writeFile(dir, "tempo.yml", tempoConfig(dir, ports[0], ports[1], ports[2]))
	if err != nil {
		return nil, err
	}
	b, err := launch(e, "tempo", "TEMPO_BIN", dir, ports[0], "/ready", 120*time.Second,
		// The simulator sends the whole incident at once: lift the per-tenant
		// ingestion limits so none of it is refused.
		[]string{"-config.file=" + cfgPath, "-distributor.ingestion-rate-limit-bytes=1000000000",
			"-distributor.ingestion-burst-size-bytes=1000000000", "-ingester.max-traces-per-user=0"},
		"/api/status/buildinfo", "version")
	if err != nil {
		return nil, err
	}
	b.OTLP = fmt.Sprintf("http://127.0.0.1:%d", ports[2])
	return b, nil
}

// tempoConfig is a single-binary Tempo on local storage.
func tempoConfig(dir string, httpPort, grpcPort, otlpPort int) string {
	return fmt.Sprintf(`server:
  http_listen_address: 127.0.0.1
  http_listen_port: %d
  grpc_listen_address: 127.0.0.1
  grpc_listen_port: %d
  log_level: warn
distributor:
  receivers:
    otlp:
      protocols:
        http:
          endpoint: 127.0.0.1:%d
storage:
  trace:
    backend: local
    local: {path: %[4]s/blocks}
    wal: {path: %[4]s/wal}
live_store:
  wal: {path: %[4]s/live-store/traces}
  shutdown_marker_dir: %[4]s/live-store/shutdown-marker
backend_scheduler:
  local_work_path: %[4]s/scheduler
# The simulator back-dates its incident by up to two hours; searches over
# that range must reach the live store, which by default answers only the
# last quarter hour while older data waits for a backend block.
query_frontend:
  search:
    query_backend_after: 3h
    # With the live store split in shards by time, a search over back-dated
    # traces loses the older shards' hits; one shard answers them all.
    ingester_shards: 1
  metrics:
    query_backend_after: 3h
usage_report:
  reporting_enabled: false
`, httpPort, grpcPort, otlpPort, dir)
}

func getJSON(url string, v any) error {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET %s: HTTP %d: %s", url, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return json.Unmarshal(body, v)
}

// launch starts a backend's process, waits for its ready endpoint and reads
// its version from the JSON at versionPath, following keys.
func launch(e *env, name, binEnv, dir string, port int, readyPath string, timeout time.Duration, args []string, versionPath string, keys ...string) (*Backend, error) {
	p := &proc{name: name, label: e.label(name), bin: os.Getenv(binEnv), dir: dir, logPath: filepath.Join(dir, "log"), args: args}
	b := &Backend{Name: name, URL: fmt.Sprintf("http://127.0.0.1:%d", port), proc: p, ready: fmt.Sprintf("http://127.0.0.1:%d%s", port, readyPath)}
	if err := p.start(); err != nil {
		return nil, err
	}
	if err := p.waitReady(b.ready, timeout); err != nil {
		p.stop()
		return nil, err
	}
	var doc any
	if getJSON(b.URL+versionPath, &doc) == nil {
		for _, k := range keys {
			m, _ := doc.(map[string]any)
			doc = m[k]
		}
		b.Version, _ = doc.(string)
	}
	return b, nil
}
