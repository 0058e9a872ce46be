package explore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/triagectl/triage/triage"
)

// The service-graph series Tempo's metrics-generator writes: one per
// client→server edge.
const (
	graphTotal  = "traces_service_graph_request_total"
	graphFailed = "traces_service_graph_request_failed_total"
)

// redLine is one RED series of the service, in the incident window and in
// the baseline window.
type redLine struct {
	name               string
	query              string // "" when the template set has none
	incident, baseline []triage.Point
	found              bool // a series of the service answered
	err                error
}

// edge is one service-graph edge touching the service.
type edge struct {
	upstream bool // the peer calls the service
	peer     string
	reqPerS  float64
	errRatio *float64 // nil without requests
	query    string   // the error-ratio query behind the row
}

// metricsResult is everything the Service page asks Prometheus.
type metricsResult struct {
	red      [3]redLine
	edges    []edge
	edgesErr error
}

// metricsMsg carries a result to the page instance and request that asked.
type metricsMsg struct {
	page *servicePage
	seq  int
	res  metricsResult
}

// spinnerDueMsg says 100 ms have passed: the spinner may show.
type spinnerDueMsg struct {
	page *servicePage
	seq  int
}

func fill(tmpl, rng, svc string) string {
	return strings.NewReplacer("$range", rng, "$service", promEscape(svc)).Replace(tmpl)
}

func promEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

// promRange is a PromQL range of at least a minute, in whole seconds.
func promRange(d time.Duration) string {
	return fmt.Sprintf("%ds", int64(math.Max(60, math.Round(d.Seconds()))))
}

// seriesStep keeps about 120 points per window, as the engine's own range
// query does, which is more cells than any sparkline on screen.
func seriesStep(w triage.Window) time.Duration {
	return max(15*time.Second, w.End.Sub(w.Start)/120).Truncate(time.Second)
}

// redQueries are the Service page's range queries, built from the engine's
// RED templates; the rate range follows the step so no sample is skipped.
func redQueries(q triage.REDQueries, svc string, step time.Duration) [3]redLine {
	rng := promRange(step)
	var ratio string
	if q.Errors != "" && q.Requests != "" {
		ratio = "(" + fill(q.Errors, rng, svc) + ") / (" + fill(q.Requests, rng, svc) + ")"
	}
	return [3]redLine{
		{name: "req/s", query: fillIf(q.Requests, rng, svc)},
		{name: "err%", query: ratio},
		{name: "p99", query: fillIf(q.P99Seconds, rng, svc)},
	}
}

func fillIf(tmpl, rng, svc string) string {
	if tmpl == "" {
		return ""
	}
	return fill(tmpl, rng, svc)
}

// pickSeries finds the service's series: by its label, or the only series
// of a query that already names the service.
func pickSeries(ss []triage.Series, label, svc string, named bool) ([]triage.Point, bool) {
	for _, s := range ss {
		if label != "" && s.Labels[label] == svc {
			return s.Points, true
		}
	}
	if named && len(ss) == 1 {
		return ss[0].Points, true
	}
	return nil, false
}

// edgeQueries ask for every edge where the service is the server
// (upstream callers) or the client (downstream callees).
func edgeQueries(svc, rng string) (total, failed string) {
	q := func(metric string) string {
		e := promEscape(svc)
		return fmt.Sprintf(`sum by (client, server) (rate(%s{server="%s"}[%s])) or sum by (client, server) (rate(%s{client="%s"}[%s]))`,
			metric, e, rng, metric, e, rng)
	}
	return q(graphTotal), q(graphFailed)
}

// edgeRatioQuery is the query behind one edge's error rate, for `y`.
func edgeRatioQuery(client, server, rng string) string {
	sel := fmt.Sprintf(`{client="%s",server="%s"}[%s]`, promEscape(client), promEscape(server), rng)
	return "sum(rate(" + graphFailed + sel + ")) / sum(rate(" + graphTotal + sel + "))"
}

// buildEdges joins the request and failure rates by edge.
func buildEdges(svc, rng string, total, failed []triage.Sample) []edge {
	type k struct {
		up   bool
		peer string
	}
	req, fail := map[k]float64{}, map[k]float64{}
	into := func(ss []triage.Sample, dst map[k]float64) {
		for _, s := range ss {
			if math.IsNaN(s.Value) || math.IsInf(s.Value, 0) {
				continue
			}
			cl, sv := s.Labels["client"], s.Labels["server"]
			switch {
			case sv == svc && cl != svc:
				dst[k{true, cl}] += s.Value
			case cl == svc:
				dst[k{false, sv}] += s.Value
			}
		}
	}
	into(total, req)
	into(failed, fail)
	out := make([]edge, 0, len(req))
	for key, r := range req {
		e := edge{upstream: key.up, peer: key.peer, reqPerS: r}
		if r > 0 {
			v := fail[key] / r
			e.errRatio = &v
		}
		if key.up {
			e.query = edgeRatioQuery(key.peer, svc, rng)
		} else {
			e.query = edgeRatioQuery(svc, key.peer, rng)
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.upstream != b.upstream {
			return a.upstream
		}
		ra, rb := ratioOr(a.errRatio), ratioOr(b.errRatio)
		if ra != rb {
			return ra > rb
		}
		return a.peer < b.peer
	})
	return out
}

func ratioOr(p *float64) float64 {
	if p == nil {
		return -1
	}
	return *p
}

// fetchMetrics builds the command that asks every query at once. It
// captures its inputs, so a later change on the page cannot race it.
func fetchMetrics(ctx context.Context, p *servicePage, seq int, m triage.MetricsSource, q triage.REDQueries,
	svc string, w triage.Window, deadline time.Duration) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, deadline)
		defer cancel()
		explain := func(err error) error {
			// Only our own deadline: a client's shorter timeout explains itself.
			if ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
				return fmt.Errorf("context deadline exceeded after %s", deadline)
			}
			return err
		}
		step := seriesStep(w)
		res := metricsResult{red: redQueries(q, svc, step)}
		var wg sync.WaitGroup
		var errs [3][2]error // one slot per line and window: no goroutine shares one
		named := strings.Contains(q.Requests+q.Errors+q.P99Seconds, "$service")
		for i := range res.red {
			l := &res.red[i]
			if l.query == "" {
				continue
			}
			wg.Go(func() {
				ss, err := m.QueryRange(ctx, l.query, w.Start, w.End, step)
				if errs[i][0] = err; err == nil {
					l.incident, l.found = pickSeries(ss, q.ServiceLabel, svc, named)
				}
			})
			wg.Go(func() {
				ss, err := m.QueryRange(ctx, l.query, w.BaselineStart, w.BaselineEnd, step)
				if errs[i][1] = err; err == nil {
					l.baseline, _ = pickSeries(ss, q.ServiceLabel, svc, named)
				}
			})
		}
		rng := promRange(w.End.Sub(w.Start))
		totalQ, failedQ := edgeQueries(svc, rng)
		var total, failed []triage.Sample
		var errT, errF error
		wg.Go(func() { total, errT = m.Query(ctx, totalQ, w.End) })
		wg.Go(func() { failed, errF = m.Query(ctx, failedQ, w.End) })
		wg.Wait()
		for i := range res.red {
			if err := firstErr(errs[i][:]...); err != nil {
				res.red[i].err = explain(err)
			}
		}
		if err := firstErr(errT, errF); err != nil {
			res.edgesErr = explain(err)
		} else {
			res.edges = buildEdges(svc, rng, total, failed)
		}
		return metricsMsg{page: p, seq: seq, res: res}
	}
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
