package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/triagectl/triage/internal/wiring"
	"github.com/triagectl/triage/sources/alertmanager"
	"github.com/triagectl/triage/triage"
)

func (a *app) reportCommand() *cobra.Command {
	var alertFile, fingerprint, format string
	cmd := &cobra.Command{
		Use:   "report (--alert-file F | --fingerprint ID) [--format json|markdown]",
		Short: "Investigate an alert and print the report",
		Long: `Investigate an alert against the configured sources and print the report:
JSON (version 1, stable for scripts) or markdown for chat and postmortems.

The alert comes from a file (an Alertmanager or Grafana webhook payload, or
Alertmanager API alerts) or from Alertmanager by fingerprint. The command
exits 1 when no source answered; the report then says why.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (alertFile == "") == (fingerprint == "") {
				return errors.New("give exactly one of --alert-file and --fingerprint")
			}
			if format != "json" && format != "markdown" {
				return fmt.Errorf("--format %q: expected json or markdown", format)
			}
			var alert triage.Alert
			if alertFile != "" {
				body, err := os.ReadFile(alertFile)
				if err != nil {
					return err
				}
				if alert, err = wiring.ParseAlertFile(body); err != nil {
					return fmt.Errorf("%s: %w", alertFile, err)
				}
			} else {
				if !a.cfg.Sources.Alertmanager.Configured() {
					return errors.New("--fingerprint needs sources.alertmanager.url")
				}
				am, err := alertmanager.New(a.cfg.Sources.Alertmanager)
				if err != nil {
					return err
				}
				if alert, err = wiring.AlertByFingerprint(cmd.Context(), am, fingerprint); err != nil {
					return err
				}
			}
			srcs, err := wiring.EngineSources(a.cfg.Config)
			if err != nil {
				return err
			}
			inv := triage.NewInvestigation(srcs, wiring.EngineOptions(a.cfg.Config), triage.REDQueries{})
			a.log.Info("investigating", "alert", alert.Name, "fingerprint", alert.Fingerprint)
			r, runErr := inv.Run(cmd.Context(), alert, nil)
			if r == nil {
				return runErr
			}
			if err := writeReport(a, r, format); err != nil {
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
	return cmd
}

func writeReport(a *app, r *triage.Report, format string) error {
	if format == "markdown" {
		return triage.WriteMarkdown(a.stdout, r)
	}
	enc := json.NewEncoder(a.stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
