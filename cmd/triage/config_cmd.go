package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/triagectl/triage/internal/output"
)

// configFormats are the formats of `triage config`: YAML, as the file is
// written, or JSON.
var configFormats = []output.Format{output.YAML, output.JSON}

func (a *cli) configCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config [-o yaml|json]",
		Short: "Print the effective config, secrets redacted",
		Long: `Print the effective config: built-in defaults, overlaid by the config file,
then the environment (the names other tools use, such as LOKI_ADDR, then
TRIAGE_* variables), then flags. Secrets are redacted. As YAML (the
default, a valid config file) or JSON.`,
		Example: `  triage config
  LOKI_ADDR=http://loki:3100 triage config -o json | jq .sources.loki`,
		Args: noArgs,
	}
	format := outputFlag(cmd, configFormats)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		f, err := format()
		if err != nil {
			return err
		}
		red := a.cfg.Redacted()
		if f == output.JSON {
			return output.WriteYAMLNodeJSON(a.stdout, red.Node())
		}
		out, err := red.YAML()
		if err != nil {
			return err
		}
		src := "built-in defaults (no config file)"
		if a.cfg.File != "" {
			src = a.cfg.File
		}
		fmt.Fprintf(a.stdout, "# effective config; file: %s\n", src)
		for _, e := range a.cfg.FromEnv {
			fmt.Fprintf(a.stdout, "# %s from %s\n", e.Key, e.Env)
		}
		_, err = a.stdout.Write(out)
		return err
	}
	return cmd
}
