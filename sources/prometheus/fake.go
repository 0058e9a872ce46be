package prometheus

import (
	"context"
	"strings"
	"sync"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/triagectl/triage/sources"
)

// API is what the investigation engine needs from Prometheus. *Client
// implements it; Fake stands in for it in tests that have no network.
type API interface {
	Query(ctx context.Context, q string, ts time.Time) (Result, error)
	QueryRange(ctx context.Context, q string, r v1.Range) (Result, error)
	QueryExemplars(ctx context.Context, q string, start, end time.Time) ([]Exemplar, error)
	Series(ctx context.Context, matchers []string, start, end time.Time) ([]model.LabelSet, error)
	LabelValues(ctx context.Context, label string, matchers []string, start, end time.Time) ([]string, error)
}

// Fake answers API calls from canned values. Fill its maps before use and
// share it by pointer; it is safe for concurrent use and records its calls.
// A query with no canned answer gets an empty result, as Prometheus gives
// for a metric it has never seen.
type Fake struct {
	Results   map[string]Result           // by PromQL, for Query and QueryRange
	Exemplars map[string][]Exemplar       // by PromQL
	SeriesOf  map[string][]model.LabelSet // by series selector; matchers' answers are joined
	Values    map[string][]string         // by label name
	// Errors fail the calls whose query, selector or label name is a key;
	// Err, when set, fails every call.
	Errors map[string]error
	Err    error

	mu    sync.Mutex
	calls []string
}

var _ API = (*Fake)(nil)

// Calls lists the calls made so far, as "op argument", e.g.
// "query sum(rate(x[1m]))" or "label_values service".
func (f *Fake) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// begin records the call and returns its canned error, if any. key picks
// the error; detail only appears in the recorded call.
func (f *Fake) begin(ctx context.Context, op, key, detail string) error {
	f.mu.Lock()
	f.calls = append(f.calls, strings.TrimSpace(op+" "+key+" "+detail))
	f.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return sources.TransportError(sourceName, op, 0, err)
	}
	if f.Err != nil {
		return f.Err
	}
	return f.Errors[key]
}

// Query returns the canned result for q, or an empty vector.
func (f *Fake) Query(ctx context.Context, q string, _ time.Time) (Result, error) {
	if err := f.begin(ctx, "query", q, ""); err != nil {
		return Result{}, err
	}
	if r, ok := f.Results[q]; ok {
		return r, nil
	}
	return Result{Value: model.Vector{}}, nil
}

// QueryRange returns the canned result for q, or an empty matrix.
func (f *Fake) QueryRange(ctx context.Context, q string, _ v1.Range) (Result, error) {
	if err := f.begin(ctx, "query_range", q, ""); err != nil {
		return Result{}, err
	}
	if r, ok := f.Results[q]; ok {
		return r, nil
	}
	return Result{Value: model.Matrix{}}, nil
}

// QueryExemplars returns the canned exemplars for q.
func (f *Fake) QueryExemplars(ctx context.Context, q string, _, _ time.Time) ([]Exemplar, error) {
	if err := f.begin(ctx, "query_exemplars", q, ""); err != nil {
		return nil, err
	}
	return f.Exemplars[q], nil
}

// Series joins the canned series of every matcher.
func (f *Fake) Series(ctx context.Context, matchers []string, _, _ time.Time) ([]model.LabelSet, error) {
	for _, m := range matchers {
		if err := f.begin(ctx, "series", m, ""); err != nil {
			return nil, err
		}
	}
	var out []model.LabelSet
	for _, m := range matchers {
		out = append(out, f.SeriesOf[m]...)
	}
	return out, nil
}

// LabelValues returns the canned values of label; matchers are recorded
// but do not filter.
func (f *Fake) LabelValues(ctx context.Context, label string, matchers []string, _, _ time.Time) ([]string, error) {
	if err := f.begin(ctx, "label_values", label, strings.Join(matchers, " ")); err != nil {
		return nil, err
	}
	return f.Values[label], nil
}
