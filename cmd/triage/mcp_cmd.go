package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func (a *cli) mcpCommand() *cobra.Command {
	var bundlePath string
	var demoFlag bool
	cmd := &cobra.Command{
		Use:   "mcp [--bundle F | --demo]",
		Short: "Serve Triage to an assistant over the Model Context Protocol (stdio)",
		Long: `Serve Triage's tools to an assistant over the Model Context Protocol, on
stdin and stdout: list_incidents, investigate, get_trace, get_trace_logs,
get_pattern_lines and compare_traces, read-only; silence too when
mcp.allow_silence is true. Each answer is at most mcp.max_answer_bytes of
text (8192), with a cursor to page on, and names the sources that failed.

Incidents come from Alertmanager (sources.alertmanager.url); investigate
also takes an alert JSON. With --bundle the recorded incident is served
offline, its drill-downs replayed; --demo serves the embedded demo.
triage serve offers the same server over HTTP at /mcp.`,
		Example: `  triage mcp --config ~/.config/triage/config.yaml
  triage mcp --demo`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if bundlePath != "" && demoFlag {
				return errors.New("give one of --bundle and --demo")
			}
			return a.app.RunMCP(cmd.Context(), bundlePath, demoFlag)
		},
	}
	cmd.Flags().StringVar(&bundlePath, "bundle", "", "serve an incident bundle offline")
	cmd.Flags().BoolVar(&demoFlag, "demo", false, "serve the embedded demo incident")
	return cmd
}
