package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/triagectl/triage/internal/app"
	"github.com/triagectl/triage/sources/bundle"
	"github.com/triagectl/triage/triage"
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
			w, err := bundle.Create(out, rec.Header())
			if err != nil {
				return err
			}
			a.log.Info("recording", "alert", alert.Name, "fingerprint", alert.Fingerprint, "bundle", out)
			r, runErr := app.Record(ctx, w, rec, nil)
			if ctx.Err() != nil || r == nil {
				w.Abort()
				if runErr == nil {
					runErr = ctx.Err()
				}
				return fmt.Errorf("nothing written to %s: %w", out, runErr)
			}
			n := w.Exchanges()
			if err := w.Close(); err != nil {
				return fmt.Errorf("write %s: %w", out, err)
			}
			size := int64(0)
			if st, err := os.Stat(out); err == nil {
				size = st.Size()
			}
			fmt.Fprintln(a.stderr, recordSummary(out, r, n, size))
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

// recordSummary is the one line `triage record` prints: what was written
// and what it holds.
func recordSummary(path string, r *triage.Report, exchanges int, size int64) string {
	var states []string
	for _, s := range r.Sources {
		states = append(states, s.Name+" "+string(s.State))
	}
	verdict := "no culprit"
	for _, s := range r.Services {
		if s.Role == triage.RoleCulprit {
			verdict = fmt.Sprintf("culprit %s, %d failing traces", s.Name, s.FailingTraces)
			break
		}
	}
	return fmt.Sprintf("recorded %s: %d exchanges, %s → %s (%s; %s)", r.Alert.Name, exchanges,
		humanBytes(size), path, verdict, strings.Join(states, ", "))
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
