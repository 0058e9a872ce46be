package tempo

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/triagectl/triage/sources"
)

// SearchRequest is one TraceQL search.
type SearchRequest struct {
	Query string
	// Start and End bound the search; both or neither (then Tempo looks
	// only at recent data). Tempo takes whole seconds and refuses ranges
	// over 168h by default.
	Start, End time.Time
	// Limit caps the number of traces; Tempo's default (20) when zero.
	Limit int
	// SpansPerSpanSet caps the spans returned per span set (Tempo's spss);
	// Tempo's default (3) when zero.
	SpansPerSpanSet int
}

// SearchResult is what a search found. Tempo does not order traces.
type SearchResult struct {
	Traces  []TraceSummary `json:"traces"`
	Metrics SearchMetrics  `json:"metrics"`
}

// RootNotReceived is the root service Tempo reports for a trace whose root
// span it has not seen.
const RootNotReceived = "<root span not yet received>"

// TraceSummary is one trace in a search result.
type TraceSummary struct {
	TraceID         string                  `json:"traceID"` // 32 hex digits
	RootServiceName string                  `json:"rootServiceName"`
	RootTraceName   string                  `json:"rootTraceName"`
	Start           time.Time               `json:"start"`
	Duration        time.Duration           `json:"duration"` // millisecond precision
	SpanSets        []SpanSet               `json:"spanSets"`
	ServiceStats    map[string]ServiceStats `json:"serviceStats"`
}

// HasRoot reports whether Tempo has seen the trace's root span.
func (t TraceSummary) HasRoot() bool {
	return t.RootServiceName != "" && t.RootServiceName != RootNotReceived
}

// ErrorCount sums the error spans over every service.
func (t TraceSummary) ErrorCount() int {
	n := 0
	for _, s := range t.ServiceStats {
		n += s.ErrorCount
	}
	return n
}

// SpanSet is one set of spans that matched the query.
type SpanSet struct {
	Spans []SpanMatch `json:"spans"`
	// Matched counts all the matching spans, of which at most spss are
	// listed.
	Matched    int         `json:"matched"`
	Attributes []Attribute `json:"attributes,omitempty"`
}

// SpanMatch is a span in a span set, with the attributes the query
// selected.
type SpanMatch struct {
	SpanID     string        `json:"spanID"` // 16 hex digits
	Name       string        `json:"name,omitempty"`
	Start      time.Time     `json:"start"`
	Duration   time.Duration `json:"duration"`
	Attributes []Attribute   `json:"attributes,omitempty"`
}

// ServiceStats counts a service's spans in one trace.
type ServiceStats struct {
	SpanCount  int `json:"spanCount"`
	ErrorCount int `json:"errorCount"`
}

// SearchMetrics says how much work a search or query did.
type SearchMetrics struct {
	InspectedTraces int   `json:"inspectedTraces,omitempty"`
	InspectedBytes  int64 `json:"inspectedBytes,omitempty"`
	InspectedSpans  int64 `json:"inspectedSpans,omitempty"`
	TotalBlocks     int   `json:"totalBlocks,omitempty"`
	CompletedJobs   int   `json:"completedJobs,omitempty"`
	TotalJobs       int   `json:"totalJobs,omitempty"`
	TotalBlockBytes int64 `json:"totalBlockBytes,omitempty"`
}

// Search runs a TraceQL search on /api/search.
func (c *Client) Search(ctx context.Context, r SearchRequest) (*SearchResult, error) {
	const op = "search"
	q := url.Values{}
	if strings.TrimSpace(r.Query) != "" {
		q.Set("q", padTraceQL(r.Query))
	}
	if err := timeRange(op, q, r.Start, r.End); err != nil {
		return nil, err
	}
	if !r.Start.IsZero() {
		if d := r.End.Sub(r.Start); d > c.opts.MaxSearchRange {
			return nil, badRequest(op, fmt.Sprintf("time range %s exceeds Tempo's search limit of %s; narrow the range",
				d.Round(time.Second), c.opts.MaxSearchRange))
		}
	}
	if r.Limit < 0 || r.SpansPerSpanSet < 0 {
		return nil, badRequest(op, "limit and spans per span set must not be negative")
	}
	if r.Limit > 0 {
		q.Set("limit", strconv.Itoa(r.Limit))
	}
	if r.SpansPerSpanSet > 0 {
		q.Set("spss", strconv.Itoa(r.SpansPerSpanSet))
	}
	// Protobuf costs Tempo a quarter to a third of the CPU JSON does for a
	// search that selects attributes (its JSON encoder dominates such a
	// search), in half the bytes; a Tempo that answers JSON anyway is
	// understood.
	resp, err := c.get(ctx, op, "/api/search", q, "application/protobuf")
	if err != nil {
		return nil, err
	}
	res, err := decodeSearchBody(resp.Header.Get("Content-Type"), resp.Body)
	if err != nil {
		return nil, sources.DecodeError(SourceName, op, resp.Status, resp.Body, err)
	}
	return res, nil
}

