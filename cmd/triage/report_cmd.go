package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/triagectl/triage/internal/app"
	"github.com/triagectl/triage/triage"
)

func (a *cli) reportCommand() *cobra.Command {
	var alertFile, fingerprint, format, bundlePath string
	var demoFlag, recorded bool
	cmd := &cobra.Command{
		Use:   "report (--alert-file F | --fingerprint ID | --bundle F | --demo) [--format json|markdown]",
		Short: "Investigate an alert and print the report",
		Long: `Investigate an alert against the configured sources and print the report:
JSON (version 1, stable for scripts) or markdown for chat and postmortems.
The alert comes from a file (an Alertmanager or Grafana webhook payload, or
Alertmanager API alerts) or from Alertmanager by fingerprint. The command
exits 1 when no source answered; the report then says why.

With --bundle the investigation is replayed offline from an incident bundle
(see triage record), answered as the backends answered then; --demo does
the same with the embedded demo incident. --recorded prints the report the
bundle recorded instead of replaying it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "json" && format != "markdown" {
				return fmt.Errorf("--format %q: expected json or markdown", format)
			}
			ctx := cmd.Context()
			var r *triage.Report
			var runErr error
			switch {
			case bundlePath != "" || demoFlag:
				if alertFile != "" || fingerprint != "" || (bundlePath != "" && demoFlag) {
					return errors.New("give exactly one of --alert-file, --fingerprint, --bundle and --demo")
				}
				b, err := app.LoadBundle(a.cfg.Config, bundlePath, demoFlag)
				if err != nil {
					return err
				}
				r, runErr = a.app.ReplayReport(ctx, b, recorded)
			case recorded:
				return errors.New("--recorded needs --bundle or --demo")
			default:
				alert, err := app.ResolveAlert(ctx, a.cfg.Config, alertFile, fingerprint)
				if err != nil {
					return err
				}
				r, runErr = a.app.Investigate(ctx, alert)
			}
			if r == nil {
				return runErr
			}
			if err := a.app.WriteReport(a.stdout, r, format); err != nil {
				return err
			}
			if runErr != nil {
				fmt.Fprintln(a.stderr, "triage:", runErr)
				return exitError{1}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&alertFile, "alert-file", "", "alert JSON: a webhook payload or Alertmanager API alerts")
	cmd.Flags().StringVar(&fingerprint, "fingerprint", "", "fingerprint of an alert in Alertmanager")
	cmd.Flags().StringVar(&format, "format", "json", "json or markdown")
	cmd.Flags().StringVar(&bundlePath, "bundle", "", "replay the investigation of an incident bundle, offline")
	cmd.Flags().BoolVar(&demoFlag, "demo", false, "replay the embedded demo incident")
	cmd.Flags().BoolVar(&recorded, "recorded", false, "with --bundle or --demo: print the recorded report, without replaying")
	return cmd
}
