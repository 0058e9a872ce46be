package sim

import (
	"math"
	"net/http"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// exemplarLabel is the exemplar label Tempo's metrics-generator puts trace ids in.
const exemplarLabel = "traceID"

// Tempo's metrics-generator default histogram buckets, in seconds.
func spanBuckets() []float64 {
	return []float64{0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096}
}
func graphBuckets() []float64 { return []float64{0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8} }

// hist holds non-cumulative bucket counts; the last count is +Inf's.
type hist struct {
	bounds []float64
	counts []float64
	sum, n float64
}

func newHist(bounds []float64) hist {
	return hist{bounds: bounds, counts: make([]float64, len(bounds)+1)}
}

func (h *hist) observe(v float64) {
	h.counts[sort.SearchFloat64s(h.bounds, v)]++
	h.sum += v
	h.n++
}

// growing is a series' value over the window plus its rate during the
// incident phase, so live scrapes keep moving at incident rates. prior is the
// baseline-rate traffic before the window that Backfill writes as history;
// obs keeps each observation's time for it.
type growing struct {
	total, recent, prior hist
	obs                  []timedObs
}

func newGrowing(bounds []float64) growing {
	return growing{total: newHist(bounds), recent: newHist(bounds), prior: newHist(bounds)}
}

func (g *growing) observe(v float64, at int64, recent bool) {
	g.total.observe(v)
	g.obs = append(g.obs, timedObs{at: at, v: v})
	if recent {
		g.recent.observe(v)
	}
}

type exemplarRef struct {
	trace string
	value float64
	at    int64
}

type series struct {
	labels    []string
	lat       growing // spanmetrics latency, or service-graph client latency
	srv       growing // service-graph server latency
	failed    growing // service graph: failed requests (latency unused)
	exemplars []exemplarRef
	failedEx  []exemplarRef
}

type metricState struct {
	shape        metricShape
	spans, edges []*series
	recentSecs   float64
	threshold    float64
}

func (i *Incident) buildMetrics() *metricState {
	ms := &metricState{recentSecs: float64(i.end-i.incidentAt) / 1e9, shape: shapeOf(i.sc.Metrics)}
	shape := ms.shape
	spanIdx, edgeIdx := map[string]*series{}, map[string]*series{}
	get := func(idx map[string]*series, graph bool, labels ...string) *series {
		key := ""
		for _, l := range labels {
			key += l + "\x00"
		}
		s := idx[key]
		if s == nil {
			b := shape.spanBounds
			if graph {
				b = shape.graphBounds()
			}
			s = &series{labels: labels, lat: newGrowing(b), srv: newGrowing(b), failed: newGrowing(b)}
			idx[key] = s
		}
		return s
	}
	producers := map[spanID]*span{}
	for ti := range i.traces {
		for k := range i.traces[ti].spans {
			if s := &i.traces[ti].spans[k]; s.kind == kindProducer {
				producers[s.id] = s
			}
		}
	}
	alertSvc := i.truth.AlertService
	var alertErr, alertAll [2]float64 // [baseline, incident]
	for ti := range i.traces {
		tr := &i.traces[ti]
		id := tr.id.String()
		serverOf := map[spanID]*span{}
		for k := range tr.spans {
			if s := &tr.spans[k]; s.kind == kindServer {
				serverOf[s.parent] = s
			}
		}
		for k := range tr.spans {
			s := &tr.spans[k]
			svc := i.svcOf(s)
			recent := s.start >= i.incidentAt
			d := float64(s.end-s.start) / 1e9
			status := "STATUS_CODE_UNSET"
			if s.failed {
				status = "STATUS_CODE_ERROR"
			}
			ss := get(spanIdx, false, svc, s.name, s.kind.metricLabel(), status)
			ss.lat.observe(d*shape.latencyScale, s.start, recent)
			ss.exemplars = append(ss.exemplars, exemplarRef{id, d * shape.latencyScale, s.start})
			if svc == alertSvc && s.kind == i.alertKind {
				alertAll[b2i(recent)]++
				if s.failed {
					alertErr[b2i(recent)]++
				}
			}

			var edge []string
			var clientDur, serverDur float64
			failed := s.failed
			switch {
			case s.kind == kindServer && s.parent.isZero():
				edge, clientDur, serverDur = []string{"user", svc, "virtual_node"}, d, d
			case s.kind == kindClient && s.strAttr("peer.service") != "":
				server, connType := shape.dbEdge(s)
				edge, clientDur, serverDur = []string{svc, server, connType}, d, d
			case s.kind == kindClient && serverOf[s.id] != nil:
				srv := serverOf[s.id]
				edge, clientDur, serverDur = []string{svc, i.svcOf(srv), ""}, d, float64(srv.end-srv.start)/1e9
				failed = failed || srv.failed
			case s.kind == kindConsumer && len(s.links) > 0 && producers[s.links[0].span] != nil:
				p := producers[s.links[0].span]
				edge, clientDur, serverDur = []string{i.svcOf(p), svc, "messaging_system"}, float64(p.end-p.start)/1e9, d
				failed = failed || p.failed
			}
			if edge == nil {
				continue
			}
			es := get(edgeIdx, true, shape.edge(edge[0], edge[1], edge[2], failed)...)
			es.lat.observe(clientDur, s.start, recent)
			es.srv.observe(serverDur, s.start, recent)
			ref := exemplarRef{id, clientDur, s.start}
			es.exemplars = append(es.exemplars, ref)
			if failed {
				es.failed.observe(clientDur, s.start, recent)
				es.failedEx = append(es.failedEx, ref)
			}
		}
	}
	for _, idx := range []map[string]*series{spanIdx, edgeIdx} {
		for _, s := range idx {
			s.exemplars, s.failedEx = thinExemplars(s.exemplars, i.incidentAt), thinExemplars(s.failedEx, i.incidentAt)
		}
	}
	i.setPriors(spanIdx, edgeIdx)
	for _, k := range sortedKeys(spanIdx) {
		ms.spans = append(ms.spans, spanIdx[k])
	}
	for _, k := range sortedKeys(edgeIdx) {
		ms.edges = append(ms.edges, edgeIdx[k])
	}
	ms.threshold = alertThreshold(share(int(alertErr[0]), int(alertAll[0])), share(int(alertErr[1]), int(alertAll[1])))
	if i.truth.Kind == KindLatency {
		ms.threshold = slowThreshold.Seconds()
	}
	return ms
}

// alertThreshold sits halfway between the alerted service's error ratio
// before and during the incident, so the alert fires on the fault and not on
// noise.
func alertThreshold(base, incident float64) float64 {
	if incident <= base {
		return 0.05
	}
	return max(math.Floor((base+incident)/2*1000)/1000, 0.001)
}

// thinExemplars keeps at most 64 candidates, oldest first, from the incident
// phase when it has any.
func thinExemplars(refs []exemplarRef, incidentAt int64) []exemplarRef {
	var recent []exemplarRef
	for _, r := range refs {
		if r.at >= incidentAt {
			recent = append(recent, r)
		}
	}
	if len(recent) > 0 {
		refs = recent
	}
	sort.SliceStable(refs, func(a, b int) bool { return refs[a].at < refs[b].at })
	const keep = 64
	if len(refs) <= keep {
		return refs
	}
	out := make([]exemplarRef, 0, keep)
	for k := 0; k < keep; k++ {
		out = append(out, refs[k*len(refs)/keep])
	}
	return out
}

// MetricsHandler serves the metrics-generator series in OpenMetrics with
// exemplars, growing with wall-clock time since Generate.
func (i *Incident) MetricsHandler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(i.MetricsCollector(time.Now))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true})
}

// MetricsCollector is the collector behind MetricsHandler, reading the time
// from clock; tests pass a fake clock to see the series grow.
func (i *Incident) MetricsCollector(clock func() time.Time) prometheus.Collector {
	return newCollector(i, clock)
}
