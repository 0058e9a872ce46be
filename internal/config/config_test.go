package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

var update = flag.Bool("update", false, "rewrite golden files")

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func isolate(t *testing.T) {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, EnvPrefix+"_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	for _, e := range append(OtherToolsEnv, EnvName{Env: lokiOrgID}) {
		t.Setenv(e.Env, "")
		os.Unsetenv(e.Env)
	}
}

// The merged result of the spec's example file, printed with secrets
// redacted, is pinned by a golden file.
func TestGoldenMergedConfig(t *testing.T) {
	isolate(t)
	l, err := Load("testdata/full.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := l.Redacted().YAML()
	if err != nil {
		t.Fatal(err)
	}
	golden := "testdata/full.golden.yaml"
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if string(got) != string(want) {
		t.Errorf("merged config differs from %s:\n%s", golden, got)
	}
	if strings.Contains(string(got), "s3cr3t") {
		t.Error("secret bearer_token printed")
	}
}

func TestDefaultsWithoutFile(t *testing.T) {
	isolate(t)
	l, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if l.File != "" {
		t.Errorf("file = %q, want none", l.File)
	}
	if l.Triage.TraceSample != 200 || l.Triage.Lookback != 15*time.Minute || l.Theme != "dark" {
		t.Errorf("defaults not applied: %+v", l.Triage)
	}
	if l.Sources.Prometheus.Configured() {
		t.Error("prometheus configured with no file")
	}
}

func TestPrecedenceFileEnvFlags(t *testing.T) {
	isolate(t)
	path := writeConfig(t, "sources:\n  loki: {url: http://file:3100, timeout: 3s}\ntheme: light\ntriage: {trace_sample: 50}\n")

	l, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if l.Sources.Loki.URL != "http://file:3100" || l.Theme != "light" || l.Triage.TraceSample != 50 {
		t.Fatalf("file not applied: %+v", l.Config)
	}

	t.Setenv("TRIAGE_SOURCES_LOKI_URL", "http://env:3100")
	t.Setenv("TRIAGE_THEME", "mono")
	t.Setenv("TRIAGE_MAPPING_SERVICE_LABELS", "svc,job")
	l, err = Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if l.Sources.Loki.URL != "http://env:3100" || l.Theme != "mono" {
		t.Fatalf("env does not override file: loki=%s theme=%s", l.Sources.Loki.URL, l.Theme)
	}
	if l.Sources.Loki.Timeout != 3*time.Second {
		t.Errorf("file value lost under env: timeout=%s", l.Sources.Loki.Timeout)
	}
	if strings.Join(l.Mapping.ServiceLabels, ",") != "svc,job" {
		t.Errorf("list from env = %v", l.Mapping.ServiceLabels)
	}

	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.String("loki-url", "", "")
	fs.String("theme", "", "")
	fs.String("tempo-url", "", "")
	if err := fs.Parse([]string{"--loki-url=http://flag:3100"}); err != nil {
		t.Fatal(err)
	}
	l, err = Load(path, fs)
	if err != nil {
		t.Fatal(err)
	}
	if l.Sources.Loki.URL != "http://flag:3100" {
		t.Errorf("flag does not override env: %s", l.Sources.Loki.URL)
	}
	if l.Theme != "mono" {
		t.Errorf("unset flag overrode env: theme=%s", l.Theme)
	}
	if l.Sources.Tempo.Configured() {
		t.Error("unset tempo-url flag configured tempo")
	}
}

func TestValidationNamesKeyValueAndExpectation(t *testing.T) {
	cases := []struct {
		name, file string
		env        map[string]string
		want       []string
	}{
		{"bad duration", "sources:\n  prometheus: {url: http://p:9090, timeout: soon}\n", nil,
			[]string{"sources.prometheus.timeout", `"soon"`, "a duration"}},
		{"negative timeout", "sources:\n  prometheus: {url: http://p:9090, timeout: -5s}\n", nil,
			[]string{"sources.prometheus.timeout", `"-5s"`, "positive duration"}},
		{"bad url", "sources:\n  loki: {url: 'loki:3100'}\n", nil,
			[]string{"sources.loki.url", `"loki:3100"`, "http:// or https://"}},
		{"bad theme", "theme: neon\n", nil, []string{"theme", `"neon"`, "dark, light, high-contrast, mono"}},
		{"sample not a number", "triage: {trace_sample: many}\n", nil, []string{"triage.trace_sample", `"many"`, "whole number"}},
		{"sample out of range", "triage: {trace_sample: 0}\n", nil, []string{"triage.trace_sample", `"0"`, "between 1 and 10000"}},
		{"unknown key", "sources:\n  prometheus: {url: http://p:9090, tiemout: 5s}\n", nil,
			[]string{"sources.prometheus.tiemout", "known key"}},
		{"both passwords", "sources:\n  loki: {url: http://l:3100, basic_auth: {username: u, password: p, password_file: /f}}\n", nil,
			[]string{"sources.loki.basic_auth.password_file", "not both"}},
		{"bad env duration", "", map[string]string{"TRIAGE_TRIAGE_LOOKBACK": "fortnight"},
			[]string{"triage.lookback", `"fortnight"`, "a duration"}},
		{"empty service labels", "mapping: {service_labels: []}\n", nil, []string{"mapping.service_labels", "at least one"}},
		{"retries out of range", "sources:\n  tempo: {url: http://t:3200, retries: 50}\n", nil, []string{"sources.tempo.retries", `"50"`, "between 0 and 10"}},
		{"unknown metrics preset", "mapping: {metrics_preset: datadog}\n", nil, []string{"mapping.metrics_preset", `"datadog"`, "tempo, otel"}},
		{"unknown datasource", "grafana: {datasources: {zipkin: z1}}\n", nil, []string{"grafana.datasources.zipkin", "tempo or jaeger"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			isolate(t)
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			path := writeConfig(t, c.file)
			_, err := Load(path, nil)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestExplicitMissingFileIsAnError(t *testing.T) {
	isolate(t)
	if _, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), nil); err == nil {
		t.Fatal("missing --config file accepted")
	}
}

func TestHeadersAreFreeForm(t *testing.T) {
	isolate(t)
	path := writeConfig(t, "sources:\n  loki: {url: http://l:3100, headers: {X-Scope-OrgID: team-a, Authorization: Basic abc}}\n")
	l, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := l.Sources.Loki.Headers
	if h["X-Scope-OrgID"] != "team-a" && h["x-scope-orgid"] != "team-a" {
		t.Fatalf("headers = %v", h)
	}
	out, _ := l.Redacted().YAML()
	if strings.Contains(string(out), "Basic abc") {
		t.Errorf("authorization header printed: %s", out)
	}
}

// Jaeger is configured like the other sources, from the file, the
// environment or --jaeger-url, and validated alike.
func TestJaegerSource(t *testing.T) {
	isolate(t)
	path := writeConfig(t, "sources:\n  jaeger: {url: http://jaeger:16686, timeout: 7s, headers: {X-Tenant: a}, "+
		"basic_auth: {username: u, password: pw}, tls: {ca_file: ca.pem}}\n")
	l, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	j := l.Sources.Jaeger
	if j.URL != "http://jaeger:16686" || j.Timeout != 7*time.Second || j.TLS.CAFile != "ca.pem" || j.BasicAuth == nil || j.BasicAuth.Username != "u" {
		t.Fatalf("jaeger = %+v", j)
	}
	if j.Headers["X-Tenant"] != "a" && j.Headers["x-tenant"] != "a" {
		t.Errorf("headers = %v", j.Headers)
	}
	var names []string
	for _, n := range l.Sources.Each() {
		names = append(names, n.Name)
	}
	if strings.Join(names, ",") != "prometheus,loki,tempo,jaeger,alertmanager" {
		t.Errorf("sources in order: %v", names)
	}
	out, _ := l.Redacted().YAML()
	if strings.Contains(string(out), "pw") || !strings.Contains(string(out), "jaeger:\n    url: http://jaeger:16686") {
		t.Errorf("redacted config:\n%s", out)
	}

	isolate(t)
	t.Setenv("TRIAGE_SOURCES_JAEGER_URL", "http://env:16686")
	l, err = Load("", nil)
	if err != nil || l.Sources.Jaeger.URL != "http://env:16686" {
		t.Fatalf("env: %v %+v", err, l)
	}
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.String("jaeger-url", "", "")
	if err := fs.Parse([]string{"--jaeger-url=http://flag:16686"}); err != nil {
		t.Fatal(err)
	}
	l, err = Load("", fs)
	if err != nil || l.Sources.Jaeger.URL != "http://flag:16686" {
		t.Fatalf("flag: %v %+v", err, l)
	}

	for _, c := range []struct{ file, want string }{
		{"sources:\n  jaeger: {url: 'jaeger:16686'}\n", `sources.jaeger.url = "jaeger:16686": expected an http:// or https:// URL`},
		{"sources:\n  jaeger: {url: http://j:16686, bearer_token: a, bearer_token_file: /f}\n", "sources.jaeger.bearer_token_file"},
		{"sources:\n  jaeger: {url: http://j:16686, tls: {cert_file: c.pem}}\n", "sources.jaeger.tls.key_file"},
	} {
		isolate(t)
		if _, err := Load(writeConfig(t, c.file), nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want %q", c.file, err, c.want)
		}
	}
}

// One investigation reads one trace backend: naming both is an error that
// says so, wherever the second one comes from.
func TestTempoAndJaegerBothSetIsAnError(t *testing.T) {
	const want = "sources.tempo and sources.jaeger are both set: one trace backend per investigation"
	isolate(t)
	path := writeConfig(t, "sources:\n  tempo: {url: http://tempo:3200}\n  jaeger: {url: http://jaeger:16686}\n")
	_, err := Load(path, nil)
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "http://jaeger:16686") {
		t.Fatalf("err = %v", err)
	}

	isolate(t)
	path = writeConfig(t, "sources:\n  tempo: {url: http://tempo:3200}\n")
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.String("jaeger-url", "", "")
	if err := fs.Parse([]string{"--jaeger-url=http://flag:16686"}); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, fs); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("tempo in the file, jaeger by flag: err = %v", err)
	}
	if _, err := Load(path, nil); err != nil {
		t.Fatalf("tempo alone: %v", err)
	}
}

