package main

import (
	"github.com/spf13/cobra"

	"github.com/triagectl/triage/internal/output"
)

// outputFlag adds --output/-o to cmd: one of formats, the first by
// default. The returned function parses the value given.
func outputFlag(cmd *cobra.Command, formats []output.Format) func() (output.Format, error) {
	var v string
	cmd.Flags().StringVarP(&v, "output", "o", string(formats[0]), output.Help(formats))
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		names := make([]string, len(formats))
		for i, f := range formats {
			names[i] = string(f)
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	})
	return func() (output.Format, error) { return output.Parse(v, formats...) }
}
