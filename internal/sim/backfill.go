package sim

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"time"
)

// DefaultBackfillBefore is how much baseline traffic Backfill writes before
// the window: enough for a same-length window an hour before the incident.
// It is also the most it can write, because the live counters already count
// that much traffic before the window.
const DefaultBackfillBefore = 75 * time.Minute

// DefaultBackfillStep is the spacing of backfilled samples.
const DefaultBackfillStep = 15 * time.Second

const defaultBackfillBatch = 5000

// BackfillOptions tune Backfill; the zero value suits a Prometheus with one
// scrape target, the metrics handler.
type BackfillOptions struct {
	Before time.Duration // history before the window; default and at most DefaultBackfillBefore
	Step   time.Duration // between samples; default DefaultBackfillStep

	// Labels are the target labels the scrape adds (job, instance). Without
	// them Backfill asks Prometheus for its active target: the one scraped at
	// Target (host:port) when given, else the only one.
	Labels map[string]string
	Target string

	MaxSamples int // per remote-write request; default 5000
}

type timedObs struct {
	at int64 // unix ns
	v  float64
}

// setPriors gives every series the traffic of DefaultBackfillBefore at its
// baseline-phase rate, in whole requests so bucket counts stay integers.
func (i *Incident) setPriors(idxs ...map[string]*series) {
	scale := DefaultBackfillBefore.Seconds() / (float64(i.incidentAt-i.start) / 1e9)
	for _, idx := range idxs {
		for _, s := range idx {
			for _, g := range []*growing{&s.lat, &s.srv, &s.failed} {
				g.setPrior(scale)
			}
		}
	}
}

func (g *growing) setPrior(scale float64) {
	var cum, cumRecent, prev float64
	for b := range g.total.counts {
		cum += g.total.counts[b]
		cumRecent += g.recent.counts[b]
		c := math.Round((cum - cumRecent) * scale)
		g.prior.counts[b] = c - prev
		prev = c
	}
	g.prior.n = prev
	if prev > 0 {
		g.prior.sum = max((g.total.sum-g.recent.sum)*scale, 0)
	}
}

// liveAt is what the collector serves e seconds after Generate: cumulative
// bucket counts (+Inf last), count and sum.
func (g *growing) liveAt(recentSecs, e float64) (cum []float64, count, sum float64) {
	cum = make([]float64, len(g.total.counts))
	var c, cr float64
	for b := range g.total.counts {
		c += g.prior.counts[b] + g.total.counts[b]
		cr += g.recent.counts[b]
		cum[b] = c + cr/recentSecs*e
	}
	count = g.prior.n + g.total.n + g.recent.n/recentSecs*e
	sum = g.prior.sum + g.total.sum + g.recent.sum/recentSecs*e
	return cum, count, sum
}

// history is g at each of times (unix ns, ascending, the last one the
// window's end): the prior traffic ramps up linearly over the
// DefaultBackfillBefore before the window, then the window's observations
// add up as they happened. The last sample is exactly the collector's value
// at Generate, so the live scrape carries on without a jump.
func (g *growing) history(times []int64, start int64, recentSecs float64) (cum [][]float64, count, sum []float64) {
	obs := slices.Clone(g.obs)
	sort.SliceStable(obs, func(a, b int) bool { return obs[a].at < obs[b].at })
	nb := len(g.total.counts)
	win := make([]float64, nb)
	var winSum float64
	priorSecs := DefaultBackfillBefore.Seconds()
	cum = make([][]float64, len(times))
	count, sum = make([]float64, len(times)), make([]float64, len(times))
	j := 0
	for k, t := range times {
		if k == len(times)-1 {
			cum[k], count[k], sum[k] = g.liveAt(recentSecs, 0)
			break
		}
		for ; j < len(obs) && obs[j].at <= t; j++ {
			win[sort.SearchFloat64s(g.total.bounds, obs[j].v)]++
			winSum += obs[j].v
		}
		f := 1.0
		if t < start {
			f = max(0, 1-float64(start-t)/1e9/priorSecs)
		}
		row := make([]float64, nb)
		var c float64
		for b := range row {
			c += g.prior.counts[b]*f + win[b]
			row[b] = c
		}
		cum[k], count[k], sum[k] = row, c, g.prior.sum*f+winSum
	}
	// Float sums added in another order can end a hair above the exact last
	// value; a counter must never go down, or Prometheus sees a reset.
	for k := len(times) - 2; k >= 0; k-- {
		for b := range cum[k] {
			cum[k][b] = min(cum[k][b], cum[k+1][b])
		}
		count[k], sum[k] = min(count[k], count[k+1]), min(sum[k], sum[k+1])
	}
	return cum, count, sum
}

