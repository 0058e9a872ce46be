package app

import (
	"context"
	"fmt"
	"io"
	"math"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/triagectl/triage/internal/config"
	"github.com/triagectl/triage/internal/output"
	"github.com/triagectl/triage/internal/safe"
	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/sources/alertmanager"
	"github.com/triagectl/triage/sources/jaeger"
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
	case "jaeger":
		return jaeger.New(cfg)
	case "alertmanager":
		return alertmanager.New(cfg)
	}
	return nil, fmt.Errorf("unknown source %q", name)
}

// ProbeResult is one row of `triage check`.
type ProbeResult struct {
	Name    string
	URL     string
	State   string // ok | failed | unconfigured
	Version string
	Latency time.Duration
	Err     string
}

// Probe checks one source: ready endpoint, version, and a call that needs
// auth. The first failure decides the row.
func Probe(ctx context.Context, name string, cfg sources.Config) ProbeResult {
	r := ProbeResult{Name: name, URL: cfg.URL, State: "unconfigured"}
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
	fail := func(step string, err error) ProbeResult {
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

// ProbeAll probes the sources concurrently: one slow source does not hold
// up the others' answers.
func ProbeAll(ctx context.Context, srcs []config.Named) []ProbeResult {
	out := make([]ProbeResult, len(srcs))
	var wg sync.WaitGroup
	for i, s := range srcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = Probe(ctx, s.Name, s.Config)
		}()
	}
	wg.Wait()
	return out
}

// CheckFormats are the formats of `triage check`, the default first.
var CheckFormats = output.All

// checkRow is one source in check's JSON and YAML.
type checkRow struct {
	Name      string   `json:"name"`
	URL       string   `json:"url,omitempty"`
	State     string   `json:"state"`
	Version   string   `json:"version,omitempty"`
	LatencyMS *float64 `json:"latency_ms"` // null when not probed
	Error     string   `json:"error,omitempty"`
}

// WriteCheck writes the rows of `triage check` in format f: a table, or
// {"sources": [...]} as JSON or YAML.
func WriteCheck(w io.Writer, rows []ProbeResult, f output.Format) error {
	switch f {
	case output.JSON, output.YAML:
		doc := struct {
			Sources []checkRow `json:"sources"`
		}{Sources: []checkRow{}}
		for _, r := range rows {
			row := checkRow{Name: r.Name, URL: r.URL, State: r.State, Version: r.Version, Error: r.Err}
			if r.State != "unconfigured" {
				ms := math.Round(float64(r.Latency)/float64(time.Millisecond)*10) / 10
				row.LatencyMS = &ms
			}
			doc.Sources = append(doc.Sources, row)
		}
		if f == output.JSON {
			return output.WriteJSON(w, doc)
		}
		return output.WriteYAML(w, doc)
	case output.Text:
		WriteCheckTable(w, rows)
		return nil
	}
	t := output.Table{Header: []string{"source", "url", "state", "version", "latency", "error"}}
	for _, r := range rows {
		lat := ""
		if r.State != "unconfigured" {
			lat = r.Latency.Round(time.Millisecond).String()
		}
		t.Rows = append(t.Rows, []string{r.Name, r.URL, stateSymbol(r.State), r.Version, lat, safe.Truncate(r.Err, 160)})
	}
	return t.Write(w, f)
}

func stateSymbol(state string) string {
	return map[string]string{"ok": "● ok", "failed": "✖ failed", "unconfigured": "○ unconfigured"}[state]
}

// WriteCheckTable prints the rows as `triage check`'s table.
func WriteCheckTable(w io.Writer, rows []ProbeResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tURL\tSTATE\tVERSION\tLATENCY\tERROR")
	for _, r := range rows {
		state := stateSymbol(r.State)
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
