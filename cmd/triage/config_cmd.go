package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *cli) configCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "config",
		Short: "Print the effective config, secrets redacted",
		Long: `Print the effective config: built-in defaults, overlaid by the config file,
then TRIAGE_* environment variables, then flags. Secrets are redacted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, err := a.cfg.Redacted().YAML()
			if err != nil {
				return err
			}
			src := "built-in defaults (no config file)"
			if a.cfg.File != "" {
				src = a.cfg.File
			}
			fmt.Fprintf(a.stdout, "# effective config; file: %s\n%s", src, out)
			return nil
		},
	}
}
