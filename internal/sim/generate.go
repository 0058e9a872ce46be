package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"
)

// Incident is one generated incident: its traces, logs and metric state,
// and the ground truth recounted from them. It is read-only after Generate.
type Incident struct {
	sc                     Scenario
	start, end, incidentAt int64 // unix ns
	topo                   *topology
	fleet                  *fleet
	users                  []user
	traces                 []traceRec
	logs                   []logRec
	baseLogs               []logRec // before the window, for the baseline
	templates              []template
	truth                  GroundTruth
	alertKind              spanKind // kind of the root spans the alert counts
	metrics                *metricState
	born                   time.Time // wall clock at Generate: live metrics grow from here
	retryBase              time.Duration
}

type user struct{ id, tier, region string }

type generator struct {
	inc         *Incident
	sc          Scenario
	rng, ids    *rand.Rand
	tmplIdx     map[string]int
	userCDF     []float64
	routeCDF    []float64
	segKey      string
	segVal      string
	slowKey     string
	slowVal     string
	plantFor    string // the fault whose requests the planted pods serve
	plantedSvcs []string
	produced    []produced
}

// produced is a message checkout put on Kafka, consumed later in its own trace.
type produced struct {
	trace   traceID
	span    spanID
	at      int64
	user    int
	route   string
	orderID string
	offset  int64
	part    int
	msgID   string // messaging.message.id, set for a batch consumer
}

type request struct {
	tr         *traceRec
	user       int
	route      string
	inIncident bool
	fail       bool
	slow       bool // every call to SlowService is slow
	itemID     int
	orderID    string
}

// Generate builds the incident for sc over [now-Window, now]. The result
// depends only on sc and now.
func Generate(sc Scenario, now time.Time) (*Incident, error) {
	sc, err := sc.normalize()
	if err != nil {
		return nil, err
	}
	seed := uint64(sc.Seed)
	g := &generator{
		sc:      sc,
		rng:     rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)),
		ids:     rand.New(rand.NewPCG(seed^0x5851f42d4c957f2d, 0x7472616365696473)),
		tmplIdx: map[string]int{},
	}
	end := now.UnixNano()
	inc := &Incident{
		sc: sc, end: end, start: end - int64(sc.Window), topo: newTopology(sc.BatchSize > 0), born: time.Now(),
	}
	inc.incidentAt = inc.start + int64(sc.IncidentAfter)
	g.inc = inc
	if sc.ErrorSegment != "" {
		g.segKey, g.segVal, _ = parseKV("ErrorSegment", sc.ErrorSegment)
	}
	if sc.SlowSegment != "" {
		g.slowKey, g.slowVal, _ = parseKV("SlowSegment", sc.SlowSegment)
	}
	// The planted attribute marks the error fault, or the slow one when it is
	// a latency incident.
	g.plantFor = sc.ErrorService
	if g.plantFor == "" {
		g.plantFor = sc.SlowService
	}
	var plantKey, plantVal string
	if sc.Planted != "" && g.plantFor != "" {
		plantKey, plantVal, _ = parseKV("Planted", sc.Planted)
		if inc.topo.isPeer(g.plantFor) {
			g.plantedSvcs = inc.topo.callersOf(g.plantFor)
		} else {
			g.plantedSvcs = []string{g.plantFor}
		}
	}
	inc.fleet = newFleet(g.rng, inc.topo, plantKey, plantVal, g.plantedSvcs)
	g.makeUsers()
	for _, r := range inc.topo.routes {
		g.routeCDF = append(g.routeCDF, last(g.routeCDF)+r.weight)
	}

	meanGap := float64(time.Second) / sc.RPS
	for t := inc.start + int64(g.rng.ExpFloat64()*meanGap); t < inc.end; t += int64(g.rng.ExpFloat64()*meanGap) + 1 {
		g.entryRequest(t)
	}
	if inc.topo.batch {
		g.consumeBatches()
	} else {
		for _, p := range g.produced {
			g.consume(p)
		}
	}
	g.backgroundLogs()

	sort.SliceStable(inc.traces, func(a, b int) bool { return inc.traces[a].spans[0].start < inc.traces[b].spans[0].start })
	sort.SliceStable(inc.logs, func(a, b int) bool { return inc.logs[a].at < inc.logs[b].at })
	inc.truth = inc.computeTruth()
	inc.addBaselineLogs()
	if sc.LogsEndAfter > 0 {
		inc.cutLogs(inc.start + int64(sc.LogsEndAfter))
	}
	inc.metrics = inc.buildMetrics()
	inc.truth.AlertThreshold = inc.metrics.threshold
	inc.truth.AlertExpr = inc.alertExpr()
	inc.truth.ExemplarLabel = inc.metrics.shape.exemplarLabel
	return inc, nil
}

func last(s []float64) float64 {
	if len(s) == 0 {
		return 0
	}
	return s[len(s)-1]
}

func pick(r *rand.Rand, cdf []float64) int {
	i := sort.SearchFloat64s(cdf, r.Float64()*last(cdf))
	return min(i, len(cdf)-1)
}

