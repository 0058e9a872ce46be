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
  source_concurrency: {prometheus: 3, loki: 2, tempo: 1, jaeger: 5}
  webhook_basic_auth: {username: am, password_file: /run/secrets/am}
  ssh_max_sessions: 4
  ssh_idle_timeout: 0
  ssh_max_startups: "3:50:9"
  ssh_per_source_max_startups: 2
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
		s.SourceConcurrency != (SourceConcurrency{3, 2, 1, 5}) || s.WebhookBasicAuth.Username != "am" ||
		s.SSHMaxSessions != 4 || s.SSHIdleTimeout != 0 || s.SSHMaxStartups != "3:50:9" || s.SSHPerSourceMaxStartups != 2 {
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
		{"no ssh sessions", "serve: {ssh_max_sessions: 0}\n", []string{"serve.ssh_max_sessions", `"0"`, "between 1 and 4096"}},
		{"idle timeout too short", "serve: {ssh_idle_timeout: 500ms}\n", []string{"serve.ssh_idle_timeout", `"500ms"`, "at least 1s, or 0"}},
		{"max startups of two numbers", "serve: {ssh_max_startups: '10:30'}\n", []string{"serve.ssh_max_startups", `"10:30"`, "three separated by colons"}},
		{"max startups start over full", "serve: {ssh_max_startups: '30:30:10'}\n", []string{"serve.ssh_max_startups", "start at most full"}},
		{"max startups rate", "serve: {ssh_max_startups: '10:0:100'}\n", []string{"serve.ssh_max_startups", "between 1 and 100"}},
		{"max startups not a number", "serve: {ssh_max_startups: ten}\n", []string{"serve.ssh_max_startups", `"ten" is not a whole number`}},
		{"per source over full", "serve: {ssh_max_startups: '10:30:20', ssh_per_source_max_startups: 21}\n", []string{"serve.ssh_per_source_max_startups", `"21"`, "full (20)"}},
		{"per source negative", "serve: {ssh_per_source_max_startups: -1}\n", []string{"serve.ssh_per_source_max_startups", `"-1"`, "or 0 for no limit"}},
		{"bundle line cap", "bundle: {max_line_bytes: 1000}\n", []string{"bundle.max_line_bytes", `"1000"`, "at least 1 MiB"}},
		{"bundle line over total", "bundle: {max_line_bytes: 67108864, max_bytes: 33554432}\n", []string{"bundle.max_line_bytes", "up to bundle.max_bytes (33554432)"}},
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

func TestParseMaxStartups(t *testing.T) {
	for _, c := range []struct {
		in   string
		want MaxStartups
	}{{"10:30:100", MaxStartups{10, 30, 100}}, {"4", MaxStartups{4, 100, 4}}, {" 1:100:1 ", MaxStartups{1, 100, 1}}} {
		if got, err := ParseMaxStartups(c.in); err != nil || got != c.want {
			t.Errorf("ParseMaxStartups(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{"", "0", "1:2", "a:b:c", "5:101:10", "-1:30:100", "10:30:100:1"} {
		if _, err := ParseMaxStartups(in); err == nil {
			t.Errorf("ParseMaxStartups(%q) accepted", in)
		}
	}
}
