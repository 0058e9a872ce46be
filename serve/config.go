package serve

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/triagectl/triage/internal/config"
	"github.com/triagectl/triage/sources/alertmanager"
	"github.com/triagectl/triage/triage"
)

// MaxBodyBytes caps a webhook body; Alertmanager's largest groups stay far
// below it.
const MaxBodyBytes = 1 << 20

// Config is what the daemon needs from the config file, secrets read.
type Config struct {
	StorePath string
	// Token, when set, is accepted as "Authorization: Bearer <token>".
	Token string
	// BasicUser and BasicPassword, when set, are accepted as basic auth.
	// With neither Token nor basic auth the webhook is open.
	BasicUser, BasicPassword string
	Retention                time.Duration // 0 keeps everything
	// AlertExpiry is how long a firing alert may go without being sent
	// again before it is presumed resolved; 0 never expires one.
	AlertExpiry time.Duration
	Refresh     time.Duration
	Coalesce    time.Duration
	Workers     int
	// SourceLimits caps concurrent requests per source name (prometheus,
	// loki, tempo); a missing or zero entry leaves the source unlimited.
	SourceLimits map[string]int
	Watchdog     Watchdog
	// ServiceLabels name the label that gives an alert its scope.
	ServiceLabels []string

	noSync bool // fuzzing only: see store.Options.NoSync
}

// Watchdog selects the dead man's switch alert. It is off while Alertname
// and Matchers are both empty.
type Watchdog struct {
	Alertname string
	Matchers  []alertmanager.Matcher
	MaxGap    time.Duration
}

func (w Watchdog) enabled() bool { return w.Alertname != "" || len(w.Matchers) > 0 }

func (w Watchdog) matches(labels map[string]string) bool {
	if !w.enabled() || (w.Alertname != "" && labels["alertname"] != w.Alertname) {
		return false
	}
	return alertmanager.MatchesLabels(w.Matchers, labels)
}

// ConfigFrom reads the daemon's settings from the loaded config, reading
// the secret files and expanding ~ in paths.
func ConfigFrom(c config.Config) (Config, error) {
	s := c.Serve
	out := Config{
		StorePath: config.ExpandHome(s.Store), Retention: s.Retention, AlertExpiry: s.AlertExpiry, Refresh: s.Refresh, Coalesce: s.Coalesce,
		Workers: s.Workers, ServiceLabels: c.Mapping.ServiceLabels,
		SourceLimits: map[string]int{triage.SourcePrometheus: s.SourceConcurrency.Prometheus,
			triage.SourceLoki: s.SourceConcurrency.Loki, triage.SourceTempo: s.SourceConcurrency.Tempo,
			triage.SourceJaeger: s.SourceConcurrency.Jaeger},
		Watchdog: Watchdog{Alertname: s.Watchdog.Alertname, MaxGap: s.Watchdog.MaxGap},
	}
	for _, m := range s.Watchdog.Matchers {
		pm, err := alertmanager.ParseMatcher(m)
		if err != nil {
			return out, fmt.Errorf("serve.watchdog.matchers: %w", err)
		}
		out.Watchdog.Matchers = append(out.Watchdog.Matchers, pm)
	}
	if s.WebhookTokenFile != "" {
		tok, err := readSecret("serve.webhook_token_file", s.WebhookTokenFile)
		if err != nil {
			return out, err
		}
		out.Token = tok
	}
	if ba := s.WebhookBasicAuth; ba.Username != "" {
		pw, err := readSecret("serve.webhook_basic_auth.password_file", ba.PasswordFile)
		if err != nil {
			return out, err
		}
		out.BasicUser, out.BasicPassword = ba.Username, pw
	}
	return out, nil
}

func readSecret(key, path string) (string, error) {
	b, err := os.ReadFile(config.ExpandHome(path))
	if err != nil {
		return "", fmt.Errorf("%s: %w", key, err)
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", fmt.Errorf("%s: %s is empty", key, path)
	}
	return v, nil
}

// withDefaults fills what a Config built by hand (tests) left zero.
func (c Config) withDefaults() Config {
	d := config.Default().Serve
	if c.Workers <= 0 {
		c.Workers = d.Workers
	}
	if c.Refresh <= 0 {
		c.Refresh = d.Refresh
	}
	if c.Coalesce < 0 {
		c.Coalesce = 0
	}
	if c.Watchdog.MaxGap <= 0 {
		c.Watchdog.MaxGap = d.Watchdog.MaxGap
	}
	if len(c.ServiceLabels) == 0 {
		c.ServiceLabels = triage.DefaultOptions().ServiceLabels
	}
	return c
}

// Recorder runs one investigation while recording its exchanges into a
// bundle, and returns the report and the bundle's bytes. limit wraps
// sources in the daemon's per-source concurrency limits; a recorder that
// builds its own clients passes them through it.
type Recorder func(ctx context.Context, a triage.Alert, limit func(triage.Sources) triage.Sources) (*triage.Report, []byte, error)

// Deps are the daemon's collaborators.
type Deps struct {
	// Sources are the backends investigations query; nil ones are
	// unconfigured.
	Sources triage.Sources
	Options triage.Options
	RED     triage.REDQueries
	// Recorder, when set, runs investigations instead of the plain engine
	// so that each stored report comes with its bundle.
	Recorder Recorder
	// InvestigationTimeout bounds one investigation (default 5m).
	InvestigationTimeout time.Duration
	Log                  *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}
