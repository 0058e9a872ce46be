package app

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/triagectl/triage/internal/config"
	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/sources/adapter"
	"github.com/triagectl/triage/sources/alertmanager"
	"github.com/triagectl/triage/sources/jaeger"
	"github.com/triagectl/triage/sources/loki"
	"github.com/triagectl/triage/sources/prometheus"
	"github.com/triagectl/triage/sources/tempo"
	"github.com/triagectl/triage/triage"
)

// EngineSources builds the engine's sources from the config; an
// unconfigured source stays nil.
func EngineSources(c config.Config) (triage.Sources, error) { return newSources(c, nil) }

// newSources builds the engine's sources, each client's exchanges going to
// onExchange when it is set (a bundle recording).
func newSources(c config.Config, onExchange func(sources.Exchange)) (triage.Sources, error) {
	var s triage.Sources
	hook := func(hc *sources.Client) {
		if onExchange != nil {
			hc.OnExchange = onExchange
		}
	}
	if c.Sources.Prometheus.Configured() {
		p, err := prometheus.New(c.Sources.Prometheus)
		if err != nil {
			return s, err
		}
		hook(p.HTTP())
		s.Metrics = adapter.Metrics{C: p}
	}
	if c.Sources.Loki.Configured() {
		l, err := loki.New(c.Sources.Loki)
		if err != nil {
			return s, err
		}
		hook(l.HTTP())
		s.Logs = adapter.Logs{C: l}
	}
	if c.Sources.Tempo.Configured() {
		t, err := tempo.New(c.Sources.Tempo)
		if err != nil {
			return s, err
		}
		hook(t.HTTP())
		s.Traces = adapter.Traces{C: t}
	}
	if c.Sources.Jaeger.Configured() {
		j, err := jaeger.New(c.Sources.Jaeger)
		if err != nil {
			return s, err
		}
		hook(j.HTTP())
		s.Traces = adapter.JaegerTraces{C: j}
	}
	return s, nil
}

// EngineOptions maps the config onto the engine's options.
func EngineOptions(c config.Config) triage.Options {
	return triage.Options{
		ServiceLabels:        c.Mapping.ServiceLabels,
		UserAttributes:       c.Mapping.UserAttributes,
		UserDetailAttributes: c.Mapping.UserDetailAttributes,
		Lookback:             c.Triage.Lookback,
		BaselineOffset:       c.Triage.BaselineOffset,
		TraceSample:          c.Triage.TraceSample,
		FetchConcurrency:     c.Triage.FetchConcurrency,
		SlowThreshold:        c.Triage.SlowThreshold,
		MaxLag:               c.Triage.MaxLag,
	}
}

// EngineRED are the RED queries of the configured metrics preset
// (mapping.metrics_preset); the config's validation has checked its name.
func EngineRED(c config.Config) triage.REDQueries {
	red, err := triage.REDPreset(c.Mapping.MetricsPreset)
	if err != nil {
		return triage.DefaultREDQueries()
	}
	return red
}

// SourceURLs are the configured sources' base URLs, for the sources panel.
func SourceURLs(c config.Config) map[string]string {
	urls := map[string]string{}
	for name, u := range map[string]string{triage.SourcePrometheus: c.Sources.Prometheus.URL,
		triage.SourceLoki: c.Sources.Loki.URL, triage.SourceTempo: c.Sources.Tempo.URL, triage.SourceJaeger: c.Sources.Jaeger.URL} {
		if u != "" {
			urls[name] = u
		}
	}
	return urls
}

// Alertmanager is the configured Alertmanager's client, nil when it is not
// configured.
func Alertmanager(c config.Config) (*alertmanager.Client, error) {
	if !c.Sources.Alertmanager.Configured() {
		return nil, nil
	}
	return alertmanager.New(c.Sources.Alertmanager)
}

// ResolveAlert reads the alert from a file, or finds it in Alertmanager by
// its fingerprint: exactly one of the two is given.
func ResolveAlert(ctx context.Context, c config.Config, alertFile, fingerprint string) (triage.Alert, error) {
	if (alertFile == "") == (fingerprint == "") {
		return triage.Alert{}, errors.New("give exactly one of --alert-file and --fingerprint")
	}
	if alertFile != "" {
		body, err := os.ReadFile(alertFile)
		if err != nil {
			return triage.Alert{}, err
		}
		alert, err := adapter.ParseAlertFile(body)
		if err != nil {
			return triage.Alert{}, fmt.Errorf("%s: %w", alertFile, err)
		}
		return alert, nil
	}
	am, err := Alertmanager(c)
	if err != nil {
		return triage.Alert{}, err
	}
	if am == nil {
		return triage.Alert{}, errors.New("--fingerprint needs sources.alertmanager.url")
	}
	return adapter.AlertByFingerprint(ctx, am, fingerprint)
}
