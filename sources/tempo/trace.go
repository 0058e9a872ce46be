package tempo

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/triagectl/triage/sources"
)

// Trace is one trace fetched by id.
type Trace struct {
	ID     string // 32 hex digits
	Traces ptrace.Traces
	// Partial is set when Tempo returned only part of the trace (it was
	// over the size limit, or pruned); Message says why.
	Partial bool
	Message string
	// Format is the encoding that was decoded.
	Format TraceFormat
}

// SpanCount is the number of spans in the trace.
func (t *Trace) SpanCount() int { return t.Traces.SpanCount() }

// TraceOptions adjust one Trace call.
type TraceOptions struct {
	// Format overrides the client's TraceFormat when set.
	Format TraceFormat
	// Start and End, when both set, limit the blocks Tempo searches for
	// the trace, which is much cheaper on a large store.
	Start, End time.Time
}

// Trace fetches a trace by id in the client's default format. The id may be
// upper case or lack leading zeros; a malformed id fails before any request.
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
	if err := timeRange(op, q, o.Start, o.End); err != nil {
		return nil, err
	}
	format := o.Format
	if format == TraceDefault {
		format = c.opts.TraceFormat
	}
	var resp *sources.Response
	if format == TraceJSON {
		resp, err = c.get(ctx, op, "/api/v2/traces/"+norm, q, "application/json")
		// Tempo before the v2 API answers its router's 404 page; v2 itself
		// reports a missing trace as 200 with an empty trace.
		if sources.KindOf(err) == sources.KindNotFound && resp != nil && len(bytes.TrimSpace(resp.Body)) > 0 {
			resp, err = c.get(ctx, op, "/api/traces/"+norm, q, "application/json")
		}
	} else {
		resp, err = c.get(ctx, op, "/api/traces/"+norm, q, "application/protobuf")
	}
	if err != nil {
		return nil, notFound(norm, resp, err)
	}
	var t *Trace
	if isJSONBody(resp.Header.Get("Content-Type"), resp.Body) {
		t, err = DecodeTraceJSON(resp.Body)
	} else {
		t, err = DecodeTraceProto(resp.Body)
	}
	if err != nil {
		return nil, sources.DecodeError(SourceName, op, resp.Status, resp.Body, err)
	}
	t.ID = norm
	if t.SpanCount() == 0 {
		return nil, &sources.Error{Source: SourceName, Op: op, Kind: sources.KindNotFound,
			Msg: "trace " + norm + " not found", Body: sources.Truncate(string(resp.Body), sources.MaxErrorBody)}
	}
	return t, nil
}

// notFound rewrites Tempo's bare 404 (an empty body) into a message that
// names the trace. A 404 with a body is a router's answer — a wrong URL or
// http_api_prefix — and keeps the server's words.
func notFound(id string, resp *sources.Response, err error) error {
	se, ok := sources.AsError(err)
	if !ok || se.Status != http.StatusNotFound || resp == nil || len(bytes.TrimSpace(resp.Body)) > 0 {
		return err
	}
	se.Msg = "trace " + id + " not found"
	return se
}

// isJSONBody decides between the decoders: by content type when it is
// telling, else by the body's first byte ('{' starts no valid trace
// protobuf: it would be field 15 as a start-group).
func isJSONBody(contentType string, body []byte) bool {
	ct := strings.ToLower(contentType)
	switch {
	case strings.Contains(ct, "json"):
		return true
	case strings.Contains(ct, "protobuf"), strings.Contains(ct, "octet-stream"):
		return false
	}
	b := bytes.TrimLeft(body, " \t\r\n")
	return len(b) > 0 && (b[0] == '{' || b[0] == '<')
}

// DecodeTraceProto decodes the protobuf body of /api/traces/<id>: Tempo's
// Trace message, whose field 1 is repeated ResourceSpans just like OTLP
// TracesData.
func DecodeTraceProto(body []byte) (*Trace, error) {
	td, err := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(body)
	if err != nil {
		return nil, err
	}
	return &Trace{Traces: td, Format: TraceProtobuf}, nil
}

// DecodeTraceJSON decodes Tempo's JSON trace bodies: v2
// {"trace":{"resourceSpans":[…]},"status":"PARTIAL","message":…} and v1
// {"batches":[…]}. Their ids are base64, which pdata's OTLP/JSON decoder
// rejects, so they are rewritten to hex first.
func DecodeTraceJSON(body []byte) (*Trace, error) {
	tj, err := extractTraceJSON(body)
	if err != nil {
		return nil, err
	}
	td := ptrace.NewTraces()
	if len(tj.otlp) > 0 {
		td, err = (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(tj.otlp)
		if err != nil {
			return nil, err
		}
	}
	return &Trace{Traces: td, Partial: tj.status == "PARTIAL", Message: tj.message, Format: TraceJSON}, nil
}