// A file with several bad values gets all of them named at once, each
// with its key, value and what was expected: keys the console would
// refuse only when it starts, and headers HTTP cannot carry.
func TestEveryProblemReported(t *testing.T) {
	isolate(t)
	path := writeConfig(t, `keys:
  notanaction: x
  silence: ctrl+c
  filter: ""
  refresh: ctlr+r
  help: "?"
sources:
  loki:
    url: http://l:3100
    headers: {"X Scope": team-a, X-Ok: fine}
  tempo:
    url: http://t:3200
    headers: {X-Scope-OrgID: "team-a\r\nX-Injected: 1"}
theme: neon
serve: {workers: 0, ssh_listen: localhost}
`)
	_, err := Load(path, nil)
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	for _, want := range [][]string{
		{`keys.notanaction = "x"`, "an action: one of back, bottom"},
		{`keys.silence = "ctrl+c"`, "reserved"},
		{`keys.filter = ""`, "names no key"},
		{`keys.refresh = "ctlr+r"`, `unknown modifier "ctlr"`},
		{`sources.loki.headers = "x scope"`, "no spaces"},
		{`sources.tempo.headers.x-scope-orgid = "team-a\r\nX-Injected: 1"`, "without control characters"},
		{`theme = "neon"`, "one of dark"},
		{`serve.workers = "0"`, "between 1 and 256"},
		{`serve.ssh_listen = "localhost"`, "host:port"},
	} {
		found := false
		for _, l := range lines {
			if strings.Contains(l, want[0]) && strings.Contains(l, want[1]) {
				found = true
			}
		}
		if !found {
			t.Errorf("no line with %q and %q in:\n%s", want[0], want[1], err)
		}
	}
	if len(lines) != 9 {
		t.Errorf("%d problems reported, want 9:\n%s", len(lines), err)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "config: ") {
			t.Errorf("line %q does not start with config:", l)
		}
	}
}

// Unknown keys and values of the wrong type are all listed too.
func TestEveryUnknownKeyAndTypeReported(t *testing.T) {
	isolate(t)
	_, err := Load(writeConfig(t, "sources:\n  loki: {url: http://l:3100, tiemout: 5s, retries: many}\ntriage: {lookbak: 5m, trace_sample: lots}\n"), nil)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"sources.loki.tiemout", "triage.lookbak", `sources.loki.retries = "many"`, `triage.trace_sample = "lots"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%s", want, err)
		}
	}
}
