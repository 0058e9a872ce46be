package sim

import "strconv"

// The shapes of the metric series the simulator writes, as the two common
// span-metrics pipelines write them.
const (
	// MetricsTempo is Tempo's metrics-generator: traces_spanmetrics_calls_total
	// and traces_spanmetrics_latency (seconds) by service, span_name,
	// span_kind, status_code; service graphs by client, server,
	// connection_type; exemplars labelled traceID on every series.
	MetricsTempo = "tempo"
	// MetricsOTel is the OpenTelemetry Collector's spanmetrics connector
	// with its defaults (traces_span_metrics_calls_total and
	// traces_span_metrics_duration_milliseconds by service_name,
	// span_name, span_kind, status_code; exemplars labelled trace_id on the
	// histogram) and its servicegraph connector (Tempo's series, split by
	// a failed label; a database edge names its server by db.name, and
	// a client span without a server becomes a virtual node named by
	// peer.service).
	MetricsOTel = "otel"
)

// metricShape names the series of one shape.
type metricShape struct {
	calls, latency string // the calls counter, the latency histogram's base name
	spanLabels     []string
	latencyScale   float64 // histogram unit per second
	spanBounds     []float64
	callExemplars  bool // the calls counter carries exemplars too
	edgeLabels     []string
	exemplarLabel  string
	otel           bool
}

func shapeOf(name string) metricShape {
	if name == MetricsOTel {
		return metricShape{
			calls: "traces_span_metrics_calls_total", latency: "traces_span_metrics_duration_milliseconds",
			spanLabels:   []string{"service_name", "span_name", "span_kind", "status_code"},
			latencyScale: 1000,
			// The connector's default buckets, in milliseconds.
			spanBounds:    []float64{2, 4, 6, 8, 10, 50, 100, 200, 400, 800, 1000, 1400, 2000, 5000, 10000, 15000},
			edgeLabels:    []string{"client", "server", "connection_type", "failed"},
			exemplarLabel: "trace_id",
			otel:          true,
		}
	}
	return metricShape{
		calls: "traces_spanmetrics_calls_total", latency: "traces_spanmetrics_latency",
		spanLabels:    []string{"service", "span_name", "span_kind", "status_code"},
		latencyScale:  1,
		spanBounds:    spanBuckets(),
		callExemplars: true,
		edgeLabels:    []string{"client", "server", "connection_type"},
		exemplarLabel: exemplarLabel,
	}
}

// graphBounds are the service graphs' buckets, in seconds: Tempo's, or
// the servicegraph connector's defaults.
func (m metricShape) graphBounds() []float64 {
	if m.otel {
		return []float64{0.002, 0.004, 0.006, 0.008, 0.01, 0.05, 0.1, 0.2, 0.4, 0.8, 1, 1.4, 2, 5, 10, 15}
	}
	return graphBuckets()
}

// edge is the label values of a service-graph series.
func (m metricShape) edge(client, server, connType string, failed bool) []string {
	if m.otel {
		return []string{client, server, connType, strconv.FormatBool(failed)}
	}
	return []string{client, server, connType}
}

// dbEdge names the server and connection type of a client span to a
// database or another uninstrumented peer.
func (m metricShape) dbEdge(s *span) (server, connType string) {
	if m.otel {
		if db := s.strAttr("db.name"); db != "" {
			return db, "database"
		}
		return s.strAttr("peer.service"), "virtual_node"
	}
	return s.strAttr("peer.service"), "database"
}
