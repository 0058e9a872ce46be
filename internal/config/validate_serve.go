package config

import (
	"fmt"
	"net"
	"time"

	"github.com/triagectl/triage/sources/alertmanager"
)

// validate checks the daemon's keys beyond their types.
func (s Serve) validate() error {
	if s.WebhookListen != "" {
		if _, _, err := net.SplitHostPort(s.WebhookListen); err != nil {
			return &Error{"serve.webhook_listen", s.WebhookListen, "host:port or :port, e.g. :9095", 0}
		}
	}
	if s.Workers < 1 || s.Workers > 256 {
		return &Error{"serve.workers", fmt.Sprint(s.Workers), "a number of concurrent investigations between 1 and 256", 0}
	}
	if s.Refresh < 10*time.Second {
		return &Error{"serve.refresh_interval", s.Refresh.String(), "a duration of at least 10s", 0}
	}
	if s.Coalesce < 0 || s.Coalesce > s.Refresh {
		return &Error{"serve.coalesce_window", s.Coalesce.String(), "a duration between 0 and serve.refresh_interval (" + s.Refresh.String() + ")", 0}
	}
	for _, l := range []struct {
		key string
		v   int
	}{{"serve.source_concurrency.prometheus", s.SourceConcurrency.Prometheus},
		{"serve.source_concurrency.loki", s.SourceConcurrency.Loki},
		{"serve.source_concurrency.tempo", s.SourceConcurrency.Tempo}} {
		if l.v < 1 || l.v > 1024 {
			return &Error{l.key, fmt.Sprint(l.v), "a number of concurrent requests between 1 and 1024", 0}
		}
	}
	if s.Watchdog.MaxGap <= 0 {
		return &Error{"serve.watchdog.max_gap", s.Watchdog.MaxGap.String(), "a positive duration above the Watchdog's repeat_interval, e.g. 10m", 0}
	}
	for i, m := range s.Watchdog.Matchers {
		if _, err := alertmanager.ParseMatcher(m); err != nil {
			return &Error{fmt.Sprintf("serve.watchdog.matchers[%d]", i), m, `a matcher such as severity="none" (` + err.Error() + ")", 0}
		}
	}
	if s.WebhookBasicAuth.Username != "" && s.WebhookBasicAuth.PasswordFile == "" {
		return &Error{"serve.webhook_basic_auth.password_file", "", "a file holding the password for username " + s.WebhookBasicAuth.Username, 0}
	}
	if s.WebhookBasicAuth.PasswordFile != "" && s.WebhookBasicAuth.Username == "" {
		return &Error{"serve.webhook_basic_auth.username", "", "a username to go with password_file", 0}
	}
	return nil
}
