package triage

import (
	"fmt"
	"strings"
)

// The metrics presets: where the RED series come from, in what shape.
const (
	// MetricsPresetTempo reads Tempo's metrics-generator: span metrics
	// traces_spanmetrics_* by service, service graphs
	// traces_service_graph_* by client and server.
	MetricsPresetTempo = "tempo"
	// MetricsPresetOTel reads the OpenTelemetry Collector's spanmetrics
	// connector with its defaults (namespace traces.span.metrics, a
	// histogram in milliseconds: traces_span_metrics_calls_total and
	// traces_span_metrics_duration_milliseconds_bucket by service_name)
	// and its servicegraph connector (traces_service_graph_* by client and
	// server, as Tempo writes them). Jaeger's own monitoring reads the
	// same series.
	MetricsPresetOTel = "otel"
)

// MetricsPresets lists the presets, the default first.
func MetricsPresets() []string { return []string{MetricsPresetTempo, MetricsPresetOTel} }

// REDPreset returns a preset's RED queries.
func REDPreset(name string) (REDQueries, error) {
	switch name {
	case "", MetricsPresetTempo:
		return DefaultREDQueries(), nil
	case MetricsPresetOTel:
		return OTelREDQueries(), nil
	}
	return REDQueries{}, fmt.Errorf("metrics preset %q: want one of %s", name, strings.Join(MetricsPresets(), ", "))
}

// OTelREDQueries read the OpenTelemetry Collector's spanmetrics and
// servicegraph connectors' series, as the Prometheus exporters name them.
func OTelREDQueries() REDQueries {
	const (
		server   = `span_kind=~"SPAN_KIND_SERVER|SPAN_KIND_CONSUMER"`
		calls    = "traces_span_metrics_calls_total"
		duration = "traces_span_metrics_duration_milliseconds_bucket"
	)
	return REDQueries{
		ServiceLabel: "service_name",
		Requests:     `sum by (service_name) (rate(` + calls + `{` + server + `}[$range]))`,
		Errors:       `sum by (service_name) (rate(` + calls + `{` + server + `,status_code="STATUS_CODE_ERROR"}[$range]))`,
		// The histogram is in milliseconds.
		P99Seconds:       `histogram_quantile(0.99, sum by (service_name, le) (rate(` + duration + `{` + server + `}[$range]))) / 1000`,
		PeerLabel:        "server",
		PeerRequests:     `sum by (server) (rate(` + GraphRequestTotal + `[$range]))`,
		PeerErrors:       `sum by (server) (rate(` + GraphFailedTotal + `[$range]))`,
		PeerP99Seconds:   `histogram_quantile(0.99, sum by (server, le) (rate(traces_service_graph_request_server_seconds_bucket[$range])))`,
		ScopeErrorsTotal: `sum(increase(` + calls + `{service_name="$service",` + server + `,status_code="STATUS_CODE_ERROR"}[$range]))`,
		// The connector puts its exemplars on the histogram.
		Exemplars:           duration + `{service_name=~"$service",status_code="STATUS_CODE_ERROR"}`,
		ScopeLatencyBuckets: `sum by (le) (increase(` + duration + `{service_name="$service",` + server + `}[$range]))`,
		Newest:              `max(max_over_time(timestamp(` + calls + `{service_name=~"$service"})[1h:15s]))`,
		LatencyUnit:         0.001,
	}
}
