package jaeger

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/triagectl/triage/sources"
)

// Query is one Jaeger search. As in Jaeger, every condition must hold for
// one and the same span of a trace: a trace matches when some span is in
// Service, named Operation, lasts between MinDuration and MaxDuration,
// starts between Start and End, carries every attribute and, with Errors,
// failed.
type Query struct {
	// Service is required, as every Jaeger storage but the in-memory one
	// requires it.
	Service   string
	Operation string
	// Attributes are exact key=value matches, all required, against the
	// span's, its scope's, its resource's or its events' attributes;
	// values compare as strings ("502" matches the integer 502).
	Attributes map[string]string
	// Errors asks for spans with OTLP status ERROR, Jaeger's error=true.
	Errors bool
	// MinDuration and MaxDuration bound the matching span's duration (not
	// the trace's); zero leaves a bound open.
	MinDuration, MaxDuration time.Duration
	// Start and End bound the matching span's start; both are required.
	Start, End time.Time
	// Limit caps the traces returned; the client's DefaultLimit when zero.
	Limit int
	// ScanLimit bounds the client-side error search (see SearchResult's
	// ErrorFilter): DefaultScanLimit when zero. It must not exceed the
	// in-memory store's max_traces, which refuses deeper searches.
	ScanLimit int
}

// DefaultScanLimit is how many of a service's traces the client looks
// through for failed spans when Jaeger's error=true finds none.
const DefaultScanLimit = 1000

// Where the error condition of a search was applied.
const (
	ErrorFilterServer = "server" // Jaeger's error=true found the traces
	ErrorFilterClient = "client" // the client found failed spans among Scanned traces
)

// SearchResult is what a search found.
type SearchResult struct {
	Traces []TraceSummary `json:"traces"`
	// API names the endpoint that answered: "api/v3" (OTLP) without
	// attributes, else "api" (the UI API; api/v3's HTTP gateway ignores
	// attributes).
	API string `json:"api"`
	// Depth is the number of traces asked of Jaeger, Scanned the number
	// it returned. Complete is set when Jaeger returned fewer than asked
	// and no trace was cut here: no further trace matches.
	Depth    int  `json:"depth"`
	Scanned  int  `json:"scanned"`
	Complete bool `json:"complete"`
	// Dropped counts returned traces in which no span satisfies the whole
	// query when checked here; they are left out. Storages differ in what
	// they match, the client's check is the same for all.
	Dropped int `json:"dropped,omitempty"`
	// ErrorFilter says where Errors was applied: ErrorFilterServer, or
	// ErrorFilterClient when error=true found nothing — either no span
	// failed, or the storage does not match it (Jaeger v2.12's in-memory
	// store matches error=true against no span) — and the client looked
	// for failed spans among the newest Scanned traces of the query
	// without its error condition. "" without Errors.
	ErrorFilter string `json:"errorFilter,omitempty"`

	full map[string]*Trace
}

// Trace returns the whole trace of a result: both APIs answer searches
// with complete traces, OTLP from api/v3, Jaeger's model from the UI API
// (turned into OTLP here), so there is no need to fetch it again.
func (r *SearchResult) Trace(id string) (*Trace, bool) {
	if r == nil || r.full == nil {
		return nil, false
	}
	norm, err := NormalizeTraceID(id)
	if err != nil {
		return nil, false
	}
	t, ok := r.full[norm]
	return t, ok
}

// Search runs a query. Without attributes it asks api/v3, with attributes
// the UI API; either way it keeps the whole traces (see Trace). With Errors it first asks Jaeger for
// error=true and, when that finds nothing, searches again without it and
// keeps the traces with a failed span (ErrorFilterClient).
func (c *Client) Search(ctx context.Context, q Query) (*SearchResult, error) {
	const op = "search"
	if err := c.validate(op, &q); err != nil {
		return nil, err
	}
	if !q.Errors {
		return c.search(ctx, op, q, q.Limit, false)
	}
	res, err := c.search(ctx, op, q, q.Limit, true)
	if err != nil || len(res.Traces) > 0 {
		if res != nil {
			res.ErrorFilter = ErrorFilterServer
		}
		return res, err
	}
	scan, err := c.search(ctx, op, q, q.ScanLimit, false)
	if err != nil {
		return nil, err
	}
	scan.ErrorFilter = ErrorFilterClient
	if len(scan.Traces) > q.Limit {
		scan.Traces = scan.Traces[:q.Limit]
		scan.Complete = false
	}
	return scan, nil
}

