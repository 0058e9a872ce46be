package app

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/triagectl/triage/internal/config"
	"github.com/triagectl/triage/internal/demo"
	"github.com/triagectl/triage/internal/output"
	"github.com/triagectl/triage/sources/bundle"
	"github.com/triagectl/triage/triage"
)

// ErrNoSourceAnswered is returned, after the report is written, when no
// source answered: the report then says why.
var ErrNoSourceAnswered = triage.ErrAllSourcesFailed

// Investigate runs alert's investigation against the configured sources.
// On a terminal, stderr shows its progress while it runs.
func (a *App) Investigate(ctx context.Context, alert triage.Alert) (*triage.Report, error) {
	srcs, err := EngineSources(a.Config)
	if err != nil {
		return nil, err
	}
	a.Log.Info("investigating", "alert", alert.Name, "fingerprint", alert.Fingerprint)
	p := a.newProgress(alert.Name)
	defer p.end()
	o := EngineOptions(a.Config)
	o.TraceFetched = p.fetched()
	return triage.NewInvestigation(srcs, o, EngineRED(a.Config)).Run(ctx, alert, p.emit())
}

// LoadBundle reads the bundle at path within the config's bundle limits,
// or the embedded demo.
func LoadBundle(c config.Config, path string, useDemo bool) (*bundle.Bundle, error) {
	if useDemo {
		return demo.Open()
	}
	return BundleLimits(c).ReadFile(path)
}

// BundleLimits are the config's bundle section as the reader takes them.
func BundleLimits(c config.Config) bundle.Limits {
	return bundle.Limits{MaxLineBytes: c.Bundle.MaxLineBytes, MaxBytes: c.Bundle.MaxBytes, MaxHeldBytes: c.Bundle.MaxHeldBytes}
}

// Replay says how a bundle's report is made.
type Replay struct {
	// Recorded takes the report the bundle recorded, without replaying.
	Recorded bool
	// Pace answers each exchange as late as the backends answered it
	// during the recording; otherwise every answer comes at once. Both
	// give the same report: the engine waits for every source's trace ids
	// before it samples.
	Pace bool
}

// ReplayReport is a bundle's report: replayed through the engine (at once,
// or at the recorded pace), or as recorded. The requests the bundle did
// not hold are said on stderr. A demo bundle's report is marked DEMO.
func (a *App) ReplayReport(ctx context.Context, b *bundle.Bundle, o Replay) (*triage.Report, error) {
	if o.Recorded {
		if b.Report == nil {
			return nil, errors.New("the bundle holds no report: replay it without --recorded")
		}
		r := b.Report.Clone()
		r.Demo = b.Header.Demo
		return r, nil
	}
	rp, err := ReplaySources(b, bundle.ReplayOptions{Pace: o.Pace})
	if err != nil {
		return nil, err
	}
	a.Log.Info("replaying", "alert", b.Header.Alert.Name, "demo", b.Header.Demo, "exchanges", b.Len(), "paced", o.Pace)
	p := a.newProgress(b.Header.Alert.Name)
	rp.Options.TraceFetched = p.fetched()
	r, runErr := rp.Investigate(ctx, p.emit())
	p.end()
	if missed := rp.Replay.Missed(); len(missed) > 0 {
		a.Log.Warn("replay asked what the bundle does not hold", "requests", missed)
		fmt.Fprintf(a.Stderr, "triage: the replay asked %d requests the bundle does not hold (first: %s); those parts say not recorded\n",
			len(missed), missed[0])
	}
	if r != nil {
		r.Demo = b.Header.Demo
		if !o.Pace {
			backendsPace(r, b.Report)
		}
	}
	return r, runErr
}

// backendsPace gives a replay made at once each source's latency as the
// recording measured it, and so its slow mark: the replay measured only
// itself, and a backend that was slow then is slow in every report made
// from its answers. A state the answers decide (failed, partial) stays.
func backendsPace(r, recorded *triage.Report) {
	if recorded == nil {
		return
	}
	timed := func(s triage.SourceState) bool { return s == triage.StateOK || s == triage.StateSlow }
	for i := range r.Sources {
		for _, rec := range recorded.Sources {
			if rec.Name != r.Sources[i].Name || !timed(rec.State) || !timed(r.Sources[i].State) {
				continue
			}
			r.Sources[i].LatencyMS, r.Sources[i].State = rec.LatencyMS, rec.State
		}
	}
}

// ReportFormats are the formats a report is written in, the default first.
var ReportFormats = output.All

// WriteReport writes r in format f. JSON and YAML carry the links to the
// evidence that the configured Grafana gives; text, markdown and Slack
// show them.
func (a *App) WriteReport(w io.Writer, r *triage.Report, f output.Format) error {
	o := triage.ReportOptions{Grafana: triage.Grafana{URL: a.Config.Grafana.URL, Datasources: a.Config.Grafana.Datasources}}
	switch f {
	case output.JSON, output.YAML:
		c := r.Clone()
		if len(c.Links) == 0 {
			c.Links = triage.EvidenceLinks(c, o.Grafana)
		}
		if f == output.JSON {
			return output.WriteJSON(w, c)
		}
		return output.WriteYAML(w, c)
	case output.Markdown:
		return triage.WriteMarkdownWith(w, r, o)
	case output.Slack:
		return triage.WriteSlack(w, r, o)
	case output.Text:
		return triage.WriteText(w, r, o)
	}
	return fmt.Errorf("-o %q: expected %s", f, output.Names(ReportFormats))
}
