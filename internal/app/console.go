package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/triagectl/triage/internal/config"
	"github.com/triagectl/triage/sources/adapter"
	"github.com/triagectl/triage/sources/bundle"
	"github.com/triagectl/triage/themes"
	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/console"
)

// ConsoleOptions are a console's options from the config: the live
// sources, Alertmanager for the list and silences, the theme (NO_COLOR
// forces mono), keys and Grafana. The local console and every SSH session
// are built from them.
func ConsoleOptions(c config.Config, getenv func(string) string, log *slog.Logger) (console.Options, error) {
	srcs, err := EngineSources(c)
	if err != nil {
		return console.Options{}, err
	}
	theme, err := themes.Select(c.Theme, getenv)
	if err != nil {
		return console.Options{}, err
	}
	o := console.Options{
		Theme: theme, Keys: c.Keys, SourceURLs: SourceURLs(c), Log: log,
		Data:    tui.Data{Sources: srcs, Options: EngineOptions(c), RED: EngineRED(c)},
		Grafana: tui.Grafana{URL: c.Grafana.URL, Datasources: c.Grafana.Datasources},
	}
	am, err := Alertmanager(c)
	if err != nil {
		return console.Options{}, err
	}
	if am != nil {
		o.Data.Alerts = adapter.Alerts{C: am}
	}
	return o, nil
}

// run runs one console program on the process's terminal.
func (a *App) run(ctx context.Context, o console.Options, root func(*tui.Common) tui.PageFunc) error {
	c, err := console.NewCommon(ctx, o)
	if err != nil {
		return err
	}
	return console.Run(ctx, c, root(c), nil, nil)
}

// RunList is `triage` alone: the firing alerts, to pick one.
func (a *App) RunList(ctx context.Context) error {
	o, err := ConsoleOptions(a.Config, a.Getenv, a.Log)
	if err != nil {
		return err
	}
	return a.run(ctx, o, console.IncidentList)
}

// RunIncident opens one alert: its verdict fills in as the sources answer.
func (a *App) RunIncident(ctx context.Context, alert triage.Alert) error {
	o, err := ConsoleOptions(a.Config, a.Getenv, a.Log)
	if err != nil {
		return err
	}
	return a.run(ctx, o, func(c *tui.Common) tui.PageFunc { return console.Incident(c, alert, nil) })
}

// RunBundle opens a recorded incident: its recorded report at once,
// drill-downs replayed, the clock stopped at the recording's.
func (a *App) RunBundle(ctx context.Context, b *bundle.Bundle, isDemo bool) error {
	// Unpaced: the console shows the recorded report, and a drill-down
	// must not wait for the moment its answer came during the recording.
	rp, err := ReplaySources(b, bundle.ReplayOptions{})
	if err != nil {
		return err
	}
	o, err := ConsoleOptions(config.Config{Theme: a.Config.Theme, Keys: a.Config.Keys, Grafana: a.Config.Grafana}, a.Getenv, a.Log)
	if err != nil {
		return err
	}
	o.Data = tui.Data{Sources: rp.Sources, Options: rp.Options, RED: rp.RED}
	if rp.Alertmanager != nil {
		o.Data.Alerts = adapter.Alerts{C: rp.Alertmanager}
	}
	o.SourceURLs = map[string]string{}
	for _, s := range b.Header.Sources {
		o.SourceURLs[s.Name] = s.URL + " (recorded)"
	}
	o.Demo = isDemo || b.Header.Demo
	o.Recorded = true
	if now := b.Header.Options.Now; !now.IsZero() {
		o.Now = func() time.Time { return now }
	}
	return a.run(ctx, o, func(c *tui.Common) tui.PageFunc { return console.Incident(c, rp.Alert, b.Report) })
}

// RunRecording runs the console live while recording every exchange, and
// writes the bundle with the verdict's report when the console exits.
func (a *App) RunRecording(ctx context.Context, alert triage.Alert, out string) error {
	rec := Recording{Config: a.Config, Alert: alert, TriageVersion: a.Version}
	w, err := bundle.Create(out, rec.Header())
	if err != nil {
		return err
	}
	srcs, err := RecordingSources(a.Config, w)
	if err != nil {
		w.Abort()
		return err
	}
	w.SetPhase(bundle.PhaseInvestigation)
	o, err := ConsoleOptions(a.Config, a.Getenv, a.Log)
	if err != nil {
		w.Abort()
		return err
	}
	o.Data.Sources, o.Data.Options, o.Data.RED = srcs, rec.EngineOptions(), rec.RED
	c, err := console.NewCommon(ctx, o)
	if err != nil {
		w.Abort()
		return err
	}
	m, runErr := console.Program(ctx, c, console.Incident(c, alert, nil), nil, nil).Run()
	var r *triage.Report
	if app, ok := m.(*tui.App); ok {
		if inc, ok := app.Root().(tui.Incident); ok {
			r = inc.Report()
		}
	}
	if r == nil {
		w.Abort()
		if runErr != nil {
			return runErr
		}
		return fmt.Errorf("nothing written to %s: the investigation never finished", out)
	}
	if err := w.WriteReport(r); err != nil {
		w.Abort()
		return err
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	fmt.Fprintf(a.Stderr, "recorded %d exchanges to %s\n", w.Exchanges(), out)
	return runErr
}
