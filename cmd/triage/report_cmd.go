package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/triagectl/triage/internal/app"
	"github.com/triagectl/triage/internal/output"
	"github.com/triagectl/triage/triage"
)

// errNoAlert names every way to give report an alert.
var errNoAlert = errors.New(`which alert? give one of:
  --alert-file F    an alert file: an Alertmanager or Grafana webhook payload, or Alertmanager API alerts
  --fingerprint ID  an alert firing in Alertmanager (triage incidents lists them)
  --bundle F        a recorded incident (triage record), replayed offline
  --demo            the embedded demo incident`)

func (a *cli) reportCommand() *cobra.Command {
	var alertFile, fingerprint, format, bundlePath string
	var demoFlag, recorded, paced bool
	var parseOutput func() (output.Format, error)
	cmd := &cobra.Command{
		Use:   "report (--alert-file F | --fingerprint ID | --bundle F | --demo) [-o text|json|yaml|markdown|slack]",
		Short: "Investigate an alert and print the report",
		Long: `Investigate an alert against the configured sources and print the report:
text for a terminal (the default), JSON or YAML for scripts (report
version 2, stable: fields are only ever added), markdown for a ticket or
a postmortem (GitHub, GitLab, Jira), or Slack's mrkdwn for a channel.

The alert comes from a file (an Alertmanager or Grafana webhook payload,
or Alertmanager API alerts) or from Alertmanager by fingerprint. The
command exits 1 when no source answered; the report then says why. On a
terminal, stderr shows the investigation's progress while it runs.

With --bundle the investigation is replayed offline from an incident
bundle (see triage record), answered as the backends answered then, all
at once; --recorded-pace answers as late as the backends did. --demo does
the same with the embedded demo incident, and its report is marked DEMO.
--recorded prints the report the bundle recorded instead of replaying it.`,
		Example: `  triage report --demo
  triage report --alert-file alert.json -o json | jq '.services[0]'
  triage report --fingerprint 4f2c1a9e0b7d3c55 -o markdown > incident.md
  triage report --bundle incident.bundle -o slack
  triage report --bundle incident.bundle --recorded -o yaml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := parseOutput()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			var r *triage.Report
			var runErr error
			switch {
			case bundlePath != "" || demoFlag:
				if alertFile != "" || fingerprint != "" || (bundlePath != "" && demoFlag) {
					return errors.New("give exactly one of --alert-file, --fingerprint, --bundle and --demo")
				}
				if recorded && paced {
					return errors.New("--recorded prints the recorded report without replaying: --recorded-pace has nothing to pace")
				}
				b, err := app.LoadBundle(a.cfg.Config, bundlePath, demoFlag)
				if err != nil {
					return err
				}
				r, runErr = a.app.ReplayReport(ctx, b, app.Replay{Recorded: recorded, Pace: paced})
			case recorded || paced:
				return errors.New("--recorded and --recorded-pace need --bundle or --demo")
			case alertFile == "" && fingerprint == "":
				return errNoAlert
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
			if err := a.app.WriteReport(a.stdout, r, f); err != nil {
				return err
			}
			if runErr != nil {
				fmt.Fprintln(a.stderr, "triage:", runErr)
				return exitError{1}
			}
			return nil
		},
	}
	getFormat := outputFlag(cmd, app.ReportFormats)
	parseOutput = func() (output.Format, error) {
		if cmd.Flags().Changed("format") {
			if cmd.Flags().Changed("output") {
				return "", errors.New("give -o alone: --format is its old name")
			}
			return output.Parse(format, app.ReportFormats...)
		}
		return getFormat()
	}
	cmd.Flags().StringVar(&alertFile, "alert-file", "", "alert JSON: a webhook payload or Alertmanager API alerts")
	cmd.Flags().StringVar(&fingerprint, "fingerprint", "", "fingerprint of an alert in Alertmanager")
	cmd.Flags().StringVar(&format, "format", "", "the old name of -o")
	deprecate(cmd, "format", "output", "use -o/--output; --format goes in a later release")
	cmd.Flags().StringVar(&bundlePath, "bundle", "", "replay the investigation of an incident bundle, offline")
	cmd.Flags().BoolVar(&demoFlag, "demo", false, "replay the embedded demo incident")
	cmd.Flags().BoolVar(&recorded, "recorded", false, "with --bundle or --demo: print the recorded report, without replaying")
	cmd.Flags().BoolVar(&paced, "recorded-pace", false, "with --bundle or --demo: replay at the recorded pace, as slow as the backends were")
	return cmd
}
