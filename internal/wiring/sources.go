package wiring

import (
	"github.com/triagectl/triage/internal/config"
	"github.com/triagectl/triage/sources/loki"
	"github.com/triagectl/triage/sources/prometheus"
	"github.com/triagectl/triage/sources/tempo"
	"github.com/triagectl/triage/triage"
)

// EngineSources builds the engine's sources from the config; an
// unconfigured source stays nil.
func EngineSources(c config.Config) (triage.Sources, error) {
	var s triage.Sources
	if c.Sources.Prometheus.Configured() {
		p, err := prometheus.New(c.Sources.Prometheus)
		if err != nil {
			return s, err
		}
		s.Metrics = Metrics{C: p}
	}
	if c.Sources.Loki.Configured() {
		l, err := loki.New(c.Sources.Loki)
		if err != nil {
			return s, err
		}
		s.Logs = Logs{C: l}
	}
	if c.Sources.Tempo.Configured() {
		t, err := tempo.New(c.Sources.Tempo)
		if err != nil {
			return s, err
		}
		s.Traces = Traces{C: t}
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
	}
}
