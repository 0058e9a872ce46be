package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/triagectl/triage/internal/config"
	"github.com/triagectl/triage/internal/safe"
	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/sources/alertmanager"
	"github.com/triagectl/triage/sources/loki"
	"github.com/triagectl/triage/sources/prometheus"
	"github.com/triagectl/triage/sources/tempo"
)

// newProber builds the client for a named source.
func newProber(name string, cfg sources.Config) (sources.Prober, error) {
	switch name {
	case "prometheus":
		return prometheus.New(cfg)
	case "loki":
		return loki.New(cfg)
	case "tempo":
		return tempo.New(cfg)
	case "alertmanager":
		return alertmanager.New(cfg)
	}
	return nil, fmt.Errorf("unknown source %q", name)
}

// probeResult is one row of `triage check`.
type probeResult struct {
	Name    string
	URL     string
	State   string // ok | failed | unconfigured
	Version string
	Latency time.Duration
	Err     string
}

// probe checks one source: ready endpoint, version, and a call that needs
// auth. The first failure decides the row.
func probe(ctx context.Context, name string, cfg sources.Config) probeResult {
	r := probeResult{Name: name, URL: cfg.URL, State: "unconfigured"}
	if !cfg.Configured() {
		return r
	}
	p, err := newProber(name, cfg)
	if err != nil {
		r.State, r.Err = "failed", err.Error()
		return r
	}
	r.URL = p.URL()
	start := time.Now()
	fail := func(step string, err error) probeResult {
		r.State = "failed"
		if se, ok := sources.AsError(err); ok {
			r.Err = step + ": " + string(se.Kind) + ": " + se.Reason()
		} else {
			r.Err = step + ": " + err.Error()
		}
		r.Latency = time.Since(start)
		return r
	}
	if err := p.Ready(ctx); err != nil {
		return fail("ready", err)
	}
	info, err := p.BuildInfo(ctx)
	if err != nil {
		return fail("version", err)
	}
	r.Version = info.Version
	if r.Version == "" {
		r.Version = "unknown"
	}
	if err := p.AuthCheck(ctx); err != nil {
		return fail("auth", err)
	}
	r.State = "ok"
	r.Latency = time.Since(start)
	return r
}

// probeAll probes the sources concurrently: one slow source does not hold
// up the others' answers.
func probeAll(ctx context.Context, srcs []config.Named) []probeResult {
	out := make([]probeResult, len(srcs))
	var wg sync.WaitGroup
	for i, s := range srcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = probe(ctx, s.Name, s.Config)
		}()
	}
	wg.Wait()
	return out
}

func writeCheckTable(w io.Writer, rows []probeResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tURL\tSTATE\tVERSION\tLATENCY\tERROR")
	for _, r := range rows {
		state := map[string]string{"ok": "● ok", "failed": "✖ failed", "unconfigured": "○ unconfigured"}[r.State]
		lat, ver, url := "-", "-", "-"
		if r.State != "unconfigured" {
			lat = r.Latency.Round(time.Millisecond).String()
			url = safe.Line(r.URL)
		}
		if r.Version != "" {
			ver = safe.Line(r.Version)
		}
		errText := "-"
		if r.Err != "" {
			errText = safe.Truncate(safe.Line(r.Err), 160)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, url, state, ver, lat, errText)
	}
	tw.Flush()
}

func (a *app) checkCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Probe every configured source: readiness, version and auth",
		Long: `Probe every configured source: its ready endpoint, its version, and a call
that needs auth. Prints a table and exits non-zero if any source failed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rows := probeAll(cmd.Context(), a.cfg.Sources.Each())
			writeCheckTable(a.stdout, rows)
			configured, failed := 0, 0
			for _, r := range rows {
				a.log.Info("check", "source", r.Name, "state", r.State, "latency", r.Latency, "error", r.Err)
				if r.State != "unconfigured" {
					configured++
				}
				if r.State == "failed" {
					failed++
				}
			}
			if configured == 0 {
				fmt.Fprintln(a.stderr, "no source configured: set sources.<name>.url in the config file, TRIAGE_SOURCES_<NAME>_URL, or --<name>-url")
				return exitError{2}
			}
			if failed > 0 {
				return exitError{1}
			}
			return nil
		},
	}
}
