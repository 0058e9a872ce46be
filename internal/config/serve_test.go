package config

import (
	"strings"
	"testing"
	"time"
)

func TestServeKeysLoad(t *testing.T) {
	isolate(t)
	path := writeConfig(t, `serve:
  workers: 2
  refresh_interval: 2m
  coalesce_window: 30s
  source_concurrency: {prometheus: 3, loki: 2, tempo: 1}
  webhook_basic_auth: {username: am, password_file: /run/secrets/am}
  watchdog:
    alertname: Watchdog
    matchers: ['severity="none"', 'Prometheus=~"monitoring/.*"']
    max_gap: 15m
`)
	l, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := l.Serve
	if s.Workers != 2 || s.Refresh != 2*time.Minute || s.Coalesce != 30*time.Second ||
		s.SourceConcurrency != (SourceConcurrency{3, 2, 1}) || s.WebhookBasicAuth.Username != "am" {
		t.Errorf("serve = %+v", s)
	}
	// Label names keep their case: Alertmanager's labels are case-sensitive.
	w := s.Watchdog
	if !w.Enabled() || w.Alertname != "Watchdog" || w.MaxGap != 15*time.Minute || len(w.Matchers) != 2 || w.Matchers[1] != `Prometheus=~"monitoring/.*"` {
		t.Errorf("watchdog = %+v", w)
	}
	if Default().Serve.Watchdog.Enabled() {
		t.Error("a Watchdog is configured by default")
	}
}

func TestServeValidation(t *testing.T) {
	cases := []struct {
		name, file string
		want       []string
	}{
		{"no workers", "serve: {workers: 0}\n", []string{"serve.workers", `"0"`, "between 1 and 256"}},
		{"refresh too often", "serve: {refresh_interval: 1s}\n", []string{"serve.refresh_interval", `"1s"`, "at least 10s"}},
		{"coalesce above refresh", "serve: {refresh_interval: 1m, coalesce_window: 2m}\n", []string{"serve.coalesce_window", `"2m0s"`, "serve.refresh_interval"}},
		{"source limit", "serve: {source_concurrency: {loki: 0}}\n", []string{"serve.source_concurrency.loki", `"0"`, "between 1 and 1024"}},
		{"watchdog gap", "serve: {watchdog: {alertname: Watchdog, max_gap: 0s}}\n", []string{"serve.watchdog.max_gap", "positive duration"}},
		{"basic auth without password", "serve: {webhook_basic_auth: {username: am}}\n", []string{"serve.webhook_basic_auth.password_file", "username am"}},
		{"bad watchdog matcher", "serve: {watchdog: {matchers: [severity]}}\n", []string{"serve.watchdog.matchers[0]", `"severity"`, "no operator"}},
		{"bad listen address", "serve: {webhook_listen: 'localhost'}\n", []string{"serve.webhook_listen", `"localhost"`, "host:port"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			isolate(t)
			_, err := Load(writeConfig(t, c.file), nil)
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
