package triage

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// REDQueries are the PromQL templates for rate, errors and duration. The
// defaults read Tempo's span-metrics and service-graph series; shops with
// their own metrics replace them. $range is the window length, $service the
// scope service.
type REDQueries struct {
	ServiceLabel string `json:"service_label"` // the label naming the service in Requests/Errors/P99
	Requests     string `json:"requests"`
	Errors       string `json:"errors"`
	P99Seconds   string `json:"p99_seconds"`
	// Peer series cover uninstrumented servers (databases, queues) as their
	// callers saw them.
	PeerLabel        string `json:"peer_label"`
	PeerRequests     string `json:"peer_requests"`
	PeerErrors       string `json:"peer_errors"`
	PeerP99Seconds   string `json:"peer_p99_seconds"`
	ScopeErrorsTotal string `json:"scope_errors_total"` // failing requests of the scope service in the window
	// ScopeLatencyBuckets is the scope service's latency histogram over the
	// window, by le: the slow requests are those above the slow threshold.
	ScopeLatencyBuckets string `json:"scope_latency_buckets"`
	Exemplars           string `json:"exemplars"` // series whose exemplars name failing traces
	// Newest is the timestamp of the scope's newest sample, for freshness
	// ($service empty: any service's).
	Newest string `json:"newest,omitempty"`
	// LatencyUnit is how many seconds one unit of ScopeLatencyBuckets' le
	// stands for: 0.001 for a histogram in milliseconds; 0 means seconds.
	LatencyUnit float64 `json:"latency_unit,omitempty"`
}

// DefaultREDQueries read Tempo metrics-generator series.
func DefaultREDQueries() REDQueries {
	// Entry spans: requests served, and messages consumed.
	const server = `span_kind=~"SPAN_KIND_SERVER|SPAN_KIND_CONSUMER"`
	return REDQueries{
		ServiceLabel:        "service",
		Requests:            `sum by (service) (rate(traces_spanmetrics_calls_total{` + server + `}[$range]))`,
		Errors:              `sum by (service) (rate(traces_spanmetrics_calls_total{` + server + `,status_code="STATUS_CODE_ERROR"}[$range]))`,
		P99Seconds:          `histogram_quantile(0.99, sum by (service, le) (rate(traces_spanmetrics_latency_bucket{` + server + `}[$range])))`,
		PeerLabel:           "server",
		PeerRequests:        `sum by (server) (rate(traces_service_graph_request_total[$range]))`,
		PeerErrors:          `sum by (server) (rate(traces_service_graph_request_failed_total[$range]))`,
		PeerP99Seconds:      `histogram_quantile(0.99, sum by (server, le) (rate(traces_service_graph_request_server_seconds_bucket[$range])))`,
		ScopeErrorsTotal:    `sum(increase(traces_spanmetrics_calls_total{service="$service",` + server + `,status_code="STATUS_CODE_ERROR"}[$range]))`,
		Exemplars:           `traces_spanmetrics_calls_total{service=~"$service",status_code="STATUS_CODE_ERROR"}`,
		ScopeLatencyBuckets: `sum by (le) (increase(traces_spanmetrics_latency_bucket{service="$service",` + server + `}[$range]))`,
		Newest:              `max(max_over_time(timestamp(traces_spanmetrics_calls_total{service=~"$service"})[1h:15s]))`,
	}
}

// RED is one service's rate, errors and duration, now and at baseline.
// A nil field could not be measured.
type RED struct {
	ErrorRatio         *float64
	ErrorRatioBaseline *float64
	FailedPerS         *float64
	RequestsPerS       *float64
	P99MS              *float64
}

// metricsResult is everything the metrics source contributed.
type metricsResult struct {
	red           map[string]RED
	scopeFailures *float64 // failing requests of the scope service in the window
	scopeSlow     *float64 // its requests slower than the slow threshold
	scopeTotal    *float64 // all its requests, from the same histogram
	fresh         *Freshness
	failingRatio  *float64
	exemplarIDs   []string
	changePoint   *time.Time
	queries       []string
	calls, failed int
	firstErr      error
}

func fill(q, rng, service string) string {
	return strings.NewReplacer("$range", rng, "$service", escapePromValue(service)).Replace(q)
}

