package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/triagectl/triage/internal/wiring"
	"github.com/triagectl/triage/sources/alertmanager"
	"github.com/triagectl/triage/themes"
	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/console"
)

func (a *app) openCommand() *cobra.Command {
	var alertFile string
	cmd := &cobra.Command{
		Use:   "open [fingerprint] [--alert-file F]",
		Short: "Open an alert's investigation in the console",
		Long: `Open one alert in the console: from Alertmanager by fingerprint, or from
a file (an Alertmanager or Grafana webhook payload, or Alertmanager API
alerts). The investigation runs as the verdict screen fills in.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fp := ""
			if len(args) == 1 {
				fp = args[0]
			}
			if (alertFile == "") == (fp == "") {
				return errors.New("give exactly one of a fingerprint and --alert-file")
			}
			alert, err := a.loadAlert(cmd.Context(), alertFile, fp)
			if err != nil {
				return err
			}
			c, err := a.consoleCommon(cmd.Context())
			if err != nil {
				return err
			}
			return a.runConsole(cmd.Context(), c, console.Incident(c, alert, nil))
		},
	}
	cmd.Flags().StringVar(&alertFile, "alert-file", "", "alert JSON: a webhook payload or Alertmanager API alerts")
	return cmd
}

// listConsole is `triage` alone: the firing alerts, to pick one.
func (a *app) listConsole(cmd *cobra.Command, _ []string) error {
	c, err := a.consoleCommon(cmd.Context())
	if err != nil {
		return err
	}
	return a.runConsole(cmd.Context(), c, console.IncidentList(c))
}

// loadAlert reads an alert from a file, or from Alertmanager by
// fingerprint.
func (a *app) loadAlert(ctx context.Context, alertFile, fingerprint string) (triage.Alert, error) {
	if alertFile != "" {
		body, err := os.ReadFile(alertFile)
		if err != nil {
			return triage.Alert{}, err
		}
		alert, err := wiring.ParseAlertFile(body)
		if err != nil {
			return triage.Alert{}, fmt.Errorf("%s: %w", alertFile, err)
		}
		return alert, nil
	}
	if !a.cfg.Sources.Alertmanager.Configured() {
		return triage.Alert{}, errors.New("a fingerprint needs sources.alertmanager.url")
	}
	am, err := alertmanager.New(a.cfg.Sources.Alertmanager)
	if err != nil {
		return triage.Alert{}, err
	}
	return wiring.AlertByFingerprint(ctx, am, fingerprint)
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