func (c *Client) validate(op string, q *Query) error {
	q.Service = strings.TrimSpace(q.Service)
	switch {
	case q.Service == "":
		return badRequest(op, "service is required")
	case q.Start.IsZero() || q.End.IsZero():
		return badRequest(op, "start and end are required")
	case q.End.Before(q.Start):
		return badRequest(op, "end "+q.End.UTC().Format(time.RFC3339)+" is before start "+q.Start.UTC().Format(time.RFC3339))
	case q.Limit < 0 || q.ScanLimit < 0:
		return badRequest(op, "limit and scan limit must not be negative")
	case q.MinDuration < 0 || q.MaxDuration < 0:
		return badRequest(op, "durations must not be negative")
	case q.MaxDuration > 0 && q.MaxDuration < q.MinDuration:
		return badRequest(op, "max duration "+q.MaxDuration.String()+" is below min duration "+q.MinDuration.String())
	}
	for k := range q.Attributes {
		if strings.TrimSpace(k) == "" {
			return badRequest(op, "attribute with an empty key")
		}
		if k == "error" {
			return badRequest(op, `use Errors, not the attribute "error"`)
		}
	}
	if q.Limit == 0 {
		q.Limit = c.opts.DefaultLimit
	}
	if q.ScanLimit == 0 {
		q.ScanLimit = DefaultScanLimit
	}
	q.ScanLimit = max(q.ScanLimit, q.Limit)
	return nil
}

// search asks Jaeger once, depth traces deep, with the error condition sent
// as error=true when serverErrors, and checks every returned trace against
// the whole query.
func (c *Client) search(ctx context.Context, op string, q Query, depth int, serverErrors bool) (*SearchResult, error) {
	if len(q.Attributes) == 0 && !serverErrors {
		return c.searchV3(ctx, op, q, depth)
	}
	return c.searchUI(ctx, op, q, depth, serverErrors)
}

func (c *Client) searchV3(ctx context.Context, op string, q Query, depth int) (*SearchResult, error) {
	v := url.Values{
		"query.service_name":   {q.Service},
		"query.start_time_min": {q.Start.UTC().Format(time.RFC3339Nano)},
		"query.start_time_max": {q.End.UTC().Format(time.RFC3339Nano)},
		// The gateway reads num_traces; search_depth is the field's name
		// in api/v3's protobuf, which newer gateways may read instead.
		"query.num_traces":   {strconv.Itoa(depth)},
		"query.search_depth": {strconv.Itoa(depth)},
	}
	if q.Operation != "" {
		v.Set("query.operation_name", q.Operation)
	}
	if q.MinDuration > 0 {
		v.Set("query.duration_min", q.MinDuration.String())
	}
	if q.MaxDuration > 0 {
		v.Set("query.duration_max", q.MaxDuration.String())
	}
	res := &SearchResult{API: "api/v3", Depth: depth, Traces: []TraceSummary{}, full: map[string]*Trace{}}
	resp, err := c.get(ctx, op, "/api/v3/traces", v)
	if err != nil {
		// api/v3 answers a search that finds nothing with 404 "No traces
		// found" in its error envelope; a router's 404 stays an error.
		if se, ok := sources.AsError(err); ok && se.Status == http.StatusNotFound && isGatewayError(resp) {
			res.Complete = true
			return res, nil
		}
		return nil, tooDeep(err, depth)
	}
	td, err := DecodeTraces(resp.Body)
	if err != nil {
		return nil, decodeErr(op, resp, err)
	}
	for _, t := range splitTraces(td) {
		res.Scanned++
		if !q.matchesOTLP(t.Traces) {
			res.Dropped++
			continue
		}
		res.Traces = append(res.Traces, summarize(t))
		res.full[t.ID] = t
	}
	res.Complete = res.Scanned < depth
	return res, nil
}

// tooDeep turns the in-memory store's refusal of a search deeper than its
// max_traces, a 500, into the caller's mistake it is.
func tooDeep(err error, depth int) error {
	if se, ok := sources.AsError(err); ok && se.Status == http.StatusInternalServerError &&
		strings.Contains(se.Msg, "search depth must be") {
		se.Kind = sources.KindBadRequest
		se.Msg = "search depth " + strconv.Itoa(depth) + " exceeds the store's max_traces (" + se.Msg + "); lower the limit"
	}
	return err
}

