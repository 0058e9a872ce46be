package config

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/triagectl/triage/sources"
)

// Error is a config problem: the key, the value found and what was expected.
type Error struct {
	Key      string
	Value    string
	Expected string
	Extra    int // further problems of the same kind, not listed
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("config: %s = %q: expected %s", e.Key, e.Value, e.Expected)
	if e.Extra > 0 {
		msg += fmt.Sprintf(" (and %d more)", e.Extra)
	}
	return msg
}

// Validate checks every value that has a constraint beyond its type.
func (c Config) Validate() error {
	for _, s := range c.Sources.Each() {
		if err := validateSource("sources."+s.Name, s.Config); err != nil {
			return err
		}
	}
	if c.Sources.Tempo.Configured() && c.Sources.Jaeger.Configured() {
		return fmt.Errorf("config: sources.tempo and sources.jaeger are both set: one trace backend per investigation "+
			"(tempo %q, jaeger %q); remove one", c.Sources.Tempo.URL, c.Sources.Jaeger.URL)
	}
	t := c.Triage
	if err := positive("triage.lookback", t.Lookback); err != nil {
		return err
	}
	if err := positive("triage.baseline_offset", t.BaselineOffset); err != nil {
		return err
	}
	if err := positive("triage.slow_threshold", t.SlowThreshold); err != nil {
		return err
	}
	if t.TraceSample < 1 || t.TraceSample > 10000 {
		return &Error{"triage.trace_sample", fmt.Sprint(t.TraceSample), "a number of traces between 1 and 10000", 0}
	}
	if t.FetchConcurrency < 1 || t.FetchConcurrency > 256 {
		return &Error{"triage.fetch_concurrency", fmt.Sprint(t.FetchConcurrency), "a number between 1 and 256", 0}
	}
	if len(c.Mapping.ServiceLabels) == 0 {
		return &Error{"mapping.service_labels", "[]", "at least one label name, e.g. [service, job]", 0}
	}
	if len(c.Mapping.UserAttributes) == 0 {
		return &Error{"mapping.user_attributes", "[]", "at least one attribute key, e.g. [enduser.id]", 0}
	}
	if !slices.Contains(Themes, c.Theme) {
		return &Error{"theme", c.Theme, "one of " + strings.Join(Themes, ", "), 0}
	}
	if c.Grafana.URL != "" {
		if err := validateURL("grafana.url", c.Grafana.URL); err != nil {
			return err
		}
	}
	for k, ds := range c.Grafana.Datasources {
		if !slices.Contains([]string{"prometheus", "loki", "tempo"}, k) {
			return &Error{"grafana.datasources." + k, ds, "a datasource uid under prometheus, loki or tempo", 0}
		}
	}
	if c.Serve.Retention < 0 {
		return &Error{"serve.retention", c.Serve.Retention.String(), "a positive duration, or 0 to keep everything", 0}
	}
	if err := c.Serve.validate(); err != nil {
		return err
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level) {
		return &Error{"log.level", c.Log.Level, "one of debug, info, warn, error", 0}
	}
	return nil
}

func positive(key string, d time.Duration) error {
	if d <= 0 {
		return &Error{key, d.String(), "a positive duration such as 15m", 0}
	}
	return nil
}

func validateURL(key, raw string) error {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &Error{key, raw, "an http:// or https:// URL with a host", 0}
	}
	return nil
}

func validateSource(prefix string, s sources.Config) error {
	if !s.Configured() {
		return nil
	}
	if err := validateURL(prefix+".url", s.URL); err != nil {
		return err
	}
	if s.Timeout <= 0 {
		return &Error{prefix + ".timeout", s.Timeout.String(), "a positive duration such as 10s", 0}
	}
	if s.MaxBodyBytes <= 0 {
		return &Error{prefix + ".max_body_bytes", fmt.Sprint(s.MaxBodyBytes), "a positive number of bytes", 0}
	}
	if s.Retries != nil && (*s.Retries < 0 || *s.Retries > 10) {
		return &Error{prefix + ".retries", fmt.Sprint(*s.Retries), "a number of retries between 0 and 10", 0}
	}
	if s.BasicAuth != nil {
		if s.BasicAuth.Username == "" {
			return &Error{prefix + ".basic_auth.username", "", "a user name when basic_auth is set", 0}
		}
		if s.BasicAuth.Password != "" && s.BasicAuth.PasswordFile != "" {
			return &Error{prefix + ".basic_auth.password_file", s.BasicAuth.PasswordFile, "either password or password_file, not both", 0}
		}
	}
	if s.BearerToken != "" && s.BearerTokenFile != "" {
		return &Error{prefix + ".bearer_token_file", s.BearerTokenFile, "either bearer_token or bearer_token_file, not both", 0}
	}
	if s.BearerTokenFile != "" && s.BasicAuth != nil {
		return &Error{prefix + ".bearer_token_file", s.BearerTokenFile, "either basic_auth or a bearer token, not both", 0}
	}
	if (s.TLS.CertFile == "") != (s.TLS.KeyFile == "") {
		return &Error{prefix + ".tls.key_file", s.TLS.KeyFile, "cert_file and key_file set together", 0}
	}
	return nil
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
