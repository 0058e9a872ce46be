// Package config loads Triage's configuration: defaults in code, overlaid by
// the YAML file, then TRIAGE_* environment variables, then flags, and
// validated with messages that name the key, the value and what was expected.
package config

import (
	"time"

	"github.com/triagectl/triage/sources"
)

// Config is the whole effective configuration.
type Config struct {
	Sources Sources           `mapstructure:"sources" yaml:"sources"`
	Mapping Mapping           `mapstructure:"mapping" yaml:"mapping"`
	Triage  Triage            `mapstructure:"triage" yaml:"triage"`
	Grafana Grafana           `mapstructure:"grafana" yaml:"grafana"`
	Theme   string            `mapstructure:"theme" yaml:"theme"`
	Keys    map[string]string `mapstructure:"keys" yaml:"keys,omitempty"`
	Serve   Serve             `mapstructure:"serve" yaml:"serve"`
	MCP     MCP               `mapstructure:"mcp" yaml:"mcp"`
	Bundle  Bundle            `mapstructure:"bundle" yaml:"bundle"`
	Log     Log               `mapstructure:"log" yaml:"log"`
}

// Sources names the backends. A source with no URL is unconfigured. Tempo
// and Jaeger are the two trace backends, of which at most one is set.
type Sources struct {
	Prometheus   sources.Config `mapstructure:"prometheus" yaml:"prometheus"`
	Loki         sources.Config `mapstructure:"loki" yaml:"loki"`
	Tempo        sources.Config `mapstructure:"tempo" yaml:"tempo"`
	Jaeger       sources.Config `mapstructure:"jaeger" yaml:"jaeger"`
	Alertmanager sources.Config `mapstructure:"alertmanager" yaml:"alertmanager"`
}

// Each returns the sources in display order with their names.
func (s Sources) Each() []Named {
	return []Named{{"prometheus", s.Prometheus}, {"loki", s.Loki}, {"tempo", s.Tempo}, {"jaeger", s.Jaeger},
		{"alertmanager", s.Alertmanager}}
}

// Named pairs a source's name with its config.
type Named struct {
	Name   string
	Config sources.Config
}

// Mapping says where Triage finds services and users in labels and attributes.
type Mapping struct {
	ServiceLabels        []string `mapstructure:"service_labels" yaml:"service_labels"`
	UserAttributes       []string `mapstructure:"user_attributes" yaml:"user_attributes"`
	UserDetailAttributes []string `mapstructure:"user_detail_attributes" yaml:"user_detail_attributes"`
	// MetricsPreset names the shape of the RED series in Prometheus:
	// "tempo" (Tempo's metrics-generator) or "otel" (the OpenTelemetry
	// Collector's spanmetrics and servicegraph connectors).
	MetricsPreset string `mapstructure:"metrics_preset" yaml:"metrics_preset"`
}

// Triage tunes the investigation.
type Triage struct {
	Lookback         time.Duration `mapstructure:"lookback" yaml:"lookback"`
	BaselineOffset   time.Duration `mapstructure:"baseline_offset" yaml:"baseline_offset"`
	TraceSample      int           `mapstructure:"trace_sample" yaml:"trace_sample"`
	FetchConcurrency int           `mapstructure:"fetch_concurrency" yaml:"fetch_concurrency"`
	SlowThreshold    time.Duration `mapstructure:"slow_threshold" yaml:"slow_threshold"`
	// MaxLag is the age past which a source's newest data for the scope
	// marks it lagging: its silence then means nothing.
	MaxLag time.Duration `mapstructure:"max_lag" yaml:"max_lag"`
}

// Grafana is the Grafana instance whose Explore links rows turn into, when
// it is configured.
type Grafana struct {
	URL         string            `mapstructure:"url" yaml:"url"`
	Datasources map[string]string `mapstructure:"datasources" yaml:"datasources,omitempty"`
}