// backfillTimes are the sample times, every step back from the window's end
// to before ahead of its start.
func (i *Incident) backfillTimes(before, step time.Duration) []int64 {
	n := (i.end - (i.start - int64(before))) / int64(step)
	out := make([]int64, 0, n+1)
	for k := n; k >= 0; k-- {
		out = append(out, i.end-k*int64(step))
	}
	return out
}

// histSeries is one series Backfill writes: its labels and a value per time.
type histSeries struct {
	labels []label
	values []float64
}

type label struct{ name, value string }

// backfillSeries lists every series the metrics handler exposes, with its
// history at times, target labels added.
func (i *Incident) backfillSeries(times []int64, target map[string]string) []histSeries {
	ms := i.metrics
	var out []histSeries
	add := func(name string, names, values []string, extra []label, v []float64) {
		ls := []label{{"__name__", name}}
		for k, n := range names {
			ls = append(ls, label{n, values[k]})
		}
		ls = append(ls, extra...)
		for n, v := range target {
			if !slices.ContainsFunc(ls, func(l label) bool { return l.name == n }) {
				ls = append(ls, label{n, v})
			}
		}
		// The scrape drops empty labels; so must we, or the series differ.
		ls = slices.DeleteFunc(ls, func(l label) bool { return l.value == "" })
		slices.SortFunc(ls, func(a, b label) int {
			if a.name < b.name {
				return -1
			}
			if a.name > b.name {
				return 1
			}
			return 0
		})
		out = append(out, histSeries{labels: ls, values: v})
	}
	counter := func(name string, names []string, s *series, g *growing) {
		_, count, _ := g.history(times, i.start, ms.recentSecs)
		add(name, names, s.labels, nil, count)
	}
	histogram := func(name string, names []string, s *series, g *growing) {
		cum, count, sum := g.history(times, i.start, ms.recentSecs)
		for b := range g.total.counts {
			le := "+Inf"
			if b < len(g.total.bounds) {
				le = formatLe(g.total.bounds[b])
			}
			col := make([]float64, len(times))
			for k := range times {
				col[k] = math.Trunc(cum[k][b])
			}
			add(name+"_bucket", names, s.labels, []label{{"le", le}}, col)
		}
		for k := range count {
			count[k] = math.Trunc(count[k])
		}
		add(name+"_count", names, s.labels, nil, count)
		add(name+"_sum", names, s.labels, nil, sum)
	}
	spanLabels, edgeLabels := ms.shape.spanLabels, ms.shape.edgeLabels
	for _, s := range ms.spans {
		counter(ms.shape.calls, spanLabels, s, &s.lat)
		histogram(ms.shape.latency, spanLabels, s, &s.lat)
	}
	for _, s := range ms.edges {
		counter("traces_service_graph_request_total", edgeLabels, s, &s.lat)
		if s.failed.total.n > 0 {
			counter("traces_service_graph_request_failed_total", edgeLabels, s, &s.failed)
		}
		histogram("traces_service_graph_request_client_seconds", edgeLabels, s, &s.lat)
		histogram("traces_service_graph_request_server_seconds", edgeLabels, s, &s.srv)
	}
	return out
}

// formatLe writes a bucket bound as Prometheus stores it after a scrape,
// always with a decimal point.
func formatLe(v float64) string {
	s := strconv.FormatFloat(v, 'g', -1, 64)
	for _, r := range s {
		if r == '.' || r == 'e' {
			return s
		}
	}
	return s + ".0"
}

// Backfill writes the history of every series MetricsHandler serves to
// Prometheus by remote write: baseline-rate traffic from Before ahead of the
// window's start, then the window's traffic as generated, every Step up to
// the window's end, where it meets the live values. Prometheus needs the
// remote-write receiver, and an out-of-order window reaching back to the
// history's start once it has scraped the handler.
func (i *Incident) Backfill(ctx context.Context, prometheusURL string, opts BackfillOptions) error {
	if opts.Before == 0 {
		opts.Before = DefaultBackfillBefore
	}
	if opts.Step == 0 {
		opts.Step = DefaultBackfillStep
	}
	if opts.MaxSamples <= 0 {
		opts.MaxSamples = defaultBackfillBatch
	}
	if opts.Before < 0 || opts.Before > DefaultBackfillBefore {
		return fmt.Errorf("sim: backfill Before=%s, want at most %s", opts.Before, DefaultBackfillBefore)
	}
	if opts.Step < time.Millisecond {
		return fmt.Errorf("sim: backfill Step=%s, want at least 1ms", opts.Step)
	}
	base, err := promBase(prometheusURL)
	if err != nil {
		return err
	}
	target := opts.Labels
	if target == nil {
		if target, err = scrapeTarget(ctx, base, opts.Target); err != nil {
			return err
		}
	}
	times := i.backfillTimes(opts.Before, opts.Step)
	return remoteWrite(ctx, base+"/api/v1/write", i.backfillSeries(times, target), times, opts.MaxSamples)
}
