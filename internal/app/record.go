package app

import (
	"github.com/triagectl/triage/sources/adapter"

	"bytes"
	"context"
	"errors"
	"time"

	"github.com/triagectl/triage/internal/config"
	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/sources/alertmanager"
	"github.com/triagectl/triage/sources/bundle"
	"github.com/triagectl/triage/sources/jaeger"
	"github.com/triagectl/triage/sources/loki"
	"github.com/triagectl/triage/sources/prometheus"
	"github.com/triagectl/triage/sources/tempo"
	"github.com/triagectl/triage/triage"
)

// Recording is one investigation to record into a bundle.
type Recording struct {
	Config config.Config
	Alert  triage.Alert
	// Options override the config's (tests narrow them); nil takes
	// EngineOptions(Config).
	Options *triage.Options
	RED     triage.REDQueries // the config's metrics preset when zero
	// Now is the investigation's clock, stopped; time.Now() when zero.
	Now           time.Time
	TriageVersion string
	Title         string
	Demo          bool
	// NoDrillDown skips recording the console's drill-down requests.
	NoDrillDown bool
}

func (r *Recording) fill() {
	if r.Now.IsZero() {
		r.Now = time.Now()
	}
	if r.RED == (triage.REDQueries{}) {
		r.RED = EngineRED(r.Config)
	}
}

// EngineOptions are the options the investigation runs with, its clock
// stopped at Now.
func (r *Recording) EngineOptions() triage.Options {
	r.fill()
	o := EngineOptions(r.Config)
	if r.Options != nil {
		o = *r.Options
	}
	now := r.Now
	o.Now = func() time.Time { return now }
	return o
}

// Header is the bundle header of the recording. It stops the clock: build
// it before Record, which runs with the same Now.
func (r *Recording) Header() bundle.Header {
	r.fill()
	red := r.RED
	return bundle.Header{TriageVersion: r.TriageVersion, Title: r.Title, Demo: r.Demo,
		Alert: bundle.AlertFrom(r.Alert), Options: bundle.OptionsFrom(r.EngineOptions(), r.Now.UTC()),
		RED: &red, Sources: BundleSources(r.Config)}
}

// BundleSources names the configured sources and their base URLs.
func BundleSources(c config.Config) []bundle.Source {
	var out []bundle.Source
	for _, n := range c.Sources.Each() {
		if n.Config.Configured() {
			out = append(out, bundle.Source{Name: n.Name, URL: n.Config.URL})
		}
	}
	return out
}

// RecordingSources builds the engine's sources from the config, every
// client's exchanges going to w.
func RecordingSources(c config.Config, w *bundle.Writer) (triage.Sources, error) {
	return newSources(c, w.Record)
}

// Record runs the recording's investigation with every exchange written to
// w, writes the report, then records Alertmanager's alert list (when it is
// configured) and the console's drill-down requests (see
// triage.AskDrillDowns), so that the bundle opens offline. It does not close w.
// emit, when not nil, receives the investigation's updates.
func Record(ctx context.Context, w *bundle.Writer, rec Recording, emit func(triage.Update)) (*triage.Report, error) {
	if rec.Now.IsZero() {
		// The header holds the clock; a second reading would move the window.
		return nil, errors.New("recording: Now is unset: build the bundle's header with Header() first")
	}
	rec.fill()
	src, err := RecordingSources(rec.Config, w)
	if err != nil {
		return nil, err
	}
	w.SetPhase(bundle.PhaseInvestigation)
	r, runErr := triage.NewInvestigation(src, rec.EngineOptions(), rec.RED).Run(ctx, rec.Alert, emit)
	if r == nil {
		return nil, runErr
	}
	if err := w.WriteReport(r); err != nil {
		return r, err
	}
	if am := rec.Config.Sources.Alertmanager; am.Configured() {
		if c, err := alertmanager.New(am); err == nil {
			w.SetPhase(bundle.PhaseAlerts)
			c.HTTP().OnExchange = w.Record
			_, _ = adapter.Alerts{C: c}.Firing(ctx) // recorded as answered, failures included
		}
	}
	if !rec.NoDrillDown {
		w.SetPhase(bundle.PhaseDrillDown)
		triage.AskDrillDowns(ctx, src, r, rec.RED, rec.EngineOptions())
	}
	return r, runErr
}

