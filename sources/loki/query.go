package loki

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/triagectl/triage/sources"
)

// Direction orders the log lines of a query.
type Direction string

// The directions Loki accepts; the server's default is Backward.
const (
	Backward Direction = "backward"
	Forward  Direction = "forward"
)

// ResultType is the shape of a query's result.
type ResultType string

// The result types of the v1 query API.
const (
	ResultStreams ResultType = "streams"
	ResultMatrix  ResultType = "matrix"
	ResultVector  ResultType = "vector"
	ResultScalar  ResultType = "scalar"
)

// QueryRangeRequest is one /query_range call. Zero Start, End, Limit, Step
// and Direction leave the server's defaults (last hour, 100 lines, a step
// derived from the range, backward).
type QueryRangeRequest struct {
	Query     string
	Start     time.Time
	End       time.Time // exclusive
	Limit     int
	Direction Direction
	Step      time.Duration
}

// QueryResult is a decoded query answer. Exactly one of Streams, Matrix,
// Vector and Scalar is set, as Type says.
type QueryResult struct {
	Type    ResultType
	Streams []Stream
	Matrix  []Series
	Vector  []Series // one sample each
	Scalar  *Sample
	// Categorized is true when the server split structured metadata and
	// parsed labels out of the stream labels. When false, Stream.Labels
	// hold all of them mixed and Entry.StructuredMetadata is empty.
	Categorized bool
	Warnings    []string
	Stats       Stats
}

// Stream is one log stream and its entries.
type Stream struct {
	Labels  map[string]string // indexed labels when the result is categorized
	Entries []Entry
}

// Entry is one log line.
type Entry struct {
	Time               time.Time
	Line               string
	StructuredMetadata map[string]string
	Parsed             map[string]string
	// Stream is the labels of the entry's stream, shared by all its
	// entries: read it, do not change it.
	Stream map[string]string
}

// Label finds a label of the entry wherever the server put it: structured
// metadata first, then parsed labels, then the stream labels. It works
// alike on categorized and uncategorized results.
func (e Entry) Label(name string) (string, bool) {
	for _, m := range []map[string]string{e.StructuredMetadata, e.Parsed, e.Stream} {
		if v, ok := m[name]; ok {
			return v, true
		}
	}
	return "", false
}

// Series is a metric series: its labels and samples, oldest first.
type Series struct {
	Labels  map[string]string
	Samples []Sample
}

// Sample is one point of a metric series.
type Sample struct {
	Time  time.Time
	Value float64
}

// Stats is the summary part of the statistics Loki returns with a query.
type Stats struct {
	ExecTime             time.Duration
	QueueTime            time.Duration
	TotalBytesProcessed  int64
	TotalLinesProcessed  int64
	TotalEntriesReturned int64
	Splits               int64
	Shards               int64
}

// Entries returns the entries of every stream in one slice, newest first
// (oldest first when forward is true). Equal timestamps keep stream order.
func (r *QueryResult) Entries(forward bool) []Entry {
	n := 0
	for _, s := range r.Streams {
		n += len(s.Entries)
	}
	out := make([]Entry, 0, n)
	for _, s := range r.Streams {
		out = append(out, s.Entries...)
	}
	slices.SortStableFunc(out, func(a, b Entry) int {
		if forward {
			return a.Time.Compare(b.Time)
		}
		return b.Time.Compare(a.Time)
	})
	return out
}

// QueryRange runs a log or metric query over a range. It always asks for
// categorized labels and copes with servers that ignore the flag.
func (c *Client) QueryRange(ctx context.Context, r QueryRangeRequest) (*QueryResult, error) {
	const op = "query_range"
	if r.Query == "" {
		return nil, c.invalid(op, "empty query")
	}
	if r.Limit < 0 || r.Step < 0 {
		return nil, c.invalid(op, "negative limit or step")
	}
	if r.Direction != "" && r.Direction != Forward && r.Direction != Backward {
		return nil, c.invalid(op, "direction %q: want forward or backward", r.Direction)
	}
	if err := checkRange(r.Start, r.End); err != nil {
		return nil, c.invalid(op, "%v", err)
	}
	q := url.Values{"query": {r.Query}}
	rangeParams(q, r.Start, r.End)
	if r.Limit > 0 {
		q.Set("limit", strconv.Itoa(r.Limit))
	}
	if r.Direction != "" {
		q.Set("direction", string(r.Direction))
	}
	if r.Step > 0 {
		q.Set("step", formatStep(r.Step))
	}
	return c.query(ctx, op, pathQueryRange, q)
}

// Query runs an instant query at t (now when zero). Loki answers log
// queries here only for limited shapes; metric queries give a vector.
func (c *Client) Query(ctx context.Context, query string, t time.Time, limit int) (*QueryResult, error) {
	const op = "query"
	if query == "" {
		return nil, c.invalid(op, "empty query")
	}
	q := url.Values{"query": {query}}
	if !t.IsZero() {
		q.Set("time", strconv.FormatInt(t.UnixNano(), 10))
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	return c.query(ctx, op, pathQuery, q)
}

func (c *Client) query(ctx context.Context, op, path string, q url.Values) (*QueryResult, error) {
	h := http.Header{}
	h.Set(EncodingFlagsHeader, FlagCategorizeLabels)
	resp, err := c.do(ctx, sources.Request{Op: op, Path: path, Query: q, Header: h})
	if err != nil {
		return nil, err
	}
	env, err := decodeQuery(resp.Body)
	if err != nil {
		return nil, sources.DecodeError(c.Name(), op, resp.Status, resp.Body, err)
	}
	if err := c.checkStatus(op, resp, env.Status, env.ErrorType, env.Error); err != nil {
		return nil, err
	}
	return env.result()
}
