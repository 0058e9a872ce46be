package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/triagectl/triage/internal/demo"
	"github.com/triagectl/triage/internal/wiring"
	"github.com/triagectl/triage/sources/alertmanager"
	"github.com/triagectl/triage/themes"
	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/triage/bundle"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/console"
)

func (a *app) openCommand() *cobra.Command {
	var alertFile, bundlePath, record string
	cmd := &cobra.Command{
		Use:   "open [fingerprint] [--alert-file F] [--bundle F] [--record F]",
		Short: "Open an alert's investigation, or an incident bundle, in the console",
		Long: `Open one alert in the console: from Alertmanager by fingerprint, or from
a file (an Alertmanager or Grafana webhook payload, or Alertmanager API
alerts). The investigation runs as the verdict screen fills in.

--record F also writes an incident bundle of every exchange, drill-downs
included, and the report, when the console exits.

--bundle F opens a recorded incident offline: the recorded verdict at
once, and its drill-downs replayed from the bundle at once ('r' runs the
investigation again over the bundle, unpaced). What the bundle did not
record reads "not recorded in this bundle".`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if bundlePath != "" {
				if len(args) > 0 || alertFile != "" || record != "" {
					return errors.New("--bundle opens a recorded incident: give no fingerprint, --alert-file or --record with it")
				}
				b, err := bundle.ReadFile(bundlePath)
				if err != nil {
					return err
				}
				return a.openBundle(ctx, b, false)
			}
			fp := ""
			if len(args) == 1 {
				fp = args[0]
			}
			if (alertFile == "") == (fp == "") {
				return errors.New("give exactly one of a fingerprint, --alert-file and --bundle")
			}
			alert, err := a.resolveAlert(ctx, alertFile, fp)
			if err != nil {
				return err
			}
			if record != "" {
				return a.openRecording(ctx, alert, record)
			}
			c, err := a.consoleCommon(ctx)
			if err != nil {
				return err
			}
			return a.runConsole(ctx, c, console.Incident(c, alert, nil))
		},
	}
	cmd.Flags().StringVar(&alertFile, "alert-file", "", "alert JSON: a webhook payload or Alertmanager API alerts")
	cmd.Flags().StringVar(&bundlePath, "bundle", "", "an incident bundle to open offline")
	cmd.Flags().StringVar(&record, "record", "", "also write an incident bundle of the session to this file")
	return cmd
}

// demoCommand opens the embedded demo incident: no backend needed.
func (a *app) demoCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Open the embedded demo incident in the console (no backends needed)",
		Long: `Open the embedded demo incident: a recorded investigation of the
simulator's incident (a culprit behind an uninstrumented database, errors
propagating through two services, users across tiers, log patterns and
span links), replayed offline. The header marks it DEMO.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := demo.Open()
			if err != nil {
				return err
			}
			return a.openBundle(cmd.Context(), b, true)
		},
	}
}

// openBundle runs the console on a bundle: its recorded report at once,
// drill-downs replayed, the clock stopped at the recording's.
func (a *app) openBundle(ctx context.Context, b *bundle.Bundle, isDemo bool) error {
	// Unpaced: the console shows the recorded report, and a drill-down
	// must not wait for the moment its answer came during the recording.
	rp, err := wiring.ReplaySources(b, bundle.ReplayOptions{})
	if err != nil {
		return err
	}
	data := tui.Data{Sources: rp.Sources, Options: rp.Options, RED: rp.RED}
	if rp.Alertmanager != nil {
		data.Alerts = wiring.Alerts{C: rp.Alertmanager}
	}
	urls := map[string]string{}
	for _, s := range b.Header.Sources {
		urls[s.Name] = s.URL + " (recorded)"
	}
	c, err := a.newCommon(ctx, data, urls, isDemo || b.Header.Demo)
	if err != nil {
		return err
	}
	if now := b.Header.Options.Now; !now.IsZero() {
		c.Now = func() time.Time { return now }
	}
	return a.runConsole(ctx, c, console.Incident(c, rp.Alert, b.Report))
}

// openRecording runs the console live while recording every exchange, and
// writes the bundle with the verdict's report when the console exits.
func (a *app) openRecording(ctx context.Context, alert triage.Alert, out string) error {
	rec := wiring.Recording{Config: a.cfg.Config, Alert: alert, TriageVersion: version}
	w, err := bundle.Create(out, rec.Header())
	if err != nil {
		return err
	}
	srcs, err := wiring.RecordingSources(a.cfg.Config, w)
	if err != nil {
		w.Abort()
		return err
	}
	w.SetPhase(bundle.PhaseInvestigation)
	data := tui.Data{Sources: srcs, Options: rec.EngineOptions(), RED: rec.RED}
	c, err := a.newCommon(ctx, data, nil, false)
	if err != nil {
		w.Abort()
		return err
	}
	root := console.Incident(c, alert, nil)
	m, runErr := console.Program(ctx, c, root, nil, nil).Run()
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
	fmt.Fprintf(a.stderr, "recorded %d exchanges to %s\n", w.Exchanges(), out)
	return runErr
}

// listConsole is `triage` alone: the firing alerts, to pick one.
func (a *app) listConsole(cmd *cobra.Command, _ []string) error {
	c, err := a.consoleCommon(cmd.Context())
	if err != nil {
		return err
	}
	return a.runConsole(cmd.Context(), c, console.IncidentList(c))
}

// consoleCommon builds the console's Common from the config: live sources,
// theme (NO_COLOR forces mono), keys, Grafana.
func (a *app) consoleCommon(ctx context.Context) (*tui.Common, error) {
	srcs, err := wiring.EngineSources(a.cfg.Config)
	if err != nil {
		return nil, err
	}
	data := tui.Data{Sources: srcs, Options: wiring.EngineOptions(a.cfg.Config)}
	if a.cfg.Sources.Alertmanager.Configured() {
		am, err := alertmanager.New(a.cfg.Sources.Alertmanager)
		if err != nil {
			return nil, err
		}
		data.Alerts = wiring.Alerts{C: am}
	}
	urls := map[string]string{}
	for name, s := range map[string]string{triage.SourcePrometheus: a.cfg.Sources.Prometheus.URL,
		triage.SourceLoki: a.cfg.Sources.Loki.URL, triage.SourceTempo: a.cfg.Sources.Tempo.URL} {
		if s != "" {
			urls[name] = s
		}
	}
	return a.newCommon(ctx, data, urls, false)
}

func (a *app) newCommon(ctx context.Context, data tui.Data, urls map[string]string, demo bool) (*tui.Common, error) {
	theme, err := themes.Select(a.cfg.Theme, os.Getenv)
	if err != nil {
		return nil, err
	}
	return console.NewCommon(ctx, console.Options{
		Theme: theme, Data: data, Keys: a.cfg.Keys, SourceURLs: urls, Demo: demo, Log: a.log,
		Grafana: tui.Grafana{URL: a.cfg.Grafana.URL, Datasources: a.cfg.Grafana.Datasources},
	})
}

// runConsole runs the console on the process's terminal.
func (a *app) runConsole(ctx context.Context, c *tui.Common, root tui.PageFunc) error {
	return console.Run(ctx, c, root, nil, nil)
}