// escapePromValue quotes s for a PromQL double-quoted label value, where a
// raw newline is not allowed either.
func escapePromValue(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func promRange(d time.Duration) string {
	s := int64(math.Max(60, math.Round(d.Seconds())))
	return fmt.Sprintf("%ds", s)
}

// runMetrics asks for RED now and at baseline, the scope's failure count,
// exemplars and the error-ratio series, all at once. exemplars receives
// trace ids as soon as they are known.
func runMetrics(ctx context.Context, m MetricsSource, q REDQueries, scope Scope, w Window, slow, maxLag time.Duration, exemplars *idHint) *metricsResult {
	res := &metricsResult{red: map[string]RED{}}
	defer exemplars.give(nil) // none found, when the query did not run or failed
	rng := promRange(w.End.Sub(w.Start))
	var mu sync.Mutex
	var wg sync.WaitGroup
	record := func(query string, err error) {
		mu.Lock()
		defer mu.Unlock()
		res.queries = append(res.queries, query)
		res.calls++
		if err != nil {
			res.failed++
			if res.firstErr == nil {
				res.firstErr = err
			}
		}
	}
	instant := func(tmpl string, at time.Time, into func([]Sample)) {
		if tmpl == "" {
			return
		}
		query := fill(tmpl, rng, scope.Service)
		// The sources panel lists the queries by their text: the baseline's
		// copies say which they are, as the other sources' do.
		label := query
		if at.Equal(w.BaselineEnd) && !w.BaselineEnd.Equal(w.End) {
			label += " (baseline)"
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := m.Query(ctx, query, at)
			record(label, err)
			if err == nil {
				mu.Lock()
				into(s)
				mu.Unlock()
			}
		}()
	}
	type pair struct{ req, errs map[string]float64 }
	cur, base := pair{map[string]float64{}, map[string]float64{}}, pair{map[string]float64{}, map[string]float64{}}
	p99 := map[string]float64{}
	byLabel := func(label string, dst map[string]float64) func([]Sample) {
		return func(ss []Sample) {
			for _, s := range ss {
				if name := s.Labels[label]; name != "" && !math.IsNaN(s.Value) {
					dst[name] += s.Value
				}
			}
		}
	}
	instant(q.Requests, w.End, byLabel(q.ServiceLabel, cur.req))
	instant(q.Errors, w.End, byLabel(q.ServiceLabel, cur.errs))
	instant(q.P99Seconds, w.End, byLabel(q.ServiceLabel, p99))
	instant(q.Requests, w.BaselineEnd, byLabel(q.ServiceLabel, base.req))
	instant(q.Errors, w.BaselineEnd, byLabel(q.ServiceLabel, base.errs))
	peerCur, peerBase := pair{map[string]float64{}, map[string]float64{}}, pair{map[string]float64{}, map[string]float64{}}
	peerP99 := map[string]float64{}
	instant(q.PeerRequests, w.End, byLabel(q.PeerLabel, peerCur.req))
	instant(q.PeerErrors, w.End, byLabel(q.PeerLabel, peerCur.errs))
	instant(q.PeerP99Seconds, w.End, byLabel(q.PeerLabel, peerP99))
	instant(q.PeerRequests, w.BaselineEnd, byLabel(q.PeerLabel, peerBase.req))
	instant(q.PeerErrors, w.BaselineEnd, byLabel(q.PeerLabel, peerBase.errs))
	if scope.Service != "" {
		instant(q.ScopeErrorsTotal, w.End, func(ss []Sample) {
			if len(ss) > 0 && !math.IsNaN(ss[0].Value) {
				v := ss[0].Value
				res.scopeFailures = &v
			}
		})
	}
	if scope.Service != "" {
		unit := q.LatencyUnit
		if unit <= 0 {
			unit = 1
		}
		instant(q.ScopeLatencyBuckets, w.End, func(ss []Sample) { res.scopeSlow, res.scopeTotal = slowerThan(ss, slow.Seconds()/unit) })
	}
	if q.Newest != "" {
		query := fill(q.Newest, rng, scope.Service)
		if scope.Service == "" {
			query = fill(q.Newest, rng, ".+")
		}
		of := "span-metrics sample"
		if scope.Service != "" {
			of = "span-metrics sample of " + scope.Service
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := m.Query(ctx, query, w.End)
			record(query, err)
			if err != nil {
				return
			}
			var newest time.Time
			for _, x := range s {
				if !math.IsNaN(x.Value) && x.Value > 0 {
					if t := time.Unix(0, int64(x.Value*1e9)); t.After(newest) {
						newest = t
					}
				}
			}
			mu.Lock()
			res.fresh = freshness(newest, w.End, maxLag, of, query)
			mu.Unlock()
		}()
	}
	if q.Exemplars != "" && scope.Service != "" {
		query := fill(q.Exemplars, rng, scope.Service)
		wg.Add(1)
		go func() {
			defer wg.Done()
			ex, err := m.Exemplars(ctx, query, w.Start, w.End)
			record(query, err)
			if err != nil {
				return
			}
			seen := map[string]bool{}
			var ids []string
			for _, e := range ex {
				if e.TraceID != "" && !seen[e.TraceID] {
					seen[e.TraceID] = true
					ids = append(ids, e.TraceID)
				}
			}
			mu.Lock()
			res.exemplarIDs = ids
			mu.Unlock()
			exemplars.give(ids)
		}()
	}
	if scope.Service != "" && q.Errors != "" && q.Requests != "" {
		ratio := fmt.Sprintf("(%s) / (%s)", fill(q.Errors, "1m", scope.Service), fill(q.Requests, "1m", scope.Service))
		step := max(15*time.Second, w.End.Sub(w.Start)/120).Truncate(time.Second)
		wg.Add(1)
		go func() {
			defer wg.Done()
			series, err := m.QueryRange(ctx, ratio, w.Start, w.End, step)
			record(ratio, err)
			if err != nil {
				return
			}
			for _, s := range series {
				if s.Labels[q.ServiceLabel] != scope.Service {
					continue
				}
				if t, ok := changePoint(s.Points); ok {
					mu.Lock()
					res.changePoint = &t
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()

	ratioOf := func(p pair, name string) *float64 {
		req, ok := p.req[name]
		if !ok || req <= 0 {
			return nil
		}
		r := p.errs[name] / req
		return &r
	}
	ptr := func(v float64) *float64 { return &v }
	for name, req := range cur.req {
		red := RED{RequestsPerS: ptr(req), ErrorRatio: ratioOf(cur, name), ErrorRatioBaseline: ratioOf(base, name)}
		red.FailedPerS = ptr(cur.errs[name])
		if v, ok := p99[name]; ok && !math.IsNaN(v) && !math.IsInf(v, 0) {
			red.P99MS = ptr(v * 1000)
		}
		res.red[name] = red
	}
	for name, req := range peerCur.req {
		if _, instrumented := res.red[name]; instrumented || name == "user" {
			continue
		}
		red := RED{RequestsPerS: ptr(req), ErrorRatio: ratioOf(peerCur, name), ErrorRatioBaseline: ratioOf(peerBase, name)}
		red.FailedPerS = ptr(peerCur.errs[name])
		if v, ok := peerP99[name]; ok && !math.IsNaN(v) && !math.IsInf(v, 0) {
			red.P99MS = ptr(v * 1000)
		}
		res.red[name] = red
	}
	if r, ok := res.red[scope.Service]; ok {
		res.failingRatio = r.ErrorRatio
	}
	sort.Strings(res.queries)
	return res
}

// changePoint finds where an error-ratio series steps up: the first point
// that rises clearly above the level of the series' first fifth and stays
// there for the next point too.
func changePoint(pts []Point) (time.Time, bool) {
	if len(pts) < 5 {
		return time.Time{}, false
	}
	head := pts[:max(2, len(pts)/5)]
	vals := make([]float64, len(head))
	for i, p := range head {
		vals[i] = p.Value
	}
	sort.Float64s(vals)
	level := vals[len(vals)/2]
	devs := make([]float64, len(vals))
	for i, v := range vals {
		devs[i] = math.Abs(v - level)
	}
	sort.Float64s(devs)
	threshold := level + math.Max(0.01, 4*devs[len(devs)/2])
	for i := len(head); i+1 < len(pts); i++ {
		if pts[i].Value > threshold && pts[i+1].Value > threshold {
			return pts[i].Time, true
		}
	}
	return time.Time{}, false
}

// slowerThan counts the requests above threshold, in le's unit, from a
// histogram's cumulative buckets by le: all of them minus those in the
// smallest bucket at or above the threshold (so the count is a floor when
// no bound matches exactly), and all of them. Nil without a +Inf bucket or
// a bound at or above the threshold.
func slowerThan(buckets []Sample, threshold float64) (slow, all *float64) {
	total, bound, below := math.NaN(), math.Inf(1), math.NaN()
	for _, b := range buckets {
		le, err := strconv.ParseFloat(b.Labels["le"], 64)
		if err != nil || math.IsNaN(b.Value) {
			continue
		}
		if math.IsInf(le, 1) {
			total = b.Value
			continue
		}
		if le >= threshold && le < bound {
			bound, below = le, b.Value
		}
	}
	if math.IsNaN(total) || math.IsNaN(below) {
		return nil, nil
	}
	v, t := math.Max(0, total-below), total
	return &v, &t
}
