package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/triagectl/triage/internal/config"
	"github.com/triagectl/triage/internal/demo"
	"github.com/triagectl/triage/sources/bundle"
	"github.com/triagectl/triage/triage"
)

// ErrNoSourceAnswered is returned, after the report is written, when no
// source answered: the report then says why.
var ErrNoSourceAnswered = triage.ErrAllSourcesFailed

// Investigate runs alert's investigation against the configured sources.
func (a *App) Investigate(ctx context.Context, alert triage.Alert) (*triage.Report, error) {
	srcs, err := EngineSources(a.Config)
	if err != nil {
		return nil, err
	}
	a.Log.Info("investigating", "alert", alert.Name, "fingerprint", alert.Fingerprint)
	return triage.NewInvestigation(srcs, EngineOptions(a.Config), EngineRED(a.Config)).Run(ctx, alert, nil)
}

// LoadBundle reads the bundle at path within the config's bundle limits,
// or the embedded demo.
func LoadBundle(c config.Config, path string, useDemo bool) (*bundle.Bundle, error) {
	if useDemo {
		return demo.Open()
	}
	return BundleLimits(c).ReadFile(path)
}

// BundleLimits are the config's bundle section as the reader takes them.
func BundleLimits(c config.Config) bundle.Limits {
	return bundle.Limits{MaxLineBytes: c.Bundle.MaxLineBytes, MaxBytes: c.Bundle.MaxBytes, MaxHeldBytes: c.Bundle.MaxHeldBytes}
}

// ReplayReport is a bundle's report: replayed through the engine at the
// recorded pace, or as recorded. The requests the bundle did not hold are
// said on stderr.
func (a *App) ReplayReport(ctx context.Context, b *bundle.Bundle, recorded bool) (*triage.Report, error) {
	if recorded {
		if b.Report == nil {
			return nil, errors.New("the bundle holds no report: replay it without --recorded")
		}
		return b.Report, nil
	}
	rp, err := ReplaySources(b, bundle.ReplayOptions{Pace: true})
	if err != nil {
		return nil, err
	}
	a.Log.Info("replaying", "alert", b.Header.Alert.Name, "demo", b.Header.Demo, "exchanges", b.Len())
	r, runErr := rp.Investigate(ctx, nil)
	if missed := rp.Replay.Missed(); len(missed) > 0 {
		a.Log.Warn("replay asked what the bundle does not hold", "requests", missed)
		fmt.Fprintf(a.Stderr, "triage: the replay asked %d requests the bundle does not hold (first: %s); those parts say not recorded\n",
			len(missed), missed[0])
	}
	return r, runErr
}

// WriteReport writes r as JSON or markdown.
func (a *App) WriteReport(w io.Writer, r *triage.Report, format string) error {
	switch format {
	case "markdown":
		g := triage.Grafana{URL: a.Config.Grafana.URL, Datasources: a.Config.Grafana.Datasources}
		return triage.WriteMarkdownWith(w, r, triage.MarkdownOptions{Grafana: g})
	case "json":
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return fmt.Errorf("--format %q: expected json or markdown", format)
}
