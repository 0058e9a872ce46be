package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/triagectl/triage/internal/app"
)

func (a *cli) storeCommand() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "store",
		Short: "Check or salvage triage serve's incident store",
		Long: `Check or salvage the incident store of triage serve (serve.store, or
--store). Both only read the store; stop triage serve first, it holds the
file's lock.`,
		Example: `  triage store check --store /var/lib/triage/incidents.db
  triage store salvage -o new.db --store /var/lib/triage/incidents.db`,
		Args: noArgs,
	}
	cmd.PersistentFlags().StringVar(&path, "store", "", "the store file (default serve.store)")
	storePath := func() string { return app.StorePath(a.cfg.Config, path) }
	check := &cobra.Command{
		Use:   "check",
		Short: "Check the store's pages and records; exit 1 when damaged",
		Long: `Check every page of the store as bbolt lays it out, then bbolt's own
consistency check, then the store's records: each incident decodes, every
alert names a stored incident, every report and bundle is there and hashes
to its name, and reference counts match. Prints what is wrong and exits 1
when anything is.`,
		Example: `  triage store check
  triage store check --store /var/lib/triage/incidents.db`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p := storePath()
			rep, err := app.CheckStore(cmd.Context(), p)
			if err != nil {
				return err
			}
			if !rep.OK() {
				fmt.Fprintf(a.stdout, "store %s is damaged:\n", p)
				for _, pr := range rep.Problems {
					fmt.Fprintf(a.stdout, "  %s\n", pr)
				}
				if rep.PageDamage {
					fmt.Fprintf(a.stdout, "run `triage store salvage -o NEW --store %s` to copy every readable incident into NEW\n", p)
				}
				return exitError{1}
			}
			fmt.Fprintf(a.stdout, "store %s: ok (schema %d, %d bytes): %d incidents (%d firing, %d resolved), %d alerts, %d reports and bundles\n",
				p, rep.Schema, rep.Bytes, rep.Firing+rep.Resolved, rep.Firing, rep.Resolved, rep.Alerts, rep.Blobs)
			return nil
		},
	}
	var out string
	salvage := &cobra.Command{
		Use:   "salvage -o NEW",
		Short: "Copy every readable incident of a damaged store into a new one",
		Long: `Copy every readable incident of the store, with its alerts, report and
bundle, into a new store at NEW, reading the damaged file page by page: an
unreadable page loses only the entries it holds. Reports and bundles are
kept only when they still hash to their name; a firing incident whose
report was lost is investigated again when triage serve starts on NEW.
Alerts whose incident was lost are dropped, so that Alertmanager's next
notification opens the incident again. Prints what was copied and lost.`,
		Example: `  triage store salvage -o /var/lib/triage/new.db --store /var/lib/triage/incidents.db`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return fmt.Errorf("salvage: -o NEW is required (a new file; an existing one is never overwritten)")
			}
			p := storePath()
			rep, err := app.SalvageStore(cmd.Context(), p, out)
			if err != nil {
				return err
			}
			w := a.stdout
			fmt.Fprintf(w, "salvaged %s into %s\n", p, out)
			fmt.Fprintf(w, "  incidents  %d copied", rep.Incidents)
			if rep.Recovered > 0 {
				fmt.Fprintf(w, " (%d from pages the store no longer reaches, possibly an older version)", rep.Recovered)
			}
			fmt.Fprintf(w, ", %d unreadable, %d named by their alerts but found nowhere\n", rep.IncidentsUnreadable, rep.IncidentsMissing)
			fmt.Fprintf(w, "  alerts     %d copied, %d lost, %d dropped with their lost incident\n", rep.Alerts, rep.AlertsLost, rep.AlertsOrphaned)
			fmt.Fprintf(w, "  reports    %d copied, %d lost", rep.Reports, rep.ReportsLost)
			if rep.ReportsLost > 0 {
				fmt.Fprint(w, " (the firing incidents among them are investigated again)")
			}
			fmt.Fprintln(w)
			fmt.Fprintf(w, "  bundles    %d copied, %d lost\n", rep.Bundles, rep.BundlesLost)
			if len(rep.Damage) > 0 {
				fmt.Fprintf(w, "  %d unreadable:\n", len(rep.Damage))
				for i, d := range rep.Damage {
					if i == 20 {
						fmt.Fprintf(w, "    … and %d more\n", len(rep.Damage)-i)
						break
					}
					fmt.Fprintf(w, "    %s\n", d)
				}
			}
			return nil
		},
	}
	salvage.Flags().StringVarP(&out, "output", "o", "", "the new store to write (must not exist)")
	cmd.AddCommand(check, salvage)
	return cmd
}
