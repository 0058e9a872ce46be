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
