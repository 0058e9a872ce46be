package jaeger

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/triagectl/triage/sources"
)

// Trace is one trace fetched by id. Its fields are those of the Tempo
// client's Trace, so that one adapter reads both.
type Trace struct {
	ID     string // 32 hex digits
	Traces ptrace.Traces
	// Partial and Message mirror Tempo's partial traces; Jaeger has no
	// such answer, so Partial stays false.
	Partial bool
	Message string
}

// SpanCount is the number of spans in the trace.
func (t *Trace) SpanCount() int { return t.Traces.SpanCount() }

// TraceOptions adjust one Trace call.
type TraceOptions struct {
	// Start and End, when set, narrow where the storage looks for the
	// trace (api/v3's start_time and end_time); the in-memory store
	// ignores them.
	Start, End time.Time
	// Raw asks for the trace as stored, without the query service's
	// adjusters (span deduplication, clock-skew correction, sorted
	// attributes); by default the trace comes as Jaeger's UI shows it.
	Raw bool
}

// Trace fetches a trace by id over api/v3. The id may be upper case or lack
// leading zeros; a malformed id fails before any request.
func (c *Client) Trace(ctx context.Context, id string) (*Trace, error) {
	return c.TraceWith(ctx, id, TraceOptions{})
}

// TraceWith fetches a trace by id with per-call options.
func (c *Client) TraceWith(ctx context.Context, id string, o TraceOptions) (*Trace, error) {
	const op = "trace"
	norm, err := NormalizeTraceID(id)
	if err != nil {
		return nil, badRequest(op, err.Error())
	}
	q := url.Values{}
	if !o.Start.IsZero() {
		q.Set("start_time", o.Start.UTC().Format(time.RFC3339Nano))
	}
	if !o.End.IsZero() {
		q.Set("end_time", o.End.UTC().Format(time.RFC3339Nano))
	}
	if !o.Start.IsZero() && !o.End.IsZero() && o.End.Before(o.Start) {
		return nil, badRequest(op, "end "+o.End.UTC().Format(time.RFC3339)+" is before start "+o.Start.UTC().Format(time.RFC3339))
	}
	if o.Raw {
		q.Set("raw_traces", strconv.FormatBool(true))
	}
	resp, err := c.get(ctx, op, "/api/v3/traces/"+norm, q)
	if err != nil {
		// api/v3 answers a missing trace with 404 "No traces found".
		if se, ok := sources.AsError(err); ok && se.Kind == sources.KindNotFound && isGatewayError(resp) {
			se.Msg = "trace " + norm + " not found"
		}
		return nil, err
	}
	td, err := DecodeTraces(resp.Body)
	if err != nil {
		return nil, decodeErr(op, resp, err)
	}
	if td.SpanCount() == 0 {
		return nil, &sources.Error{Source: SourceName, Op: op, Kind: sources.KindNotFound,
			Msg: "trace " + norm + " not found", Body: sources.Truncate(string(resp.Body), sources.MaxErrorBody)}
	}
	return &Trace{ID: norm, Traces: td}, nil
}

// isGatewayError tells Jaeger's own 404 (an api/v3 error envelope) from a
// router's or a proxy's, which keeps the server's words.
func isGatewayError(resp *sources.Response) bool {
	return resp != nil && errorMessage(resp.Body) != ""
}

// decodeErr reports a body that did not decode: a gateway error inside a
// 200 stream keeps its own kind and message.
func decodeErr(op string, resp *sources.Response, err error) *sources.Error {
	if ge, ok := err.(*GatewayError); ok {
		kind := sources.KindForStatus(ge.HTTPCode)
		if ge.HTTPCode == 0 || ge.HTTPCode < 400 {
			kind = sources.KindServer
		}
		return &sources.Error{Source: SourceName, Op: op, Kind: kind, Status: resp.Status,
			Msg: sources.OneLine(ge.Message, 300), Body: sources.Truncate(string(resp.Body), sources.MaxErrorBody), Err: err}
	}
	return sources.DecodeError(SourceName, op, resp.Status, resp.Body, err)
}