// Serve configures the daemon.
type Serve struct {
	WebhookListen    string `mapstructure:"webhook_listen" yaml:"webhook_listen"`
	WebhookTokenFile string `mapstructure:"webhook_token_file" yaml:"webhook_token_file,omitempty"`
	SSHListen        string `mapstructure:"ssh_listen" yaml:"ssh_listen"`
	SSHHostKey       string `mapstructure:"ssh_host_key" yaml:"ssh_host_key"`
	AuthorizedKeys   string `mapstructure:"authorized_keys" yaml:"authorized_keys"`
	// SSHMaxSessions caps the console's open sessions; one more is turned
	// away with a message.
	SSHMaxSessions int `mapstructure:"ssh_max_sessions" yaml:"ssh_max_sessions"`
	// SSHIdleTimeout ends a session without input for that long; 0 never
	// does.
	SSHIdleTimeout time.Duration `mapstructure:"ssh_idle_timeout" yaml:"ssh_idle_timeout"`
	// SSHMaxStartups limits the connections not yet authenticated as
	// sshd's MaxStartups does: "start:rate:full" refuses a new one with
	// probability rate% once start are open, rising to all at full; a
	// single number refuses all past it.
	SSHMaxStartups string `mapstructure:"ssh_max_startups" yaml:"ssh_max_startups"`
	// SSHPerSourceMaxStartups limits them per source address, as sshd's
	// PerSourceMaxStartups; 0 does not.
	SSHPerSourceMaxStartups int           `mapstructure:"ssh_per_source_max_startups" yaml:"ssh_per_source_max_startups"`
	Store                   string        `mapstructure:"store" yaml:"store"`
	Retention               time.Duration `mapstructure:"retention" yaml:"retention"`
	// AlertExpiry is how long a firing alert may go without Alertmanager
	// sending it again before it is presumed resolved (its resolve
	// notification lost); 0 never expires one. Above the routes'
	// repeat_interval plus group_interval.
	AlertExpiry time.Duration `mapstructure:"alert_expiry" yaml:"alert_expiry"`
	// WebhookBasicAuth is accepted besides the bearer token, for senders
	// that only do basic auth.
	WebhookBasicAuth WebhookBasicAuth `mapstructure:"webhook_basic_auth" yaml:"webhook_basic_auth,omitempty"`
	// Workers is the number of investigations pre-warmed at once.
	Workers int `mapstructure:"workers" yaml:"workers"`
	// Refresh re-runs a firing incident's investigation this often.
	Refresh time.Duration `mapstructure:"refresh_interval" yaml:"refresh_interval"`
	// Coalesce lets an incident reuse a report of the same scope this
	// recent instead of starting another investigation.
	Coalesce time.Duration `mapstructure:"coalesce_window" yaml:"coalesce_window"`
	// MaxVerdictAge: a pre-warmed verdict older than this, opened over
	// SSH, is investigated again at once, its figures shown until the new
	// ones come; 0 never.
	MaxVerdictAge time.Duration `mapstructure:"max_verdict_age" yaml:"max_verdict_age"`
	// SourceConcurrency caps the daemon's concurrent requests per backend,
	// across all investigations.
	SourceConcurrency SourceConcurrency `mapstructure:"source_concurrency" yaml:"source_concurrency"`
	Watchdog          Watchdog          `mapstructure:"watchdog" yaml:"watchdog"`
}

// WebhookBasicAuth is the basic auth the webhook receiver accepts.
type WebhookBasicAuth struct {
	Username     string `mapstructure:"username" yaml:"username,omitempty"`
	PasswordFile string `mapstructure:"password_file" yaml:"password_file,omitempty"`
}

// SourceConcurrency caps concurrent requests per backend.
type SourceConcurrency struct {
	Prometheus int `mapstructure:"prometheus" yaml:"prometheus"`
	Loki       int `mapstructure:"loki" yaml:"loki"`
	Tempo      int `mapstructure:"tempo" yaml:"tempo"`
	Jaeger     int `mapstructure:"jaeger" yaml:"jaeger"`
}

// Watchdog is the dead man's switch: an always-firing alert whose arrivals
// prove the alerting pipeline delivers. It is off while both Alertname
// and Matchers are empty.
type Watchdog struct {
	Alertname string `mapstructure:"alertname" yaml:"alertname,omitempty"`
	// Matchers narrow it further, in Alertmanager's syntax
	// (severity="none"); a list, so that label names keep their case.
	Matchers []string `mapstructure:"matchers" yaml:"matchers,omitempty"`
	// MaxGap is how long without an arrival before the pipeline is silent;
	// above Alertmanager's repeat_interval for the Watchdog's route.
	MaxGap time.Duration `mapstructure:"max_gap" yaml:"max_gap"`
}

// Enabled reports whether a Watchdog is configured.
func (w Watchdog) Enabled() bool { return w.Alertname != "" || len(w.Matchers) > 0 }

