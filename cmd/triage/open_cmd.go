package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/triagectl/triage/internal/app"
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
record reads "not recorded in this bundle".

The console needs a terminal; triage report prints the same verdict on
stdout.`,
		Example: `  triage open 4f2c1a9e0b7d3c55
  triage open --alert-file alert.json --record incident.bundle
  triage open --bundle incident.bundle`,
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
				return needsTerminal(cmd, a.app.RunBundle(ctx, b, false), "triage report --bundle "+bundlePath)
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
				return needsTerminal(cmd, a.app.RunRecording(ctx, alert, record), "triage record")
			}
			return needsTerminal(cmd, a.app.RunIncident(ctx, alert), "triage report")
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
span links), replayed offline. The header marks it DEMO.

The console needs a terminal; triage report --demo prints the demo's
report on stdout.`,
		Example: `  triage demo
  triage report --demo`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := app.LoadBundle(a.cfg.Config, "", true)
			if err != nil {
				return err
			}
			return needsTerminal(cmd, a.app.RunBundle(cmd.Context(), b, true), "triage report --demo")
		},
	}
}

// listConsole is `triage` alone: the firing alerts, to pick one.
func (a *cli) listConsole(cmd *cobra.Command, _ []string) error {
	return needsTerminal(cmd, a.app.RunList(cmd.Context()), "triage incidents` to list the alerts, or `triage report")
}

// needsTerminal turns the console's missing terminal into what to run
// instead, rather than the terminal library's /dev/tty error.
func needsTerminal(cmd *cobra.Command, err error, instead string) error {
	if errors.Is(err, app.ErrNoTerminal) {
		return fmt.Errorf("%s needs a terminal; use `%s` to print to stdout", cmd.CommandPath(), instead)
	}
	return err
}
