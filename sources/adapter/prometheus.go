package adapter

import (
	"context"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/triagectl/triage/sources/prometheus"
	"github.com/triagectl/triage/triage"
)

// Metrics adapts the Prometheus client to triage.MetricsSource.
type Metrics struct{ C *prometheus.Client }

var _ triage.MetricsSource = Metrics{}

func labels(ls model.Metric) map[string]string {
	out := make(map[string]string, len(ls))
	for k, v := range ls {
		out[string(k)] = string(v)
	}
	return out
}

// Query runs an instant query.
func (m Metrics) Query(ctx context.Context, q string, at time.Time) ([]triage.Sample, error) {
	r, err := m.C.Query(ctx, q, at)
	if err != nil {
		return nil, err
	}
	switch v := r.Value.(type) {
	case model.Vector:
		out := make([]triage.Sample, 0, len(v))
		for _, s := range v {
			out = append(out, triage.Sample{Labels: labels(s.Metric), Value: float64(s.Value)})
		}
		return out, nil
	case *model.Scalar:
		return []triage.Sample{{Labels: map[string]string{}, Value: float64(v.Value)}}, nil
	}
	return nil, nil
}

// QueryRange runs a range query.
func (m Metrics) QueryRange(ctx context.Context, q string, start, end time.Time, step time.Duration) ([]triage.Series, error) {
	r, err := m.C.QueryRange(ctx, q, v1.Range{Start: start, End: end, Step: step})
	if err != nil {
		return nil, err
	}
	mat := r.Matrix()
	out := make([]triage.Series, 0, len(mat))
	for _, s := range mat {
		pts := make([]triage.Point, 0, len(s.Values))
		for _, p := range s.Values {
			pts = append(pts, triage.Point{Time: p.Timestamp.Time(), Value: float64(p.Value)})
		}
		out = append(out, triage.Series{Labels: labels(s.Metric), Points: pts})
	}
	return out, nil
}

// Exemplars returns the exemplars of the selected series.
func (m Metrics) Exemplars(ctx context.Context, q string, start, end time.Time) ([]triage.Exemplar, error) {
	ex, err := m.C.QueryExemplars(ctx, q, start, end)
	if err != nil {
		return nil, err
	}
	out := make([]triage.Exemplar, 0, len(ex))
	for _, e := range ex {
		out = append(out, triage.Exemplar{Labels: labels(model.Metric(e.Series)), TraceID: e.TraceID, Time: e.Timestamp, Value: e.Value})
	}
	return out, nil
}