// MCP configures the Model Context Protocol server (`triage mcp` and the
// daemon's /mcp).
type MCP struct {
	// AllowSilence offers the silence tool: a proposal, then a confirm call
	// carrying its token. Off by default: every other tool only reads.
	AllowSilence bool `mapstructure:"allow_silence" yaml:"allow_silence"`
	// MaxAnswerBytes bounds the text of one tool answer; longer answers
	// are paged with a cursor.
	MaxAnswerBytes int `mapstructure:"max_answer_bytes" yaml:"max_answer_bytes"`
}

// MCP answer bounds: below the minimum a page cannot hold its header and
// one line of evidence.
const (
	MinMCPAnswerBytes = 2048
	MaxMCPAnswerBytes = 1 << 20
)

// Bundle bounds what reading an incident bundle may cost (open --bundle,
// report --bundle), whatever the file holds. Raise them only to read a
// file you trust.
type Bundle struct {
	// MaxLineBytes bounds one decompressed line: an exchange with its
	// body. The reader holds one line at a time.
	MaxLineBytes int64 `mapstructure:"max_line_bytes" yaml:"max_line_bytes"`
	// MaxBytes bounds the whole decompressed file, and so the time a read
	// takes.
	MaxBytes int64 `mapstructure:"max_bytes" yaml:"max_bytes"`
	// MaxHeldBytes bounds what a bundle read keeps in memory: its bodies,
	// compressed, and the exchanges' other fields.
	MaxHeldBytes int64 `mapstructure:"max_held_bytes" yaml:"max_held_bytes"`
}

// Log configures the debug log. It never goes to the terminal.
type Log struct {
	File  string `mapstructure:"file" yaml:"file"`
	Level string `mapstructure:"level" yaml:"level"`
}

// DefaultAlertExpiry is serve.alert_expiry's default: Alertmanager's
// default repeat_interval (4h), after which it sends a still-firing
// alert again, at the next group_interval tick (5m), plus its
// resolve_timeout (5m), the grace it gives an alert itself.
const DefaultAlertExpiry = 4*time.Hour + 10*time.Minute

// Themes lists the built-in themes.
var Themes = []string{"dark", "light", "high-contrast", "mono"}

// Default returns the built-in defaults.
func Default() Config {
	src := func(timeout time.Duration) sources.Config {
		return sources.Config{Timeout: timeout, MaxBodyBytes: sources.DefaultMaxBodyBytes, RetryBackoff: sources.DefaultRetryBackoff}
	}
	return Config{
		Sources: Sources{
			Prometheus:   src(10 * time.Second),
			Loki:         src(10 * time.Second),
			Tempo:        src(10 * time.Second),
			Jaeger:       src(10 * time.Second),
			Alertmanager: src(5 * time.Second),
		},
		Mapping: Mapping{
			ServiceLabels:        []string{"service", "service_name", "job", "app"},
			UserAttributes:       []string{"enduser.id", "user.id", "customer.id"},
			UserDetailAttributes: []string{"user.tier", "user.region"},
			MetricsPreset:        "tempo",
		},
		Triage: Triage{
			Lookback:         15 * time.Minute,
			BaselineOffset:   time.Hour,
			TraceSample:      200,
			FetchConcurrency: 16,
			SlowThreshold:    time.Second,
			MaxLag:           2 * time.Minute,
		},
		Theme: "dark",
		Serve: Serve{
			WebhookListen:  ":9095",
			SSHListen:      ":2222",
			SSHHostKey:     "~/.local/share/triage/ssh_host_ed25519",
			AuthorizedKeys: "~/.ssh/authorized_keys",
			SSHMaxSessions: 32,
			SSHIdleTimeout: 30 * time.Minute,
			// sshd's default, and a tenth of it per source address.
			SSHMaxStartups:          "10:30:100",
			SSHPerSourceMaxStartups: 5,
			Store:                   "~/.local/share/triage/incidents.db",
			Retention:               30 * 24 * time.Hour,
			AlertExpiry:             DefaultAlertExpiry,
			Workers:                 4,
			Refresh:                 5 * time.Minute,
			Coalesce:                time.Minute,
			MaxVerdictAge:           time.Minute,
			SourceConcurrency:       SourceConcurrency{Prometheus: 8, Loki: 4, Tempo: 8, Jaeger: 8},
			Watchdog:                Watchdog{MaxGap: 10 * time.Minute},
		},
		MCP: MCP{MaxAnswerBytes: 8192},
		// sources/bundle's defaults, which a test holds them to.
		Bundle: Bundle{MaxLineBytes: 16 << 20, MaxBytes: 512 << 20, MaxHeldBytes: 32 << 20},
		Log:    Log{File: "~/.local/state/triage/debug.log", Level: "debug"},
	}
}
