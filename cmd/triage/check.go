package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/triagectl/triage/internal/app"
)

func (a *cli) checkCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "check [-o text|json|yaml|markdown|slack]",
		Short: "Probe every configured source: readiness, version and auth",
		Long: `Probe every configured source: its ready endpoint, its version, and a call
that needs auth. Prints a table (or -o json, yaml, markdown, slack) and
exits 1 if any source failed, 2 if none is configured.`,
		Example: `  triage check
  triage check --loki-url http://loki:3100 -o json | jq -r '.sources[] | select(.state == "failed") | .name'`,
		Args: noArgs,
	}
	format := outputFlag(cmd, app.CheckFormats)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		f, err := format()
		if err != nil {
			return err
		}
		rows := app.ProbeAll(cmd.Context(), a.cfg.Sources.Each())
		configured, failed := 0, 0
		for _, r := range rows {
			a.log.Info("check", "source", r.Name, "state", r.State, "latency", r.Latency, "error", r.Err)
			if r.State != "unconfigured" {
				configured++
			}
			if r.State == "failed" {
				failed++
			}
		}
		if configured == 0 {
			fmt.Fprintln(a.stderr, "no source configured: set sources.<name>.url in the config file, TRIAGE_SOURCES_<NAME>_URL, or --<name>-url")
			return exitError{2}
		}
		if err := app.WriteCheck(a.stdout, rows, f); err != nil {
			return err
		}
		if failed > 0 {
			return exitError{1}
		}
		return nil
	}
	return cmd
}
