package config

import (
	"fmt"
	"net"
	"time"

	"github.com/triagectl/triage/sources/alertmanager"
)

// validate checks the daemon's keys beyond their types.
func (s Serve) validate(p *problems) {
	for _, l := range []struct{ key, addr string }{{"serve.webhook_listen", s.WebhookListen}, {"serve.ssh_listen", s.SSHListen}} {
		if l.addr == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(l.addr); err != nil {
			p.add(l.key, l.addr, "host:port or :port, e.g. :9095, or empty to turn it off")
		}
	}
	if s.Workers < 1 || s.Workers > 256 {
		p.add("serve.workers", fmt.Sprint(s.Workers), "a number of concurrent investigations between 1 and 256")
	}
	if s.Refresh < 10*time.Second {
		p.add("serve.refresh_interval", s.Refresh.String(), "a duration of at least 10s")
	}
	if s.MaxVerdictAge < 0 {
		p.add("serve.max_verdict_age", s.MaxVerdictAge.String(), "a duration, or 0 never to refresh an opened verdict on its own")
	}
	if s.Coalesce < 0 || s.Coalesce > s.Refresh {
		p.add("serve.coalesce_window", s.Coalesce.String(), "a duration between 0 and serve.refresh_interval ("+s.Refresh.String()+")")
	}
	for _, l := range []struct {
		key string
		v   int
	}{{"serve.source_concurrency.prometheus", s.SourceConcurrency.Prometheus},
		{"serve.source_concurrency.loki", s.SourceConcurrency.Loki},
		{"serve.source_concurrency.tempo", s.SourceConcurrency.Tempo}} {
		if l.v < 1 || l.v > 1024 {
			p.add(l.key, fmt.Sprint(l.v), "a number of concurrent requests between 1 and 1024")
		}
	}
	if s.Watchdog.MaxGap <= 0 {
		p.add("serve.watchdog.max_gap", s.Watchdog.MaxGap.String(), "a positive duration above the Watchdog's repeat_interval, e.g. 10m")
	}
	for i, m := range s.Watchdog.Matchers {
		if _, err := alertmanager.ParseMatcher(m); err != nil {
			p.add(fmt.Sprintf("serve.watchdog.matchers[%d]", i), m, `a matcher such as severity="none" (`+err.Error()+")")
		}
	}
	if s.WebhookBasicAuth.Username != "" && s.WebhookBasicAuth.PasswordFile == "" {
		p.add("serve.webhook_basic_auth.password_file", "", "a file holding the password for username "+s.WebhookBasicAuth.Username)
	}
	if s.WebhookBasicAuth.PasswordFile != "" && s.WebhookBasicAuth.Username == "" {
		p.add("serve.webhook_basic_auth.username", "", "a username to go with password_file")
	}
}
