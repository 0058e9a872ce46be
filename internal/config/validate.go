package config

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/triagectl/triage/internal/keyspec"
	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/triage"
)

// Error is a config problem: the key, the value found and what was expected.
type Error struct {
	Key      string
	Value    string
	Expected string
	Extra    int // further problems of the same kind, not listed
	// From names the environment variable that set the value, if one did.
	From string
}

func (e *Error) Error() string {
	from := ""
	if e.From != "" {
		from = " (from " + e.From + ")"
	}
	msg := fmt.Sprintf("config: %s = %q%s: expected %s", e.Key, e.Value, from, e.Expected)
	if e.Extra > 0 {
		msg += fmt.Sprintf(" (and %d more)", e.Extra)
	}
	return msg
}

// problems collects every problem of a config, so that one run names them
// all rather than one per attempt.
type problems []error

func (p *problems) add(key, value, expected string) {
	*p = append(*p, &Error{Key: key, Value: value, Expected: expected})
}

// err joins the problems, one per line, in the order found; nil for none.
func (p problems) err() error { return errors.Join(p...) }

// Validate checks every value that has a constraint beyond its type and
// reports every problem, one per line.
func (c Config) Validate() error {
	var p problems
	for _, s := range c.Sources.Each() {
		validateSource(&p, "sources."+s.Name, s.Config)
	}
	if c.Sources.Tempo.Configured() && c.Sources.Jaeger.Configured() {
		p = append(p, fmt.Errorf("config: sources.tempo and sources.jaeger are both set: one trace backend per investigation "+
			"(tempo %q, jaeger %q); remove one", c.Sources.Tempo.URL, c.Sources.Jaeger.URL))
	}
	t := c.Triage
	positive(&p, "triage.lookback", t.Lookback)
	positive(&p, "triage.baseline_offset", t.BaselineOffset)
	positive(&p, "triage.slow_threshold", t.SlowThreshold)
	positive(&p, "triage.max_lag", t.MaxLag)
	if t.TraceSample < 1 || t.TraceSample > 10000 {
		p.add("triage.trace_sample", fmt.Sprint(t.TraceSample), "a number of traces between 1 and 10000")
	}
	if t.FetchConcurrency < 1 || t.FetchConcurrency > 256 {
		p.add("triage.fetch_concurrency", fmt.Sprint(t.FetchConcurrency), "a number between 1 and 256")
	}
	if len(c.Mapping.ServiceLabels) == 0 {
		p.add("mapping.service_labels", "[]", "at least one label name, e.g. [service, job]")
	}
	if len(c.Mapping.UserAttributes) == 0 {
		p.add("mapping.user_attributes", "[]", "at least one attribute key, e.g. [enduser.id]")
	}
	if !slices.Contains(Themes, c.Theme) {
		p.add("theme", c.Theme, "one of "+strings.Join(Themes, ", "))
	}
	if c.Grafana.URL != "" {
		validateURL(&p, "grafana.url", c.Grafana.URL)
	}
	for _, k := range sortedKeys(c.Grafana.Datasources) {
		if !slices.Contains([]string{"prometheus", "loki", "tempo", "jaeger"}, k) {
			p.add("grafana.datasources."+k, c.Grafana.Datasources[k], "a datasource uid under prometheus, loki, tempo or jaeger")
		}
	}
	if _, err := triage.REDPreset(c.Mapping.MetricsPreset); err != nil {
		p.add("mapping.metrics_preset", c.Mapping.MetricsPreset, "one of "+strings.Join(triage.MetricsPresets(), ", "))
	}
	validateKeys(&p, c.Keys)
	if c.Serve.Retention < 0 {
		p.add("serve.retention", c.Serve.Retention.String(), "a positive duration, or 0 to keep everything")
	}
	if e := c.Serve.AlertExpiry; e < 0 || (e > 0 && e < time.Second) {
		p.add("serve.alert_expiry", e.String(), "a duration above Alertmanager's repeat_interval plus group_interval (default 4h10m), or 0 never to expire alerts")
	}
	c.Serve.validate(&p)
	if n := c.MCP.MaxAnswerBytes; n < MinMCPAnswerBytes || n > MaxMCPAnswerBytes {
		p.add("mcp.max_answer_bytes", fmt.Sprint(n), fmt.Sprintf("a number of bytes between %d and %d", MinMCPAnswerBytes, MaxMCPAnswerBytes))
	}
	c.Bundle.validate(&p)
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level) {
		p.add("log.level", c.Log.Level, "one of debug, info, warn, error")
	}
	return p.err()
}

