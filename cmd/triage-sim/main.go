// Command triage-sim drives a simulated shop incident with a known ground
// truth into Tempo (OTLP), Loki and a Prometheus scrape endpoint, for tests
// and demos of triage.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/triagectl/triage/internal/sim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRoot().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "triage-sim:", err)
		os.Exit(1)
	}
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "triage-sim",
		Short:         "Simulate a shop incident with a known ground truth",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newRunCmd(), newTruthCmd(), newRulesCmd(), newScenariosCmd())
	return root
}

// scenarioFlags are the scenario's fields as flags. The scenario starts from
// --scenario's preset (sim.DefaultScenario without it) and the flags given
// explicitly override its fields; --now pins the window for reproducible
// output.
type scenarioFlags struct {
	fs     *pflag.FlagSet
	preset string
	sc     sim.Scenario // the flags' values, applied only where Changed
	apply  []func(dst *sim.Scenario)
	now    string
}

// bind defines one scenario flag and remembers how to copy it over a preset.
func bind[T any](f *scenarioFlags, define func(*T, string, T, string), name string, field func(*sim.Scenario) *T, usage string) {
	d := sim.DefaultScenario()
	define(field(&f.sc), name, *field(&d), usage)
	f.apply = append(f.apply, func(dst *sim.Scenario) {
		if f.fs.Changed(name) {
			*field(dst) = *field(&f.sc)
		}
	})
}

func (f *scenarioFlags) register(fs *pflag.FlagSet) {
	f.fs = fs
	fs.StringVar(&f.preset, "scenario", "", "start from the preset `NAME` (list them with triage-sim scenarios); flags given override its fields, whose defaults shown here are db-region's")
	bind(f, fs.Int64Var, "seed", func(s *sim.Scenario) *int64 { return &s.Seed }, "random seed; the same seed and --now give the same incident")
	bind(f, fs.IntVar, "users", func(s *sim.Scenario) *int { return &s.Users }, fmt.Sprintf("number of users (at least %d)", sim.MinUsers))
	bind(f, fs.DurationVar, "window", func(s *sim.Scenario) *time.Duration { return &s.Window }, "traffic is generated over [now-window, now]")
	bind(f, fs.DurationVar, "incident-after", func(s *sim.Scenario) *time.Duration { return &s.IncidentAfter }, "the fault starts this long after the window start")
	bind(f, fs.Float64Var, "rps", func(s *sim.Scenario) *float64 { return &s.RPS }, "entry requests per second")
	bind(f, fs.StringVar, "error-service", func(s *sim.Scenario) *string { return &s.ErrorService }, `the dependency that fails ("" turns the fault off)`)
	bind(f, fs.StringVar, "error-segment", func(s *sim.Scenario) *string { return &s.ErrorSegment }, `key=value selecting the failing requests ("" for all)`)
	bind(f, fs.Float64Var, "error-rate", func(s *sim.Scenario) *float64 { return &s.ErrorRate }, "share of segment requests that fail")
	bind(f, fs.StringVar, "slow-service", func(s *sim.Scenario) *string { return &s.SlowService }, `the service that turns slow ("" for none)`)
	bind(f, fs.StringVar, "slow-segment", func(s *sim.Scenario) *string { return &s.SlowSegment }, `key=value selecting the slowed requests ("" for all)`)
	bind(f, fs.DurationVar, "slow-by", func(s *sim.Scenario) *time.Duration { return &s.SlowBy }, "latency added to slow calls")
	bind(f, fs.Float64Var, "slow-rate", func(s *sim.Scenario) *float64 { return &s.SlowRate }, "share of segment requests that are slow")
	bind(f, fs.StringVar, "noise-service", func(s *sim.Scenario) *string { return &s.NoiseService }, `a service with unrelated, tolerated errors ("" for none)`)
	bind(f, fs.Float64Var, "noise-rate", func(s *sim.Scenario) *float64 { return &s.NoiseRate }, "share of the noise service's calls that fail")
	bind(f, fs.StringVar, "planted", func(s *sim.Scenario) *string { return &s.Planted }, `key=value set on the affected requests' resource ("" for none)`)
	fs.StringVar(&f.now, "now", "", "end of the window, RFC 3339 (default: the current time)")
}

// scenario is the preset, or the default, with the given flags applied.
func (f *scenarioFlags) scenario() (sim.Scenario, error) {
	sc := sim.DefaultScenario()
	if f.preset != "" {
		var err error
		if sc, err = sim.PresetScenario(f.preset); err != nil {
			return sc, fmt.Errorf("--scenario: %w", err)
		}
	}
	for _, apply := range f.apply {
		apply(&sc)
	}
	return sc, nil
}

func (f *scenarioFlags) generate() (*sim.Incident, error) {
	now := time.Now()
	if f.now != "" {
		t, err := time.Parse(time.RFC3339Nano, f.now)
		if err != nil {
			return nil, fmt.Errorf("--now %q: want RFC 3339, e.g. 2026-01-02T03:04:05Z", f.now)
		}
		now = t
	}
	sc, err := f.scenario()
	if err != nil {
		return nil, err
	}
	return sim.Generate(sc, now)
}

func newScenariosCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "scenarios",
		Short: "List the named scenarios for --scenario",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			for _, p := range sim.Presets() {
				fmt.Fprintf(tw, "%s\t%s\n", p.Name, p.Description)
			}
			return tw.Flush()
		},
	}
}

func newTruthCmd() *cobra.Command {
	var f scenarioFlags
	cmd := &cobra.Command{
		Use:   "truth",
		Short: "Print the ground truth JSON without sending anything",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			inc, err := f.generate()
			if err != nil {
				return err
			}
			return writeTruth(cmd.OutOrStdout(), inc)
		},
	}
	f.register(cmd.Flags())
	return cmd
}

func newRulesCmd() *cobra.Command {
	var f scenarioFlags
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "Print the Prometheus alerting rules for the incident",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			inc, err := f.generate()
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(inc.RuleFile())
			return err
		},
	}
	f.register(cmd.Flags())
	return cmd
}

type runOptions struct {
	loki, tempo, listen, truth, rules string
	prometheus, promTarget            string
}

func newRunCmd() *cobra.Command {
	var f scenarioFlags
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Send the incident's traces and logs, then serve its metrics until interrupted",
		Long: "run generates the incident (--scenario NAME picks a preset, see `triage-sim scenarios`),\n" +
			"writes --truth and --rules, serves /metrics (and /truth, /rules)\n" +
			"on --metrics-listen, exports the traces to --tempo-otlp and pushes the logs to --loki.\n" +
			"With --prometheus it remote-writes the metrics' history up to now, so increase() over\n" +
			"the window and a baseline an hour back see the whole incident; that Prometheus needs\n" +
			"--web.enable-remote-write-receiver and storage.tsdb.out_of_order_time_window: 3h.\n" +
			"It prints key=value lines (metrics_addr, traces, logs, backfill) and then \"ready\"; with\n" +
			"--metrics-listen it keeps serving until interrupted.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			inc, err := f.generate()
			if err != nil {
				return err
			}
			return run(cmd.Context(), cmd.OutOrStdout(), inc, o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.loki, "loki", "", "Loki base URL to push logs to, e.g. http://127.0.0.1:3100")
	fs.StringVar(&o.tempo, "tempo-otlp", "", "OTLP/HTTP endpoint to export traces to, e.g. http://127.0.0.1:4318")
	fs.StringVar(&o.listen, "metrics-listen", "", "address to serve /metrics on, e.g. 127.0.0.1:0")
	fs.StringVar(&o.truth, "truth", "", "write the ground truth JSON to this file")
	fs.StringVar(&o.rules, "rules", "", "write the Prometheus rules YAML to this file")
	fs.StringVar(&o.prometheus, "prometheus", "", "Prometheus base URL to remote-write the metrics' history to, e.g. http://127.0.0.1:9090")
	fs.StringVar(&o.promTarget, "prometheus-target", "", "host:port that Prometheus scrapes /metrics on, to label the history like its scrapes (default: its only active target)")
	f.register(fs)
	return cmd
}

func run(ctx context.Context, out io.Writer, inc *sim.Incident, o runOptions) error {
	if o.truth != "" {
		fh, err := os.Create(o.truth)
		if err != nil {
			return err
		}
		if err := writeTruth(fh, inc); err != nil {
			fh.Close()
			return err
		}
		if err := fh.Close(); err != nil {
			return err
		}
	}
	if o.rules != "" {
		if err := os.WriteFile(o.rules, inc.RuleFile(), 0o644); err != nil {
			return err
		}
	}
	var srv *http.Server
	if o.listen != "" {
		ln, err := net.Listen("tcp", o.listen)
		if err != nil {
			return err
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", inc.MetricsHandler())
		mux.HandleFunc("/truth", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_ = writeTruth(w, inc)
		})
		mux.HandleFunc("/rules", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/yaml")
			_, _ = w.Write(inc.RuleFile())
		})
		srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		fmt.Fprintf(out, "metrics_addr=%s\n", ln.Addr())
	}
	truth := inc.Truth()
	if o.tempo != "" {
		if err := inc.SendTraces(ctx, o.tempo); err != nil {
			return err
		}
		fmt.Fprintf(out, "traces=%d\n", truth.Traces)
	}
	if o.loki != "" {
		if err := inc.PushLogs(ctx, o.loki); err != nil {
			return err
		}
		fmt.Fprintf(out, "logs=%d\n", truth.LogLines)
	}
	if o.prometheus != "" {
		err := inc.Backfill(ctx, o.prometheus, sim.BackfillOptions{Target: o.promTarget})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "backfill=%s\n", truth.Start.Add(-sim.DefaultBackfillBefore).UTC().Format(time.RFC3339))
	}
	fmt.Fprintln(out, "ready")
	if srv == nil {
		return nil
	}
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func writeTruth(w io.Writer, inc *sim.Incident) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(inc.Truth())
}
