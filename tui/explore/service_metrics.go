package explore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/triagectl/triage/triage"
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
			e.query = triage.EdgeRatioQuery(key.peer, svc, rng)
		} else {
			e.query = triage.EdgeRatioQuery(svc, key.peer, rng)
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

// fetchMetrics builds the fetch that asks every query at once, giving a
// metricsResult. It captures its inputs, so a later change on the page
// cannot race it.
func fetchMetrics(ctx context.Context, m triage.MetricsSource, q triage.REDQueries,
	svc string, peer bool, w triage.Window, deadline time.Duration) func() any {
	return func() any {
		ctx, cancel := context.WithTimeout(ctx, deadline)
		defer cancel()
		explain := func(err error) error {
			// Only our own deadline: a client's shorter timeout explains itself.
			if ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
				return fmt.Errorf("context deadline exceeded after %s", deadline)
			}
			return err
		}
		sq := triage.ServiceSeries(q, svc, w, peer)
		step := sq.Step
		res := metricsResult{red: redLines(sq)}
		var wg sync.WaitGroup
		var errs [3][2]error // one slot per line and window: no goroutine shares one
		named := sq.Named
		for i := range res.red {
			l := &res.red[i]
			if l.query == "" {
				continue
			}
			wg.Go(func() {
				ss, err := m.QueryRange(ctx, l.query, w.Start, w.End, step)
				if errs[i][0] = err; err == nil {
					l.incident, l.found = pickSeries(ss, sq.Label, svc, named)
				}
			})
			wg.Go(func() {
				ss, err := m.QueryRange(ctx, l.query, w.BaselineStart, w.BaselineEnd, step)
				if errs[i][1] = err; err == nil {
					l.baseline, _ = pickSeries(ss, sq.Label, svc, named)
				}
			})
		}
		rng := sq.EdgeRange
		totalQ, failedQ := sq.Edges[0], sq.Edges[1]
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
		return res
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

// redLines are the Service page's three RED rows, on the engine's queries
// (so a recorded bundle answers them).
func redLines(sq triage.ServiceQueries) [3]redLine {
	return [3]redLine{
		{name: "req/s", query: sq.RED[0]},
		{name: "err%", query: sq.RED[1]},
		{name: "p99", query: sq.RED[2]},
	}
}