func (c *Client) searchUI(ctx context.Context, op string, q Query, depth int, serverErrors bool) (*SearchResult, error) {
	tags := make(map[string]string, len(q.Attributes)+1)
	for k, v := range q.Attributes {
		tags[k] = v
	}
	if serverErrors {
		tags["error"] = "true"
	}
	v := url.Values{
		"service": {q.Service},
		"start":   {micros(q.Start)},
		// The UI API's end is in whole microseconds: round up to cover End.
		"end":   {micros(q.End.Add(time.Microsecond - 1))},
		"limit": {strconv.Itoa(depth)},
	}
	if len(tags) > 0 {
		p, err := tagsParam(tags)
		if err != nil {
			return nil, badRequest(op, err.Error())
		}
		v.Set("tags", p)
	}
	if q.Operation != "" {
		v.Set("operation", q.Operation)
	}
	if q.MinDuration > 0 {
		v.Set("minDuration", q.MinDuration.String())
	}
	if q.MaxDuration > 0 {
		v.Set("maxDuration", q.MaxDuration.String())
	}
	resp, err := c.get(ctx, op, "/api/traces", v)
	if err != nil {
		return nil, tooDeep(err, depth)
	}
	w, err := decodeUISearch(resp.Body)
	if err != nil {
		return nil, uiDecodeErr(op, resp, err)
	}
	res := &SearchResult{API: "api", Depth: depth, Traces: []TraceSummary{}, full: map[string]*Trace{}}
	for i := range w.Data {
		t := &w.Data[i]
		res.Scanned++
		if !q.matchesUITrace(t) {
			res.Dropped++
			continue
		}
		s := t.summary()
		res.Traces = append(res.Traces, s)
		res.full[s.TraceID] = &Trace{ID: s.TraceID, Traces: t.toOTLP()}
	}
	res.Complete = res.Scanned < depth
	return res, nil
}

func (q Query) matchesUITrace(t *uiTrace) bool {
	for i := range t.Spans {
		if q.matchesUI(t, &t.Spans[i]) && q.inWindow(time.UnixMicro(int64(t.Spans[i].StartTime))) {
			return true
		}
	}
	return false
}

// inWindow checks the span's start against the query's window, at the
// microsecond precision of Jaeger's own model.
func (q Query) inWindow(start time.Time) bool {
	return !start.Before(q.Start.Truncate(time.Microsecond)) && !start.After(q.End)
}

// matchesOTLP reports whether a span of td satisfies q.
func (q Query) matchesOTLP(td ptrace.Traces) bool {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		res := rs.Resource().Attributes()
		if sv, ok := res.Get("service.name"); !ok || sv.AsString() != q.Service {
			continue
		}
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			scope := sss.At(j).Scope().Attributes()
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				if q.matchesSpan(spans.At(k), scope, res) {
					return true
				}
			}
		}
	}
	return false
}

func (q Query) matchesSpan(sp ptrace.Span, scope, res pcommon.Map) bool {
	if q.Operation != "" && sp.Name() != q.Operation {
		return false
	}
	if q.Errors && sp.Status().Code() != ptrace.StatusCodeError {
		return false
	}
	start := sp.StartTimestamp().AsTime()
	if start.Before(q.Start) || start.After(q.End) {
		return false
	}
	d := sp.EndTimestamp().AsTime().Sub(start)
	if (q.MinDuration > 0 && d < q.MinDuration) || (q.MaxDuration > 0 && d > q.MaxDuration) {
		return false
	}
	for k, want := range q.Attributes {
		if !attrIs(sp.Attributes(), k, want) && !attrIs(scope, k, want) && !attrIs(res, k, want) && !eventsHave(sp.Events(), k, want) {
			return false
		}
	}
	return true
}

func attrIs(m pcommon.Map, k, want string) bool {
	v, ok := m.Get(k)
	return ok && v.AsString() == want
}

func eventsHave(evs ptrace.SpanEventSlice, k, want string) bool {
	for i := 0; i < evs.Len(); i++ {
		if attrIs(evs.At(i).Attributes(), k, want) {
			return true
		}
	}
	return false
}
