package tempo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/triagectl/triage/sources"
)

// API is what the rest of Triage needs from Tempo. *Client and *Fake
// implement it.
type API interface {
	Search(ctx context.Context, r SearchRequest) (*SearchResult, error)
	Trace(ctx context.Context, id string) (*Trace, error)
	MetricsQueryRange(ctx context.Context, query string, start, end time.Time, step time.Duration) (*MetricsResult, error)
	Tags(ctx context.Context, scope string, start, end time.Time) ([]TagScope, error)
	TagValues(ctx context.Context, scopedTag, query string, start, end time.Time) ([]TagValue, error)
}

var (
	_ API            = (*Client)(nil)
	_ API            = (*Fake)(nil)
	_ sources.Prober = (*Fake)(nil)
)

// Fake answers from canned values, for tests of code that uses Tempo
// without a network. Set its fields before use; its methods are safe for
// concurrent use.
type Fake struct {
	// Searches maps a TraceQL query to its result; the "" entry answers
	// any other query. Without either, a search finds nothing.
	Searches map[string]*SearchResult
	// Traces maps trace ids (any form NormalizeTraceID accepts) to traces.
	Traces map[string]*Trace
	// Metrics maps a TraceQL metrics query to its result, "" as default.
	Metrics map[string]*MetricsResult
	// TagScopes answers Tags; TagValuesByTag answers TagValues by tag.
	TagScopes      []TagScope
	TagValuesByTag map[string][]TagValue
	// Errors, keyed by op ("search", "trace", "metrics_query_range",
	// "tags", "tag_values", "ready", "buildinfo"), fail that call; the ""
	// entry fails every call.
	Errors map[string]error
	// Version is what BuildInfo reports.
	Version string

	mu    sync.Mutex
	calls []string
}

// NewFake returns an empty fake.
func NewFake() *Fake {
	return &Fake{Searches: map[string]*SearchResult{}, Traces: map[string]*Trace{},
		Metrics: map[string]*MetricsResult{}, TagValuesByTag: map[string][]TagValue{}, Errors: map[string]error{}}
}

// Calls lists the calls made so far, as "op arg", in order.
func (f *Fake) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *Fake) begin(ctx context.Context, op, arg string) error {
	f.mu.Lock()
	f.calls = append(f.calls, strings.TrimSpace(op+" "+arg))
	f.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return sources.TransportError(SourceName, op, 0, err)
	}
	if err := f.Errors[op]; err != nil {
		return err
	}
	return f.Errors[""]
}

// Search returns the canned result for the query.
func (f *Fake) Search(ctx context.Context, r SearchRequest) (*SearchResult, error) {
	if err := f.begin(ctx, "search", r.Query); err != nil {
		return nil, err
	}
	if res, ok := f.Searches[r.Query]; ok {
		return res, nil
	}
	if res, ok := f.Searches[""]; ok {
		return res, nil
	}
	return &SearchResult{Traces: []TraceSummary{}}, nil
}

// Trace returns the canned trace, or not_found as Tempo would.
func (f *Fake) Trace(ctx context.Context, id string) (*Trace, error) {
	if err := f.begin(ctx, "trace", id); err != nil {
		return nil, err
	}
	norm, err := NormalizeTraceID(id)
	if err != nil {
		return nil, badRequest("trace", err.Error())
	}
	for k, t := range f.Traces {
		if n, err := NormalizeTraceID(k); err == nil && n == norm {
			return t, nil
		}
	}
	return nil, &sources.Error{Source: SourceName, Op: "trace", Kind: sources.KindNotFound, Status: 404,
		Msg: "trace " + norm + " not found"}
}

// MetricsQueryRange returns the canned result for the query.
func (f *Fake) MetricsQueryRange(ctx context.Context, query string, _, _ time.Time, _ time.Duration) (*MetricsResult, error) {
	if err := f.begin(ctx, "metrics_query_range", query); err != nil {
		return nil, err
	}
	if res, ok := f.Metrics[query]; ok {
		return res, nil
	}
	if res, ok := f.Metrics[""]; ok {
		return res, nil
	}
	return &MetricsResult{Series: []Series{}}, nil
}

// Tags returns TagScopes, filtered to scope when set.
func (f *Fake) Tags(ctx context.Context, scope string, _, _ time.Time) ([]TagScope, error) {
	if err := f.begin(ctx, "tags", scope); err != nil {
		return nil, err
	}
	out := []TagScope{}
	for _, s := range f.TagScopes {
		if scope == "" || s.Name == scope {
			out = append(out, s)
		}
	}
	return out, nil
}

// TagValues returns the canned values of the tag.
func (f *Fake) TagValues(ctx context.Context, scopedTag, _ string, _, _ time.Time) ([]TagValue, error) {
	if err := f.begin(ctx, "tag_values", scopedTag); err != nil {
		return nil, err
	}
	return append([]TagValue{}, f.TagValuesByTag[scopedTag]...), nil
}

// Name is the source's name.
func (f *Fake) Name() string { return SourceName }

// URL is a placeholder address.
func (f *Fake) URL() string { return "fake://tempo" }

// Ready fails only when an error is set for "ready".
func (f *Fake) Ready(ctx context.Context) error { return f.begin(ctx, "ready", "") }

// BuildInfo reports Version ("fake" when unset).
func (f *Fake) BuildInfo(ctx context.Context) (sources.BuildInfo, error) {
	if err := f.begin(ctx, "buildinfo", ""); err != nil {
		return sources.BuildInfo{}, err
	}
	v := f.Version
	if v == "" {
		v = "fake"
	}
	return sources.BuildInfo{Version: v}, nil
}

// AuthCheck fails like Tags does.
func (f *Fake) AuthCheck(ctx context.Context) error {
	_, err := f.Tags(ctx, "", time.Time{}, time.Time{})
	return err
}

// LoadSearch reads a recorded /api/search body.
func LoadSearch(path string) (*SearchResult, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	res, err := DecodeSearch(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return res, nil
}

// LoadMetrics reads a recorded /api/metrics/query_range body.
func LoadMetrics(path string) (*MetricsResult, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	res, err := DecodeMetrics(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return res, nil
}

// LoadTrace reads a recorded trace body: protobuf when the file ends in
// .pb, else Tempo's JSON (v1 or v2). The id is taken from the spans.
func LoadTrace(path string) (*Trace, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var t *Trace
	if strings.EqualFold(filepath.Ext(path), ".pb") {
		t, err = DecodeTraceProto(b)
	} else {
		t, err = DecodeTraceJSON(b)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if t.SpanCount() == 0 {
		return nil, fmt.Errorf("%s: no spans", path)
	}
	t.ID = firstTraceID(t)
	return t, nil
}

func firstTraceID(t *Trace) string {
	rss := t.Traces.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			if spans := sss.At(j).Spans(); spans.Len() > 0 {
				return spans.At(0).TraceID().String()
			}
		}
	}
	return ""
}

// AddTrace registers t under its id.
func (f *Fake) AddTrace(t *Trace) {
	if f.Traces == nil {
		f.Traces = map[string]*Trace{}
	}
	f.Traces[t.ID] = t
}
