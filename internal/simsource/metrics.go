package simsource

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/triagectl/triage/triage"
)

// Metrics answers the one query the user estimate needs, the scope's
// failing request count, from the generated spans; every other query gets
// an empty answer, which the engine reports as unmeasured.
type Metrics struct{ I *Incident }

var (
	increaseRE = regexp.MustCompile(`increase\(traces_spanmetrics_calls_total\{service="([^"]*)".*STATUS_CODE_ERROR.*\[(\d+)s\]\)`)
	bucketsRE  = regexp.MustCompile(`increase\(traces_spanmetrics_latency_bucket\{service="([^"]*)".*\[(\d+)s\]\)`)
	newestRE   = regexp.MustCompile(`timestamp\(traces_spanmetrics_calls_total\{service=~"([^"]*)"\}\)`)
)

// latencyBounds are Tempo's default span-metrics buckets, in seconds.
var latencyBounds = []float64{0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192, 16.384}

func entry(sp *triage.Span) bool {
	return sp.Kind == triage.KindServer || sp.Kind == triage.KindConsumer
}

func seconds(s string) time.Duration {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return time.Duration(n) * time.Second
}

// Query evaluates the scope-failures query at `at`.
func (m Metrics) Query(ctx context.Context, q string, at time.Time) ([]triage.Sample, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if mm := bucketsRE.FindStringSubmatch(q); mm != nil {
		return m.buckets(mm[1], at.Add(-seconds(mm[2])), at), nil
	}
	if mm := newestRE.FindStringSubmatch(q); mm != nil {
		return m.newest(mm[1], at), nil
	}
	mm := increaseRE.FindStringSubmatch(q)
	if mm == nil {
		return []triage.Sample{}, nil
	}
	svc, from := mm[1], at.Add(-seconds(mm[2]))
	n := 0
	m.each(svc, from, at, func(sp *triage.Span) {
		if sp.Error {
			n++
		}
	})
	return []triage.Sample{{Labels: map[string]string{}, Value: float64(n)}}, nil
}

// each calls f for every entry span of svc that started in [from, to).
func (m Metrics) each(svc string, from, to time.Time, f func(*triage.Span)) {
	for _, t := range m.I.order {
		for i := range t.Spans {
			sp := &t.Spans[i]
			if sp.Service() == svc && entry(sp) && !sp.Start.Before(from) && sp.Start.Before(to) {
				f(sp)
			}
		}
	}
}

// buckets is the cumulative latency histogram of svc's entry spans.
func (m Metrics) buckets(svc string, from, to time.Time) []triage.Sample {
	counts := make([]float64, len(latencyBounds)+1)
	m.each(svc, from, to, func(sp *triage.Span) {
		d := sp.Duration().Seconds()
		for i, b := range latencyBounds {
			if d <= b {
				counts[i]++
			}
		}
		counts[len(latencyBounds)]++
	})
	out := make([]triage.Sample, 0, len(counts))
	for i, c := range counts {
		le := "+Inf"
		if i < len(latencyBounds) {
			le = strconv.FormatFloat(latencyBounds[i], 'g', -1, 64)
		}
		out = append(out, triage.Sample{Labels: map[string]string{"le": le}, Value: c})
	}
	return out
}

// QueryRange has no series to give.
func (m Metrics) QueryRange(ctx context.Context, q string, start, end time.Time, step time.Duration) ([]triage.Series, error) {
	return []triage.Series{}, ctx.Err()
}

// Exemplars names failing traces of the scope service, as span-metrics
// exemplars do.
func (m Metrics) Exemplars(ctx context.Context, q string, start, end time.Time) ([]triage.Exemplar, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []triage.Exemplar
	for _, t := range m.I.order {
		for i := range t.Spans {
			sp := &t.Spans[i]
			if sp.Error && entry(sp) && strings.Contains(q, `"`+sp.Service()+`"`) &&
				!sp.Start.Before(start) && sp.Start.Before(end) && len(out) < 100 {
				out = append(out, triage.Exemplar{TraceID: t.ID, Time: sp.Start, Value: 1})
				break
			}
		}
	}
	return out, nil
}

// newest is the time of the newest span-metrics sample the spans of the
// services matching expr would have written by at: the newest entry span
// that ended by then.
func (m Metrics) newest(expr string, at time.Time) []triage.Sample {
	re, err := regexp.Compile("^(?:" + expr + ")$")
	if err != nil {
		return []triage.Sample{}
	}
	var newest time.Time
	for _, t := range m.I.order {
		for i := range t.Spans {
			sp := &t.Spans[i]
			if entry(sp) && re.MatchString(sp.Service()) && !sp.End.After(at) && sp.End.After(newest) {
				newest = sp.End
			}
		}
	}
	if newest.IsZero() {
		return []triage.Sample{}
	}
	return []triage.Sample{{Labels: map[string]string{}, Value: float64(newest.UnixNano()) / 1e9}}
}
