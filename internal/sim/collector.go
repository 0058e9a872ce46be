package sim

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// collector turns the metric state into Tempo-shaped series at scrape time:
// value = count over the window + incident-phase rate × time since Generate.
type collector struct {
	inc   *Incident
	clock func() time.Time

	calls, latency                                    *prometheus.Desc
	graphTotal, graphFailed, graphServer, graphClient *prometheus.Desc
}

// exemplarStep is how long each exemplar candidate is served before the next
// one: timestamps only move forward, so Prometheus never sees them out of order.
const exemplarStep = time.Second

func newCollector(i *Incident, clock func() time.Time) *collector {
	shape := i.metrics.shape
	spanLabels, edgeLabels := shape.spanLabels, shape.edgeLabels
	return &collector{
		inc: i, clock: clock,
		calls:       prometheus.NewDesc(shape.calls, "Total count of the spans", spanLabels, nil),
		latency:     prometheus.NewDesc(shape.latency, "Latency of the spans", spanLabels, nil),
		graphTotal:  prometheus.NewDesc("traces_service_graph_request_total", "Total count of requests between two nodes", edgeLabels, nil),
		graphFailed: prometheus.NewDesc("traces_service_graph_request_failed_total", "Total count of failed requests between two nodes", edgeLabels, nil),
		graphServer: prometheus.NewDesc("traces_service_graph_request_server_seconds", "Time for a request between two nodes as seen from the server", edgeLabels, nil),
		graphClient: prometheus.NewDesc("traces_service_graph_request_client_seconds", "Time for a request between two nodes as seen from the client", edgeLabels, nil),
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.calls, c.latency, c.graphTotal, c.graphFailed, c.graphServer, c.graphClient} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	ms := c.inc.metrics
	e := max(c.clock().Sub(c.inc.born).Seconds(), 0)
	grow := func(g *growing) float64 { _, n, _ := g.liveAt(ms.recentSecs, e); return n }
	label := ms.shape.exemplarLabel
	for _, s := range ms.spans {
		ex, ok := pickExemplar(s.exemplars, e)
		calls := prometheus.MustNewConstMetric(c.calls, prometheus.CounterValue, grow(&s.lat), s.labels...)
		if ms.shape.callExemplars {
			calls = withExemplar(calls, label, ex, ok, 1)
		}
		ch <- calls
		ch <- withExemplar(c.histogram(c.latency, s.lat, e, s.labels), label, ex, ok, ex.value)
	}
	for _, s := range ms.edges {
		ex, ok := pickExemplar(s.exemplars, e)
		ch <- withExemplar(prometheus.MustNewConstMetric(c.graphTotal, prometheus.CounterValue, grow(&s.lat), s.labels...), label, ex, ok, 1)
		if s.failed.total.n > 0 {
			fex, fok := pickExemplar(s.failedEx, e)
			ch <- withExemplar(prometheus.MustNewConstMetric(c.graphFailed, prometheus.CounterValue, grow(&s.failed), s.labels...), label, fex, fok, 1)
		}
		ch <- withExemplar(c.histogram(c.graphClient, s.lat, e, s.labels), label, ex, ok, ex.value)
		ch <- withExemplar(c.histogram(c.graphServer, s.srv, e, s.labels), label, ex, ok, ex.value)
	}
}

func (c *collector) histogram(desc *prometheus.Desc, g growing, e float64, labels []string) prometheus.Metric {
	cum, count, sum := g.liveAt(c.inc.metrics.recentSecs, e)
	buckets := make(map[float64]uint64, len(g.total.bounds))
	for b, ub := range g.total.bounds {
		buckets[ub] = uint64(cum[b])
	}
	return prometheus.MustNewConstHistogram(desc, uint64(count), sum, buckets, labels...)
}

func pickExemplar(refs []exemplarRef, elapsed float64) (exemplarRef, bool) {
	if len(refs) == 0 {
		return exemplarRef{}, false
	}
	return refs[min(len(refs)-1, int(elapsed/exemplarStep.Seconds()))], true
}

func withExemplar(m prometheus.Metric, label string, ex exemplarRef, ok bool, value float64) prometheus.Metric {
	if !ok {
		return m
	}
	em, err := prometheus.NewMetricWithExemplars(m, prometheus.Exemplar{
		Value:     value,
		Labels:    prometheus.Labels{label: ex.trace},
		Timestamp: time.Unix(0, ex.at),
	})
	if err != nil {
		return m
	}
	return em
}
