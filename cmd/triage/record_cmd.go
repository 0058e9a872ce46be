package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/triagectl/triage/internal/app"
)

func (a *cli) recordCommand() *cobra.Command {
	var alertFile, fingerprint, out, oldOut, title string
	var noDrill bool
	cmd := &cobra.Command{
		Use:   "record (--alert-file F | --fingerprint ID) -f FILE",
		Short: "Investigate an alert and write an incident bundle",
		Long: `Investigate an alert against the configured sources and write an incident
bundle: every raw request and response (source, query, status, headers,
body, timing) and the report, in one compressed file. The bundle reopens
offline, long after the backends have dropped the data:

  triage open --bundle FILE       the console, replayed
  triage report --bundle FILE     the report, replayed

After the investigation the bundle also records what the console's
drill-down asks (each failing trace's logs, each service's series), so
those pages work offline too. Credentials are never written.

The command prints a one-line summary to stderr, and exits 1 when no source
answered (the bundle is written all the same: it records why).

-o FILE, the old spelling of -f, still works in this release and says so:
-o names the output format on every other command.`,
		Example: `  triage record --fingerprint 4f2c1a9e0b7d3c55 -f incident.bundle
  triage record --alert-file alert.json -f incident.bundle --title "checkout 5xx, Tuesday"
  triage report --bundle incident.bundle`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if oldOut != "" {
				if out != "" && out != oldOut {
					return errors.New("give the bundle file once, with -f")
				}
				out = oldOut
			}
			if out == "" {
				return errors.New("-f FILE is required: where to write the bundle")
			}
			ctx := cmd.Context()
			alert, err := app.ResolveAlert(ctx, a.cfg.Config, alertFile, fingerprint)
			if err != nil {
				return err
			}
			rec := app.Recording{Config: a.cfg.Config, Alert: alert, TriageVersion: triageVersion(), Title: title, NoDrillDown: noDrill}
			done, runErr := a.app.RecordFile(ctx, rec, out)
			if done == nil {
				return runErr
			}
			fmt.Fprintln(a.stderr, done.Summary())
			if runErr != nil {
				fmt.Fprintln(a.stderr, "triage:", runErr)
				return exitError{1}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&alertFile, "alert-file", "", "alert JSON: a webhook payload or Alertmanager API alerts")
	cmd.Flags().StringVar(&fingerprint, "fingerprint", "", "fingerprint of an alert in Alertmanager")
	cmd.Flags().StringVarP(&out, "file", "f", "", "the bundle file to write")
	cmd.Flags().StringVarP(&oldOut, "output", "o", "", "the old name of -f")
	deprecate(cmd, "output", "file", "use -f/--file; -o will name the output format, as on every other command")
	cmd.Flags().StringVar(&title, "title", "", "a title for the bundle, shown when it is opened")
	cmd.Flags().BoolVar(&noDrill, "no-drill-down", false, "record the investigation only, not the drill-down pages' requests")
	return cmd
}