// Replayed is a bundle made ready for the engine and the console: the real
// clients, answering from the recorded exchanges.
type Replayed struct {
	Bundle  *bundle.Bundle
	Replay  *bundle.Replay
	Sources triage.Sources
	// Alertmanager answers the recorded alert list; nil when the bundle
	// has none. Silencing a replayed alert fails as not recorded.
	Alertmanager *alertmanager.Client
	Alert        triage.Alert
	Options      triage.Options // the recording's, clock stopped at its now
	RED          triage.REDQueries
}

// replayTimeout bounds one replayed call: paced answers come as late as
// they did live, which the live timeouts allowed.
const replayTimeout = 2 * time.Minute

// ReplaySources builds the engine's sources from a bundle. A source the
// recording had no URL for stays nil, as it was unconfigured.
func ReplaySources(b *bundle.Bundle, o bundle.ReplayOptions) (*Replayed, error) {
	rp := bundle.NewReplay(b, o)
	out := &Replayed{Bundle: b, Replay: rp, Alert: b.Header.Alert.Engine(), Options: b.Header.Options.Engine(),
		RED: triage.DefaultREDQueries()}
	if b.Header.RED != nil {
		out.RED = *b.Header.RED
	}
	cfg := func(url string) sources.Config { return sources.Config{URL: url, Timeout: replayTimeout} }
	for _, s := range b.Header.Sources {
		var hc *sources.Client
		switch s.Name {
		case triage.SourcePrometheus:
			c, err := prometheus.New(cfg(s.URL))
			if err != nil {
				return nil, err
			}
			hc, out.Sources.Metrics = c.HTTP(), adapter.Metrics{C: c}
		case triage.SourceLoki:
			c, err := loki.New(cfg(s.URL))
			if err != nil {
				return nil, err
			}
			hc, out.Sources.Logs = c.HTTP(), adapter.Logs{C: c}
		case triage.SourceTempo:
			c, err := tempo.New(cfg(s.URL))
			if err != nil {
				return nil, err
			}
			hc, out.Sources.Traces = c.HTTP(), adapter.Traces{C: c}
		case triage.SourceJaeger:
			c, err := jaeger.New(cfg(s.URL))
			if err != nil {
				return nil, err
			}
			hc, out.Sources.Traces = c.HTTP(), adapter.JaegerTraces{C: c}
		case alertmanager.SourceName:
			c, err := alertmanager.New(cfg(s.URL))
			if err != nil {
				return nil, err
			}
			hc, out.Alertmanager = c.HTTP(), c
		default:
			continue
		}
		hc.UseTransport(rp.Transport(s.Name))
	}
	return out, nil
}

// Investigate runs the bundle's investigation again over the replay.
func (r *Replayed) Investigate(ctx context.Context, emit func(triage.Update)) (*triage.Report, error) {
	return triage.NewInvestigation(r.Sources, r.Options, r.RED).Run(ctx, r.Alert, emit)
}

// Recorder runs one investigation against the configured sources, passed
// through limit (the daemon's per-source concurrency limits), while
// recording every exchange: it returns the report and the bundle's bytes.
// The daemon stores both with the incident, so the evidence outlives the
// backends' retention. Drill-down requests are not made: under an alert
// storm they would multiply the load on the backends being investigated.
func Recorder(cfg config.Config, triageVersion string) func(ctx context.Context, a triage.Alert, limit func(triage.Sources) triage.Sources) (*triage.Report, []byte, error) {
	return func(ctx context.Context, a triage.Alert, limit func(triage.Sources) triage.Sources) (*triage.Report, []byte, error) {
		rec := Recording{Config: cfg, Alert: a, TriageVersion: triageVersion, NoDrillDown: true}
		var buf bytes.Buffer
		w, err := bundle.NewWriter(&buf, rec.Header())
		if err != nil {
			return nil, nil, err
		}
		src, err := RecordingSources(cfg, w)
		if err != nil {
			w.Abort()
			return nil, nil, err
		}
		if limit != nil {
			src = limit(src)
		}
		w.SetPhase(bundle.PhaseInvestigation)
		r, runErr := triage.NewInvestigation(src, rec.EngineOptions(), rec.RED).Run(ctx, a, nil)
		if r == nil {
			w.Abort()
			return nil, nil, runErr
		}
		if err := w.WriteReport(r); err != nil {
			w.Abort()
			return r, nil, err
		}
		if err := w.Close(); err != nil {
			return r, nil, err
		}
		return r, buf.Bytes(), runErr
	}
}
