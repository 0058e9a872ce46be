package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/triagectl/triage/internal/app"
	"github.com/triagectl/triage/internal/demo"
)

func (a *cli) openCommand() *cobra.Command {
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
				b, err := app.LoadBundle(a.cfg.Config, bundlePath, false)
				if err != nil {
					return err
				}
				return a.app.RunBundle(ctx, b, false)
			}
			fp := ""
			if len(args) == 1 {
				fp = args[0]
			}
			if (alertFile == "") == (fp == "") {
				return errors.New("give exactly one of a fingerprint, --alert-file and --bundle")
			}
			alert, err := app.ResolveAlert(ctx, a.cfg.Config, alertFile, fp)
			if err != nil {
				return err
			}
			if record != "" {
				return a.app.RunRecording(ctx, alert, record)
			}
			return a.app.RunIncident(ctx, alert)
		},
	}
	cmd.Flags().StringVar(&alertFile, "alert-file", "", "alert JSON: a webhook payload or Alertmanager API alerts")
	cmd.Flags().StringVar(&bundlePath, "bundle", "", "an incident bundle to open offline")
	cmd.Flags().StringVar(&record, "record", "", "also write an incident bundle of the session to this file")
	return cmd
}

// demoCommand opens the embedded demo incident: no backend needed.
func (a *cli) demoCommand() *cobra.Command {
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
			return a.app.RunBundle(cmd.Context(), b, true)
		},
	}
}

// listConsole is `triage` alone: the firing alerts, to pick one.
func (a *cli) listConsole(cmd *cobra.Command, _ []string) error {
	return a.app.RunList(cmd.Context())
}