func (g *generator) makeUsers() {
	tiers := []string{"free", "pro", "premium", "enterprise"}
	tierCDF := []float64{0.5, 0.8, 0.95, 1}
	regions := []string{"eu-west", "us-east", "us-west", "ap-south", "sa-east"}
	regionCDF := []float64{0.28, 0.60, 0.78, 0.92, 1}
	for i := 0; i < g.sc.Users; i++ {
		g.inc.users = append(g.inc.users, user{
			id:     fmt.Sprintf("u-%d", 10001+i),
			tier:   tiers[pick(g.rng, tierCDF)],
			region: regions[pick(g.rng, regionCDF)],
		})
		// Lognormal activity: a few heavy users, a long tail of occasional ones.
		g.userCDF = append(g.userCDF, last(g.userCDF)+math.Exp(g.rng.NormFloat64()))
	}
}

func (g *generator) newTraceID() traceID {
	var t traceID
	for t == (traceID{}) {
		hi, lo := g.ids.Uint64(), g.ids.Uint64()
		for i := 0; i < 8; i++ {
			t[i], t[8+i] = byte(hi>>(56-8*i)), byte(lo>>(56-8*i))
		}
	}
	return t
}

func (g *generator) newSpanID() spanID {
	var s spanID
	for s.isZero() {
		v := g.ids.Uint64()
		for i := 0; i < 8; i++ {
			s[i] = byte(v >> (56 - 8*i))
		}
	}
	return s
}

// dur draws a lognormal duration around a median in milliseconds.
func (g *generator) dur(medianMs float64) int64 {
	return max(int64(medianMs*math.Exp(0.35*g.rng.NormFloat64())*1e6), 50_000)
}

func (g *generator) netHop() int64 { return 300_000 + g.rng.Int64N(900_000) }

func (g *generator) inSegment(key, val string, u int, route string) bool {
	us := g.inc.users[u]
	switch key {
	case "":
		return true
	case "enduser.id":
		return us.id == val
	case "user.tier":
		return us.tier == val
	case "user.region":
		return us.region == val
	case "http.route":
		return route == val
	}
	return false
}

// decideFail decides up front whether a request fails; with FaultyPod the
// pod that serves it decides instead (faultyPod).
func (g *generator) decideFail(at int64, u int, route string) bool {
	return g.sc.ErrorService != "" && !g.sc.FaultyPod && at >= g.inc.incidentAt && g.inSegment(g.segKey, g.segVal, u, route) && g.rng.Float64() < g.sc.ErrorRate
}

func (g *generator) decideSlow(at int64, u int, route string) bool {
	return g.sc.SlowService != "" && at >= g.inc.incidentAt && g.inSegment(g.slowKey, g.slowVal, u, route) && g.rng.Float64() < g.sc.SlowRate
}

func (g *generator) entryRequest(at int64) {
	rt := g.inc.topo.routes[pick(g.rng, g.routeCDF)].root
	u := pick(g.rng, g.userCDF)
	tr := traceRec{id: g.newTraceID(), user: u}
	req := &request{tr: &tr, user: u, route: rt.route, inIncident: at >= g.inc.incidentAt, itemID: 1000 + g.rng.IntN(9000)}
	req.fail = g.decideFail(at, u, rt.route)
	req.slow = g.decideSlow(at, u, rt.route)
	g.serve(req, rt, spanID{}, at, nil)
	g.inc.traces = append(g.inc.traces, tr)
}

func (g *generator) consume(p produced) {
	at := p.at + g.dur(12)
	if at >= g.inc.end {
		return
	}
	tr := traceRec{id: g.newTraceID(), user: p.user}
	req := &request{tr: &tr, user: p.user, route: p.route, inIncident: at >= g.inc.incidentAt, orderID: p.orderID}
	req.fail = g.decideFail(at, p.user, p.route)
	req.slow = g.decideSlow(at, p.user, p.route)
	end, fail := g.serve(req, g.inc.topo.consumer, spanID{}, at, []link{{trace: p.trace, span: p.span}})
	root := &tr.spans[0]
	root.attrs = append(root.attrs, num("messaging.destination.partition.id", int64(p.part)), num("messaging.kafka.offset", p.offset),
		str("messaging.kafka.message.key", p.orderID))
	svc := g.inc.fleet.pods[root.pod].svc
	if fail != nil {
		g.log(end, svc, &tr, root.id, `level=error msg="process message failed" topic=order-events partition=%d offset=%d order_id=%s err=%q`, p.part, p.offset, p.orderID, fail.msg)
	} else {
		g.log(end, svc, &tr, root.id, `level=info msg="order confirmation sent" topic=order-events partition=%d offset=%d order_id=%s`, p.part, p.offset, p.orderID)
	}
	g.inc.traces = append(g.inc.traces, tr)
}

// pickPod routes a call to one of the service's pods. Requests hit by the
// planted fault go to the planted pod most of the time: that is the planted
// difference.
func (g *generator) pickPod(req *request, n *node) int {
	f := g.inc.fleet
	if g.sc.FaultyPod && n.svc == g.sc.ErrorService {
		return g.rolloutPod(n.svc, req.inIncident)
	}
	if pp, ok := f.planted[n.svc]; ok && g.hitByPlanted(req) && n.reaches(g.plantFor) && g.rng.Float64() < 0.92 {
		return pp
	}
	pods := f.bySvc[n.svc]
	return pods[g.rng.IntN(len(pods))]
}

