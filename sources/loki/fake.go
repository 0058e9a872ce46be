package loki

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/triagectl/triage/sources"
)

// API is what the investigation needs from Loki; *Client implements it, and
// Fake stands in for it in tests of other packages.
type API interface {
	sources.Prober
	QueryRange(ctx context.Context, r QueryRangeRequest) (*QueryResult, error)
	Patterns(ctx context.Context, query string, start, end time.Time, step time.Duration) ([]Pattern, error)
	Labels(ctx context.Context, start, end time.Time) ([]string, error)
	LabelValues(ctx context.Context, name string, start, end time.Time, query string) ([]string, error)
	Series(ctx context.Context, matchers []string, start, end time.Time) ([]map[string]string, error)
}

var (
	_ API = (*Client)(nil)
	_ API = (*Fake)(nil)
)

// Fake answers from canned values and records the queries it was asked.
// Set its fields before use; it is safe for concurrent calls after that.
type Fake struct {
	// Results maps a LogQL query to its answer; the "" key answers any
	// query not listed. An unlisted query with no "" entry gets an empty
	// streams result.
	Results map[string]*QueryResult
	// PatternList is what Patterns returns, for any query.
	PatternList []Pattern
	// LabelNames is what Labels returns.
	LabelNames []string
	// Values maps a label name to what LabelValues returns.
	Values map[string][]string
	// SeriesList is what Series returns.
	SeriesList []map[string]string
	// Info is what BuildInfo returns; Version "fake" when empty.
	Info sources.BuildInfo
	// Errs maps an operation ("query_range", "patterns", "labels",
	// "label_values", "series", "ready", "buildinfo", "auth_check") to the
	// error it fails with. Use PatternsDisabledError for "patterns" to
	// exercise the fallback.
	Errs map[string]error

	mu       sync.Mutex
	requests []QueryRangeRequest
}

// PatternsDisabledError is the error a Loki without pattern ingester gives.
func PatternsDisabledError() error {
	return &sources.Error{Source: SourceName, Op: "patterns", Kind: sources.KindNotFound, Status: 404,
		Msg: "not found"}
}

// Requests returns the QueryRange requests seen so far, in order.
func (f *Fake) Requests() []QueryRangeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

func (f *Fake) fail(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return sources.TransportError(SourceName, op, 0, err)
	}
	return f.Errs[op]
}

// Name is "loki".
func (f *Fake) Name() string { return SourceName }

// URL is a placeholder address that no request is made to.
func (f *Fake) URL() string { return "http://loki.fake" }

// Ready fails only as Errs["ready"] says.
func (f *Fake) Ready(ctx context.Context) error { return f.fail(ctx, "ready") }

// BuildInfo returns Info.
func (f *Fake) BuildInfo(ctx context.Context) (sources.BuildInfo, error) {
	if err := f.fail(ctx, "buildinfo"); err != nil {
		return sources.BuildInfo{}, err
	}
	if f.Info.Version == "" {
		return sources.BuildInfo{Version: "fake"}, nil
	}
	return f.Info, nil
}

// AuthCheck fails only as Errs["auth_check"] says.
func (f *Fake) AuthCheck(ctx context.Context) error { return f.fail(ctx, "auth_check") }

// QueryRange records r and returns the canned result for its query.
func (f *Fake) QueryRange(ctx context.Context, r QueryRangeRequest) (*QueryResult, error) {
	f.mu.Lock()
	f.requests = append(f.requests, r)
	f.mu.Unlock()
	if err := f.fail(ctx, "query_range"); err != nil {
		return nil, err
	}
	res, ok := f.Results[r.Query]
	if !ok {
		res, ok = f.Results[""]
	}
	if !ok || res == nil {
		return &QueryResult{Type: ResultStreams, Categorized: true}, nil
	}
	cp := *res
	return &cp, nil
}

// Patterns returns PatternList.
func (f *Fake) Patterns(ctx context.Context, _ string, _, _ time.Time, _ time.Duration) ([]Pattern, error) {
	if err := f.fail(ctx, "patterns"); err != nil {
		return nil, err
	}
	return slices.Clone(f.PatternList), nil
}

// Labels returns LabelNames.
func (f *Fake) Labels(ctx context.Context, _, _ time.Time) ([]string, error) {
	if err := f.fail(ctx, "labels"); err != nil {
		return nil, err
	}
	return slices.Clone(f.LabelNames), nil
}

// LabelValues returns Values[name].
func (f *Fake) LabelValues(ctx context.Context, name string, _, _ time.Time, _ string) ([]string, error) {
	if err := f.fail(ctx, "label_values"); err != nil {
		return nil, err
	}
	return slices.Clone(f.Values[name]), nil
}

// Series returns SeriesList.
func (f *Fake) Series(ctx context.Context, _ []string, _, _ time.Time) ([]map[string]string, error) {
	if err := f.fail(ctx, "series"); err != nil {
		return nil, err
	}
	out := make([]map[string]string, len(f.SeriesList))
	for i, s := range f.SeriesList {
		out[i] = maps.Clone(s)
	}
	return out, nil
}