// validate checks the bundle reader's limits: each positive, and a line
// within the whole.
func (b Bundle) validate(p *problems) {
	for _, l := range []struct {
		key string
		v   int64
	}{{"bundle.max_line_bytes", b.MaxLineBytes}, {"bundle.max_bytes", b.MaxBytes}, {"bundle.max_held_bytes", b.MaxHeldBytes}} {
		if l.v < 1<<20 {
			p.add(l.key, fmt.Sprint(l.v), "a number of bytes of at least 1 MiB (1048576)")
		}
	}
	if b.MaxLineBytes > b.MaxBytes && b.MaxBytes >= 1<<20 {
		p.add("bundle.max_line_bytes", fmt.Sprint(b.MaxLineBytes), fmt.Sprintf("a number of bytes up to bundle.max_bytes (%d)", b.MaxBytes))
	}
}

// validateKeys checks the keys: section against the console's actions
// and key syntax, shared through keyspec.
func validateKeys(p *problems, keys map[string]string) {
	for _, action := range sortedKeys(keys) {
		v := keys[action]
		if !slices.Contains(keyspec.Actions, strings.ToLower(action)) {
			p.add("keys."+action, v, "an action: one of "+strings.Join(keyspec.Actions, ", "))
			continue
		}
		if _, err := keyspec.Parse(v); err != nil {
			p.add("keys."+action, v, keyspec.Expected+"; "+err.Error())
		}
	}
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func positive(p *problems, key string, d time.Duration) {
	if d <= 0 {
		p.add(key, d.String(), "a positive duration such as 15m")
	}
}

func validateURL(p *problems, key, raw string) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.add(key, raw, "an http:// or https:// URL with a host")
	}
}

func validateSource(p *problems, prefix string, s sources.Config) {
	if !s.Configured() {
		return
	}
	validateURL(p, prefix+".url", s.URL)
	if s.Timeout <= 0 {
		p.add(prefix+".timeout", s.Timeout.String(), "a positive duration such as 10s")
	}
	if s.MaxBodyBytes <= 0 {
		p.add(prefix+".max_body_bytes", fmt.Sprint(s.MaxBodyBytes), "a positive number of bytes")
	}
	if s.Retries != nil && (*s.Retries < 0 || *s.Retries > 10) {
		p.add(prefix+".retries", fmt.Sprint(*s.Retries), "a number of retries between 0 and 10")
	}
	for _, name := range sortedKeys(s.Headers) {
		v := s.Headers[name]
		if err := sources.CheckHeader(name, ""); err != nil {
			p.add(prefix+".headers", name, "header names HTTP can carry: letters, digits and !#$%&'*+-.^_`|~, no spaces")
		} else if err := sources.CheckHeader(name, v); err != nil {
			p.add(prefix+".headers."+name, v, "a header value without control characters such as line breaks")
		}
	}
	if s.BasicAuth != nil {
		if s.BasicAuth.Username == "" {
			p.add(prefix+".basic_auth.username", "", "a user name when basic_auth is set")
		}
		if s.BasicAuth.Password != "" && s.BasicAuth.PasswordFile != "" {
			p.add(prefix+".basic_auth.password_file", s.BasicAuth.PasswordFile, "either password or password_file, not both")
		}
	}
	if s.BearerToken != "" && s.BearerTokenFile != "" {
		p.add(prefix+".bearer_token_file", s.BearerTokenFile, "either bearer_token or bearer_token_file, not both")
	}
	if s.BearerTokenFile != "" && s.BasicAuth != nil {
		p.add(prefix+".bearer_token_file", s.BearerTokenFile, "either basic_auth or a bearer token, not both")
	}
	if (s.TLS.CertFile == "") != (s.TLS.KeyFile == "") {
		p.add(prefix+".tls.key_file", s.TLS.KeyFile, "cert_file and key_file set together")
	}
}

// Redacted returns a copy with secrets masked, for `triage config`.
func (c Config) Redacted() Config {
	c.Sources.Prometheus = c.Sources.Prometheus.Redacted()
	c.Sources.Loki = c.Sources.Loki.Redacted()
	c.Sources.Tempo = c.Sources.Tempo.Redacted()
	c.Sources.Jaeger = c.Sources.Jaeger.Redacted()
	c.Sources.Alertmanager = c.Sources.Alertmanager.Redacted()
	return c
}