// rolloutPod picks a pod of svc for a FaultyPod scenario: any pod once the
// faulty one is rolled out at the incident's start, the others before.
func (g *generator) rolloutPod(svc string, inIncident bool) int {
	pods := g.inc.fleet.bySvc[svc]
	faulty, ok := g.inc.fleet.planted[svc]
	if inIncident || !ok || len(pods) < 2 {
		return pods[g.rng.IntN(len(pods))]
	}
	for {
		if p := pods[g.rng.IntN(len(pods))]; p != faulty {
			return p
		}
	}
}

// faultyPod reports whether the request fails on the pod serving it: the
// rolled-out faulty pod, within the error segment, at ErrorRate.
func (g *generator) faultyPod(req *request, svc string, pod int) bool {
	if !g.sc.FaultyPod || svc != g.sc.ErrorService {
		return false
	}
	p, ok := g.inc.fleet.planted[svc]
	return ok && pod == p && req.inIncident && g.inSegment(g.segKey, g.segVal, req.user, req.route) && g.rng.Float64() < g.sc.ErrorRate
}

func (g *generator) hitByPlanted(req *request) bool {
	if g.plantFor == g.sc.ErrorService {
		return req.fail
	}
	return req.slow
}

func (g *generator) slowed(req *request, n *node) bool {
	return req.slow && n.svc == g.sc.SlowService
}

func (g *generator) isNoise(n *node) bool {
	return n.svc == g.sc.NoiseService && g.rng.Float64() < g.sc.NoiseRate
}

func (g *generator) log(at int64, svc string, tr *traceRec, sp spanID, format string, args ...any) {
	ti, ok := g.tmplIdx[format]
	if !ok {
		lv := levelInfo
		switch {
		case strings.HasPrefix(format, "level=error"):
			lv = levelError
		case strings.HasPrefix(format, "level=warn"):
			lv = levelWarn
		}
		ti = len(g.inc.templates)
		g.tmplIdx[format] = ti
		g.inc.templates = append(g.inc.templates, template{format: format, pattern: patternOf(format), level: lv})
	}
	l := logRec{at: at, svc: svc, level: g.inc.templates[ti].level, line: fmt.Sprintf(format, args...), tmpl: ti}
	if tr != nil {
		l.trace, l.span, l.hasTrace = tr.id, sp, true
	}
	g.inc.logs = append(g.inc.logs, l)
}

// backgroundLogs are the periodic pool statistics of every database client,
// with no trace: they show the pool saturating once the incident starts.
func (g *generator) backgroundLogs() {
	inc := g.inc
	for _, peer := range inc.topo.peers {
		pool := inc.topo.poolName(peer)
		for _, caller := range inc.topo.callersOf(peer) {
			for t := inc.start + g.rng.Int64N(int64(30*time.Second)); t < inc.end; t += int64(30 * time.Second) {
				if peer == g.sc.ErrorService && t >= inc.incidentAt {
					g.log(t, caller, nil, spanID{}, `level=warn msg="connection pool saturated" pool=`+pool+` active=50 idle=0 waiters=%d`, 10+g.rng.IntN(50))
					continue
				}
				active := 2 + g.rng.IntN(12)
				g.log(t, caller, nil, spanID{}, `level=info msg="pool stats" pool=`+pool+` active=%d idle=%d waiters=0`, active, 50-active)
			}
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// addBaselineLogs repeats the healthy period's lines around the window an
// hour earlier, where an investigation looks for its baseline, without
// their trace ids (those traces do not exist): the same services, levels
// and error rates, the noise service's errors included. Info lines are
// thinned to one in ten: they only need to show that a service logged.
func (i *Incident) addBaselineLogs() {
	healthy := i.incidentAt - i.start
	if i.sc.NoBaselineLogs || healthy <= 0 {
		return
	}
	from := i.start - int64(baselineOffset) - int64(10*time.Minute)
	to := i.end - int64(baselineOffset) + int64(10*time.Minute)
	var pre []logRec
	for n, l := range i.logs {
		if l.at >= i.incidentAt || l.level == levelInfo && n%10 != 0 {
			continue
		}
		l.trace, l.span, l.hasTrace = traceID{}, spanID{}, false
		pre = append(pre, l)
	}
	var base []logRec
	for shift := i.start - from; shift > i.start-to-healthy; shift -= healthy {
		for _, l := range pre {
			if at := l.at - shift; at >= from && at < min(to, i.start) {
				l.at = at
				base = append(base, l)
			}
		}
	}
	sort.SliceStable(base, func(a, b int) bool { return base[a].at < base[b].at })
	i.baseLogs = base
}

// cutLogs drops every line at or after t.
func (i *Incident) cutLogs(t int64) {
	kept := i.logs[:0]
	for _, l := range i.logs {
		if l.at < t {
			kept = append(kept, l)
		}
	}
	i.logs = kept
}
