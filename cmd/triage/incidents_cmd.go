package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/triagectl/triage/internal/app"
)

// incidentsCommand lists Alertmanager's alerts, as amtool alert query and
// kubectl get do.
func (a *cli) incidentsCommand() *cobra.Command {
	var bundlePath string
	var demoFlag bool
	cmd := &cobra.Command{
		Use:     "incidents [-o text|json|yaml|markdown|slack] [--bundle F | --demo]",
		Aliases: []string{"incident", "alerts"},
		Short:   "List the alerts in Alertmanager, newest first",
		Long: `List the alerts Alertmanager holds, newest first: name, service (from
mapping.service_labels), severity, state (firing, silenced, inhibited),
age, fingerprint and summary. The fingerprint is what triage open and
triage report --fingerprint take.

With --bundle the list Alertmanager gave when the bundle was recorded is
shown, ages counted from then; --demo shows the demo's.`,
		Example: `  triage incidents
  triage incidents -o json | jq -r '.incidents[] | select(.state == "firing") | .fingerprint'
  triage incidents --demo -o markdown`,
		Args: noArgs,
	}
	format := outputFlag(cmd, app.IncidentFormats)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		f, err := format()
		if err != nil {
			return err
		}
		if bundlePath != "" && demoFlag {
			return errors.New("give one of --bundle and --demo")
		}
		list, err := a.app.ListIncidents(cmd.Context(), bundlePath, demoFlag)
		if err != nil {
			return err
		}
		return app.WriteIncidents(a.stdout, list, f)
	}
	cmd.Flags().StringVar(&bundlePath, "bundle", "", "the alert list an incident bundle recorded")
	cmd.Flags().BoolVar(&demoFlag, "demo", false, "the embedded demo's alert list")
	return cmd
}
