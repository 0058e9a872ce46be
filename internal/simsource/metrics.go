package simsource

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/triagectl/triage/triage"
)

// Metrics answers the one query the user estimate needs, the scope's
// failing request count, from the generated spans; every other query gets
// an empty answer, which the engine reports as unmeasured.
type Metrics struct{ I *Incident }

var increaseRE = regexp.MustCompile(`increase\(traces_spanmetrics_calls_total\{service="([^"]*)".*STATUS_CODE_ERROR.*\[(\d+)s\]\)`)

// Query evaluates the scope-failures query at `at`.
func (m Metrics) Query(ctx context.Context, q string, at time.Time) ([]triage.Sample, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	mm := increaseRE.FindStringSubmatch(q)
	if mm == nil {
		return []triage.Sample{}, nil
	}
	svc := mm[1]
	var secs int
	for _, c := range mm[2] {
		secs = secs*10 + int(c-'0')
	}
	from := at.Add(-time.Duration(secs) * time.Second)
	n := 0
	for _, t := range m.I.order {
		for i := range t.Spans {
			sp := &t.Spans[i]
			if sp.Service() == svc && sp.Kind == triage.KindServer && sp.Error && !sp.Start.Before(from) && sp.Start.Before(at) {
				n++
			}
		}
	}
	return []triage.Sample{{Labels: map[string]string{}, Value: float64(n)}}, nil
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
			if sp.Error && sp.Kind == triage.KindServer && strings.Contains(q, `"`+sp.Service()+`"`) &&
				!sp.Start.Before(start) && sp.Start.Before(end) && len(out) < 100 {
				out = append(out, triage.Exemplar{TraceID: t.ID, Time: sp.Start, Value: 1})
				break
			}
		}
	}
	return out, nil
}