// wire shapes of Tempo's search JSON.
type (
	wireSearch struct {
		Traces  []wireTraceSummary `json:"traces"`
		Metrics wireMetrics        `json:"metrics"`
	}
	wireTraceSummary struct {
		TraceID           string                  `json:"traceID"`
		RootServiceName   string                  `json:"rootServiceName"`
		RootTraceName     string                  `json:"rootTraceName"`
		StartTimeUnixNano int64String             `json:"startTimeUnixNano"`
		DurationMs        int64                   `json:"durationMs"`
		SpanSet           *wireSpanSet            `json:"spanSet"`
		SpanSets          []wireSpanSet           `json:"spanSets"`
		ServiceStats      map[string]ServiceStats `json:"serviceStats"`
	}
	wireSpanSet struct {
		Spans      []wireSpan  `json:"spans"`
		Matched    int         `json:"matched"`
		Attributes []Attribute `json:"attributes"`
	}
	wireSpan struct {
		SpanID            string      `json:"spanID"`
		Name              string      `json:"name"`
		StartTimeUnixNano int64String `json:"startTimeUnixNano"`
		DurationNanos     int64String `json:"durationNanos"`
		Attributes        []Attribute `json:"attributes"`
	}
	wireMetrics struct {
		InspectedTraces int         `json:"inspectedTraces"`
		InspectedBytes  int64String `json:"inspectedBytes"`
		InspectedSpans  int64String `json:"inspectedSpans"`
		TotalBlocks     int         `json:"totalBlocks"`
		CompletedJobs   int         `json:"completedJobs"`
		TotalJobs       int         `json:"totalJobs"`
		TotalBlockBytes int64String `json:"totalBlockBytes"`
	}
)

func (m wireMetrics) metrics() SearchMetrics {
	return SearchMetrics{InspectedTraces: m.InspectedTraces, InspectedBytes: int64(m.InspectedBytes),
		InspectedSpans: int64(m.InspectedSpans), TotalBlocks: m.TotalBlocks, CompletedJobs: m.CompletedJobs,
		TotalJobs: m.TotalJobs, TotalBlockBytes: int64(m.TotalBlockBytes)}
}

// decodeSearchBody decodes a search's body as its content type says. When
// the type does not tell (none, or a proxy's text/plain), the body's first
// byte decides, and the other decoder is tried when that one fails: a
// protobuf answer starts with a newline (field 1's tag) that may be
// followed by a '{'.
func decodeSearchBody(contentType string, body []byte) (*SearchResult, error) {
	ct := strings.ToLower(contentType)
	switch {
	case strings.Contains(ct, "json"):
		return DecodeSearch(body)
	case strings.Contains(ct, "protobuf"), strings.Contains(ct, "octet-stream"):
		return DecodeSearchProto(body)
	}
	first, second := DecodeSearchProto, DecodeSearch
	if isJSONBody("", body) {
		first, second = second, first
	}
	res, err := first(body)
	if err != nil {
		if again, aerr := second(body); aerr == nil {
			return again, nil
		}
	}
	return res, err
}

// DecodeSearch decodes the JSON body of /api/search.
func DecodeSearch(body []byte) (*SearchResult, error) {
	var w wireSearch
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, err
	}
	return w.result(), nil
}

// result is the search as the client reports it, whichever encoding it
// came in.
func (w *wireSearch) result() *SearchResult {
	res := &SearchResult{Traces: make([]TraceSummary, 0, len(w.Traces)), Metrics: w.Metrics.metrics()}
	for _, t := range w.Traces {
		sets := t.SpanSets
		// Tempo before spanSets sent only the one, now deprecated, spanSet.
		if len(sets) == 0 && t.SpanSet != nil {
			sets = []wireSpanSet{*t.SpanSet}
		}
		ts := TraceSummary{
			TraceID:         normalizeSearchID(t.TraceID, 32),
			RootServiceName: t.RootServiceName,
			RootTraceName:   t.RootTraceName,
			Start:           unixNano(int64(t.StartTimeUnixNano)),
			Duration:        time.Duration(t.DurationMs) * time.Millisecond,
			SpanSets:        make([]SpanSet, 0, len(sets)),
			ServiceStats:    t.ServiceStats,
		}
		for _, ws := range sets {
			ss := SpanSet{Matched: ws.Matched, Attributes: ws.Attributes, Spans: make([]SpanMatch, 0, len(ws.Spans))}
			for _, sp := range ws.Spans {
				ss.Spans = append(ss.Spans, SpanMatch{
					SpanID:     normalizeSearchID(sp.SpanID, 16),
					Name:       sp.Name,
					Start:      unixNano(int64(sp.StartTimeUnixNano)),
					Duration:   time.Duration(sp.DurationNanos),
					Attributes: sp.Attributes,
				})
			}
			ts.SpanSets = append(ts.SpanSets, ss)
		}
		res.Traces = append(res.Traces, ts)
	}
	return res
}
