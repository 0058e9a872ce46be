package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/triagectl/triage/internal/app"
)

func (a *cli) checkCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Probe every configured source: readiness, version and auth",
		Long: `Probe every configured source: its ready endpoint, its version, and a call
that needs auth. Prints a table and exits non-zero if any source failed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rows := app.ProbeAll(cmd.Context(), a.cfg.Sources.Each())
			app.WriteCheckTable(a.stdout, rows)
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
			if failed > 0 {
				return exitError{1}
			}
			return nil
		},
	}
}
