package config

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TRIAGE_CONFIG names the file when --config does not; a file it names
// that is missing is an error naming the variable.
func TestConfigFileFromEnv(t *testing.T) {
	isolate(t)
	path := writeConfig(t, "theme: light\n")
	t.Setenv(ConfigEnv, path)
	l, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if l.File != path || l.Theme != "light" {
		t.Errorf("file %q theme %q: want %s read", l.File, l.Theme, path)
	}
	other := writeConfig(t, "theme: mono\n")
	if l, err = Load(other, nil); err != nil || l.File != other {
		t.Errorf("--config does not win over %s: %v %+v", ConfigEnv, err, l)
	}
	t.Setenv(ConfigEnv, path+".missing")
	if _, err := Load("", nil); err == nil || !strings.Contains(err.Error(), ConfigEnv) {
		t.Errorf("missing file from %s: %v", ConfigEnv, err)
	}
}

// The names the backends' own tools read set the sources, above the file
// and below Triage's own variables and the flags; LOKI_ORG_ID sets the
// tenant header. A bad value names the variable it came from.
func TestOtherToolsEnv(t *testing.T) {
	isolate(t)
	path := writeConfig(t, "sources:\n  loki: {url: http://file:3100, headers: {X-Extra: a}}\n")
	t.Setenv("LOKI_ADDR", "http://logcli:3100")
	t.Setenv("LOKI_ORG_ID", "tenant-1")
	t.Setenv("PROMETHEUS_URL", "http://prom:9090")
	t.Setenv("ALERTMANAGER_URL", "http://am:9093")
	l, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if l.Sources.Loki.URL != "http://logcli:3100" || l.Sources.Prometheus.URL != "http://prom:9090" || l.Sources.Alertmanager.URL != "http://am:9093" {
		t.Errorf("other tools' names not read: %+v", l.Sources)
	}
	if h := l.Sources.Loki.Headers; h["X-Scope-OrgID"] != "tenant-1" || h["x-extra"] != "a" {
		t.Errorf("loki headers %v", h)
	}
	found := map[string]string{}
	for _, e := range l.FromEnv {
		found[e.Key] = e.Env
	}
	if found["sources.loki.url"] != "LOKI_ADDR" || found["sources.prometheus.url"] != "PROMETHEUS_URL" {
		t.Errorf("origins %v", l.FromEnv)
	}

	t.Setenv("TRIAGE_SOURCES_LOKI_URL", "http://triage:3100")
	if l, err = Load(path, nil); err != nil || l.Sources.Loki.URL != "http://triage:3100" {
		t.Errorf("TRIAGE_SOURCES_LOKI_URL does not win over LOKI_ADDR: %v %s", err, l.Sources.Loki.URL)
	}
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.String("prometheus-url", "", "")
	if err := fs.Parse([]string{"--prometheus-url=http://flag:9090"}); err != nil {
		t.Fatal(err)
	}
	if l, err = Load(path, fs); err != nil || l.Sources.Prometheus.URL != "http://flag:9090" {
		t.Errorf("flag does not win over PROMETHEUS_URL: %v %s", err, l.Sources.Prometheus.URL)
	}

	t.Setenv("ALERTMANAGER_URL", "am:9093")
	_, err = Load(path, nil)
	if err == nil || !strings.Contains(err.Error(), "sources.alertmanager.url") || !strings.Contains(err.Error(), "(from ALERTMANAGER_URL)") {
		t.Errorf("bad value from ALERTMANAGER_URL: %v", err)
	}
}
