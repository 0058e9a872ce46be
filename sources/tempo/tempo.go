// Package tempo is Triage's client for Grafana Tempo: TraceQL search, trace
// by id (protobuf first, Tempo's JSON as fallback), tags, TraceQL metrics and
// the probes `triage check` runs. Every failure is a *sources.Error.
package tempo

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/triagectl/triage/sources"
)

// SourceName names this source in errors and reports.
const SourceName = "tempo"

// DefaultMaxSearchRange is Tempo's default limit on a search's time range
// (query_frontend.search.max_duration).
const DefaultMaxSearchRange = 168 * time.Hour

// TraceFormat chooses how traces are fetched by id.
type TraceFormat int

const (
	// TraceDefault is the client's choice: Options.TraceFormat, which is
	// itself protobuf unless set.
	TraceDefault TraceFormat = iota
	// TraceProtobuf asks /api/traces/<id> for protobuf, the fast path; a
	// server that answers JSON anyway is still understood.
	TraceProtobuf
	// TraceJSON asks /api/v2/traces/<id> for JSON, which also reports
	// partial traces.
	TraceJSON
)

func (f TraceFormat) String() string {
	switch f {
	case TraceProtobuf:
		return "protobuf"
	case TraceJSON:
		return "json"
	}
	return "default"
}

// Options are the Tempo-specific settings beyond sources.Config.
type Options struct {
	// APIPrefix is Tempo's http_api_prefix. It prefixes the /api/ paths
	// only: Tempo serves /ready at the root whatever the prefix.
	APIPrefix string
	// TraceFormat is the default for Trace: protobuf when unset.
	TraceFormat TraceFormat
	// MaxSearchRange bounds a search's time range client-side, so that an
	// over-long range fails with a clear message before any request;
	// DefaultMaxSearchRange when zero.
	MaxSearchRange time.Duration
}

// Client talks to one Tempo. It is safe for concurrent use.
type Client struct {
	hc   *sources.Client
	opts Options
}

var _ sources.Prober = (*Client)(nil)

// New builds a client with the default options.
func New(cfg sources.Config) (*Client, error) {
	return NewWithOptions(cfg, Options{})
}

// NewWithOptions builds a client with Tempo-specific options.
func NewWithOptions(cfg sources.Config, opts Options) (*Client, error) {
	hc, err := sources.NewClient(SourceName, cfg)
	if err != nil {
		return nil, err
	}
	opts.APIPrefix = strings.Trim(strings.TrimSpace(opts.APIPrefix), "/")
	if opts.TraceFormat != TraceJSON {
		opts.TraceFormat = TraceProtobuf
	}
	if opts.MaxSearchRange <= 0 {
		opts.MaxSearchRange = DefaultMaxSearchRange
	}
	return &Client{hc: hc, opts: opts}, nil
}

// HTTP returns the underlying shared client, e.g. to set OnExchange for
// recording.
func (c *Client) HTTP() *sources.Client { return c.hc }

// Name is the source's name.
func (c *Client) Name() string { return SourceName }

// URL is the configured base URL.
func (c *Client) URL() string { return c.hc.BaseURL().String() }

// apiPath puts the http_api_prefix in front of an /api/ path.
func (c *Client) apiPath(p string) string {
	if c.opts.APIPrefix == "" {
		return p
	}
	return path.Join("/", c.opts.APIPrefix, p)
}

// get performs a GET on an /api/ path and refines the error kinds that
// Tempo gives its own meaning.
func (c *Client) get(ctx context.Context, op, p string, q url.Values, accept string) (*sources.Response, error) {
	h := http.Header{}
	h.Set("Accept", accept)
	resp, err := c.hc.Do(ctx, sources.Request{Op: op, Path: c.apiPath(p), Query: q, Header: h})
	if err != nil {
		return resp, refine(err)
	}
	return resp, nil
}

// refine maps Tempo's 422 (trace exceeds max size) to too_large.
func refine(err error) error {
	if se, ok := sources.AsError(err); ok && se.Status == http.StatusUnprocessableEntity {
		se.Kind = sources.KindTooLarge
		if se.Msg == "" || se.Msg == strings.ToLower(http.StatusText(se.Status)) {
			se.Msg = "trace exceeds max size"
		}
	}
	return err
}

// decodeJSON decodes a 2xx JSON body into v, reporting a decode error that
// keeps the body.
func (c *Client) decodeJSON(op string, resp *sources.Response, v any) error {
	if err := json.Unmarshal(resp.Body, v); err != nil {
		return sources.DecodeError(SourceName, op, resp.Status, resp.Body, err)
	}
	return nil
}

func badRequest(op, msg string) *sources.Error {
	return &sources.Error{Source: SourceName, Op: op, Kind: sources.KindBadRequest, Msg: msg}
}

// timeRange adds start and end as Unix seconds; both or neither. The end is
// rounded up so that the range still covers it.
func timeRange(op string, q url.Values, start, end time.Time) error {
	if start.IsZero() && end.IsZero() {
		return nil
	}
	if start.IsZero() || end.IsZero() {
		return badRequest(op, "start and end must be given together")
	}
	if end.Before(start) {
		return badRequest(op, "end "+end.UTC().Format(time.RFC3339)+" is before start "+start.UTC().Format(time.RFC3339))
	}
	e := end.Unix()
	if end.Nanosecond() != 0 {
		e++
	}
	q.Set("start", strconv.FormatInt(start.Unix(), 10))
	q.Set("end", strconv.FormatInt(e, 10))
	return nil
}
