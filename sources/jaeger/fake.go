package jaeger

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/triagectl/triage/sources"
)

// API is what the rest of Triage needs from Jaeger. *Client and *Fake
// implement it.
type API interface {
	Search(ctx context.Context, q Query) (*SearchResult, error)
	Trace(ctx context.Context, id string) (*Trace, error)
	Services(ctx context.Context) ([]string, error)
	Operations(ctx context.Context, service, spanKind string) ([]Operation, error)
	Dependencies(ctx context.Context, end time.Time, lookback time.Duration) ([]Dependency, error)
}

var (
	_ API            = (*Client)(nil)
	_ API            = (*Fake)(nil)
	_ sources.Prober = (*Fake)(nil)
)

// Fake is a Jaeger held in memory, for tests of code that uses Jaeger
// without a network: searches run over the traces added to it with the
// client's own matching, as a storage that honours error=true would.
// Its methods are safe for concurrent use.
type Fake struct {
	// Deps answers Dependencies, whatever the window.
	Deps []Dependency
	// Errors, keyed by op ("search", "trace", "services", "operations",
	// "dependencies", "ready", "buildinfo"), fail that call; the "" entry
	// fails every call.
	Errors map[string]error
	// Version is what BuildInfo reports.
	Version string

	mu     sync.Mutex
	traces map[string]*Trace
	order  []string
	calls  []string
}

// NewFake returns an empty fake.
func NewFake() *Fake {
	return &Fake{Errors: map[string]error{}, traces: map[string]*Trace{}}
}

// AddTraces stores every trace in td, split by trace id; spans of a trace
// already held are added to it.
func (f *Fake) AddTraces(td ptrace.Traces) {
	cp := ptrace.NewTraces()
	td.CopyTo(cp)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.traces == nil {
		f.traces = map[string]*Trace{}
	}
	for _, t := range splitTraces(cp) {
		if old, ok := f.traces[t.ID]; ok {
			t.Traces.ResourceSpans().MoveAndAppendTo(old.Traces.ResourceSpans())
			continue
		}
		f.traces[t.ID] = t
		f.order = append(f.order, t.ID)
	}
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

// Search matches the query against the stored traces, newest added first
// as Jaeger's in-memory store does.
func (f *Fake) Search(ctx context.Context, q Query) (*SearchResult, error) {
	const op = "search"
	if err := f.begin(ctx, op, q.Service); err != nil {
		return nil, err
	}
	c := &Client{opts: Options{DefaultLimit: DefaultSearchLimit}}
	if err := c.validate(op, &q); err != nil {
		return nil, err
	}
	res := &SearchResult{API: "api/v3", Depth: q.Limit, Traces: []TraceSummary{}, full: map[string]*Trace{}, Complete: true}
	if q.Errors {
		res.ErrorFilter = ErrorFilterServer
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.order) - 1; i >= 0; i-- {
		t := f.traces[f.order[i]]
		if !q.matchesOTLP(t.Traces) {
			continue
		}
		if len(res.Traces) == q.Limit {
			res.Complete = false
			break
		}
		res.Scanned++
		res.Traces = append(res.Traces, summarize(t))
		res.full[t.ID] = t
	}
	return res, nil
}

// Trace returns the stored trace, or not_found as Jaeger would.
func (f *Fake) Trace(ctx context.Context, id string) (*Trace, error) {
	const op = "trace"
	if err := f.begin(ctx, op, id); err != nil {
		return nil, err
	}
	norm, err := NormalizeTraceID(id)
	if err != nil {
		return nil, badRequest(op, err.Error())
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if t, ok := f.traces[norm]; ok {
		return t, nil
	}
	return nil, &sources.Error{Source: SourceName, Op: op, Kind: sources.KindNotFound, Status: 404,
		Msg: "trace " + norm + " not found"}
}

// Services lists the services of the stored traces.
func (f *Fake) Services(ctx context.Context) ([]string, error) {
	if err := f.begin(ctx, "services", ""); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	f.each(func(svc string, _ ptrace.Span) { seen[svc] = true })
	out := []string{}
	for s := range seen {
		if s != "" {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Operations lists a service's span names and kinds in the stored traces.
func (f *Fake) Operations(ctx context.Context, service, spanKind string) ([]Operation, error) {
	if err := f.begin(ctx, "operations", service); err != nil {
		return nil, err
	}
	seen := map[Operation]bool{}
	f.each(func(svc string, sp ptrace.Span) {
		o := Operation{Name: sp.Name(), SpanKind: spanKindName(sp.Kind())}
		if svc == service && (spanKind == "" || o.SpanKind == spanKind) {
			seen[o] = true
		}
	})
	out := []Operation{}
	for o := range seen {
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b Operation) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.SpanKind, b.SpanKind)
	})
	return out, nil
}

// spanKindName is the kind as Jaeger's operations list writes it.
func spanKindName(k ptrace.SpanKind) string {
	if k == ptrace.SpanKindUnspecified {
		return ""
	}
	return strings.ToLower(k.String())
}

// Dependencies returns Deps.
func (f *Fake) Dependencies(ctx context.Context, _ time.Time, _ time.Duration) ([]Dependency, error) {
	if err := f.begin(ctx, "dependencies", ""); err != nil {
		return nil, err
	}
	return append([]Dependency{}, f.Deps...), nil
}

func (f *Fake) each(fn func(service string, sp ptrace.Span)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range f.order {
		forSpans(f.traces[id].Traces, fn)
	}
}

// Name is the source's name.
func (f *Fake) Name() string { return SourceName }

// URL is a placeholder address.
func (f *Fake) URL() string { return "fake://jaeger" }

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

// AuthCheck fails like Services does.
func (f *Fake) AuthCheck(ctx context.Context) error {
	_, err := f.Services(ctx)
	return err
}

// LoadTrace reads a recorded api/v3 trace body; the id is the first span's.
func LoadTrace(path string) (*Trace, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	td, err := DecodeTraces(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ts := splitTraces(td)
	if len(ts) == 0 {
		return nil, fmt.Errorf("%s: no spans", path)
	}
	return ts[0], nil
}
