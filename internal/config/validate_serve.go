package config

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
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
	if s.SSHMaxSessions < 1 || s.SSHMaxSessions > 4096 {
		p.add("serve.ssh_max_sessions", fmt.Sprint(s.SSHMaxSessions), "a number of sessions between 1 and 4096")
	}
	if d := s.SSHIdleTimeout; d < 0 || (d > 0 && d < time.Second) {
		p.add("serve.ssh_idle_timeout", d.String(), "a duration of at least 1s, or 0 never to close an idle session")
	}
	ms, err := ParseMaxStartups(s.SSHMaxStartups)
	if err != nil {
		p.add("serve.ssh_max_startups", s.SSHMaxStartups, `start:rate:full as sshd's MaxStartups, e.g. "10:30:100", or one number (`+err.Error()+")")
	}
	if n := s.SSHPerSourceMaxStartups; n < 0 || (err == nil && n > ms.Full) {
		p.add("serve.ssh_per_source_max_startups", fmt.Sprint(n), fmt.Sprintf("a number of connections from one address between 1 and serve.ssh_max_startups' full (%d), or 0 for no limit", ms.Full))
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
		{"serve.source_concurrency.tempo", s.SourceConcurrency.Tempo},
		{"serve.source_concurrency.jaeger", s.SourceConcurrency.Jaeger}} {
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

// MaxStartups is sshd's MaxStartups: once Start connections are not yet
// authenticated, a new one is refused with probability Rate%, rising
// linearly to all of them at Full.
type MaxStartups struct {
	Start, Rate, Full int
}

// ParseMaxStartups reads "start:rate:full", or "n" for n:100:n.
func ParseMaxStartups(s string) (MaxStartups, error) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	nums := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return MaxStartups{}, fmt.Errorf("%q is not a whole number", p)
		}
		nums[i] = n
	}
	var m MaxStartups
	switch len(nums) {
	case 1:
		m = MaxStartups{Start: nums[0], Rate: 100, Full: nums[0]}
	case 3:
		m = MaxStartups{Start: nums[0], Rate: nums[1], Full: nums[2]}
	default:
		return MaxStartups{}, errors.New("one number or three separated by colons")
	}
	switch {
	case m.Start < 1 || m.Full > 10000:
		return m, errors.New("start at least 1 and full at most 10000")
	case m.Rate < 1 || m.Rate > 100:
		return m, errors.New("rate a percentage between 1 and 100")
	case m.Start > m.Full:
		return m, errors.New("start at most full")
	}
	return m, nil
}
