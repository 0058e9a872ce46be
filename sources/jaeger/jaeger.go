// Package jaeger is Triage's client for Jaeger v2's query service: trace by
// id and search over api/v3, whose OTLP/JSON is decoded with pdata into the
// shapes the Tempo client returns; search by attributes over the UI API
// (/api/traces), which api/v3's HTTP gateway lacks; services, operations,
// the dependency graph, and the probes `triage check` runs. Every failure
// is a *sources.Error.
//
// Jaeger has no TraceQL. A search is a typed Query — service, operation,
// attributes, error, span duration bounds, time range, limit — whose
// conditions must all hold for one span. These TraceQL capabilities have
// no Jaeger equivalent, and an engine must degrade on them:
//   - structural operators (>>, >, <<, <, ~ and the & forms): no relation
//     between spans can be asked; the caller walks the traces it gets;
//   - span sets and select(): a search answers traces, not the matching
//     spans with chosen attributes;
//   - OR, negation, comparisons and regular expressions: attributes are
//     exact key=value pairs, all required;
//   - intrinsics other than service, span name, span duration and the
//     error flag (kind, status message, trace:rootService,
//     trace:duration…), and scoping an attribute to span or resource;
//   - TraceQL metrics (rate(), quantile_over_time() by …): Jaeger's metrics
//     API needs a separate metrics store (SPM) and is not used;
//   - ordering (most_recent) and spans-per-set limits: Jaeger returns up
//     to Limit traces in its storage's order.
//
// Errors are Jaeger's error=true tag, the OTLP status ERROR. Jaeger v2.12's
// in-memory store matches error=true against no span (it reads the tag as
// a boolean, and query tags are strings), so when error=true finds nothing
// the client searches without it and keeps the traces with a failed span,
// and the result says so (ErrorFilterClient).
package jaeger

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"

	"github.com/triagectl/triage/sources"
)

// SourceName names this source in errors and reports.
const SourceName = "jaeger"

// Options are the Jaeger-specific settings beyond sources.Config.
type Options struct {
	// BasePath is the query service's base_path (query.base-path), which
	// prefixes every route, the UI's included; often given in the URL
	// instead.
	BasePath string
	// DefaultLimit caps a search that sets no Limit: DefaultSearchLimit
	// when zero.
	DefaultLimit int
}

// DefaultSearchLimit is the search depth used when neither the query nor
// the options set one. The api/v3 gateway has no default of its own (an
// absent depth fails on the in-memory store), so the client always sends
// one; 20 matches Tempo's default.
const DefaultSearchLimit = 20

// Client talks to one Jaeger query service. It is safe for concurrent use.
type Client struct {
	hc   *sources.Client
	opts Options

	// Identical GETs in flight share one answer: an engine asks the same
	// deep search for two questions at once (a scope's failures, found by
	// the client when error=true finds none, and the failures below it).
	mu       sync.Mutex
	inflight map[string]*flight
}

// flight is one GET in flight, its answer for every caller that asked it.
type flight struct {
	done    chan struct{}
	resp    *sources.Response
	err     error
	waiters int // callers sharing it, under Client.mu
}

var _ sources.Prober = (*Client)(nil)

// New builds a client with the default options.
func New(cfg sources.Config) (*Client, error) {
	return NewWithOptions(cfg, Options{})
}

// NewWithOptions builds a client with Jaeger-specific options.
func NewWithOptions(cfg sources.Config, opts Options) (*Client, error) {
	hc, err := sources.NewClient(SourceName, cfg)
	if err != nil {
		return nil, err
	}
	opts.BasePath = strings.Trim(strings.TrimSpace(opts.BasePath), "/")
	if opts.DefaultLimit <= 0 {
		opts.DefaultLimit = DefaultSearchLimit
	}
	return &Client{hc: hc, opts: opts, inflight: map[string]*flight{}}, nil
}

// HTTP returns the underlying shared client, e.g. to set OnExchange for
// recording.
func (c *Client) HTTP() *sources.Client { return c.hc }

// Name is the source's name.
func (c *Client) Name() string { return SourceName }

// URL is the configured base URL.
func (c *Client) URL() string { return c.hc.BaseURL().String() }

func (c *Client) route(p string) string {
	if c.opts.BasePath == "" {
		return p
	}
	return path.Join("/", c.opts.BasePath, p)
}

// get performs a GET, sharing the answer of an identical one in flight,
// and rewrites the error message from Jaeger's two error envelopes.
func (c *Client) get(ctx context.Context, op, p string, q url.Values) (*sources.Response, error) {
	key := c.route(p) + "?" + q.Encode()
	c.mu.Lock()
	if f, ok := c.inflight[key]; ok {
		f.waiters++
		c.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, &sources.Error{Source: SourceName, Op: op, Kind: sources.KindTimeout, Msg: ctx.Err().Error(), Err: ctx.Err()}
		}
		// The first caller's deadline is not this one's: ask again.
		if f.err == nil || (ctx.Err() == nil && sources.KindOf(f.err) != sources.KindTimeout) {
			return f.resp, copyErr(f.err)
		}
		return c.getOnce(ctx, op, p, q)
	}
	f := &flight{done: make(chan struct{})}
	c.inflight[key] = f
	c.mu.Unlock()
	f.resp, f.err = c.getOnce(ctx, op, p, q)
	c.mu.Lock()
	delete(c.inflight, key)
	c.mu.Unlock()
	close(f.done)
	return f.resp, copyErr(f.err)
}

// copyErr gives each caller its own error, which it may rewrite.
func copyErr(err error) error {
	if se, ok := sources.AsError(err); ok {
		cp := *se
		return &cp
	}
	return err
}

func (c *Client) getOnce(ctx context.Context, op, p string, q url.Values) (*sources.Response, error) {
	h := http.Header{}
	h.Set("Accept", "application/json")
	resp, err := c.hc.Do(ctx, sources.Request{Op: op, Path: c.route(p), Query: q, Header: h})
	if err != nil {
		if se, ok := sources.AsError(err); ok && resp != nil {
			if msg := errorMessage(resp.Body); msg != "" {
				se.Msg = msg
			}
		}
		return resp, err
	}
	return resp, nil
}

// errorMessage reads Jaeger's error bodies: api/v3's
// {"error":{"httpCode":404,"message":"No traces found"}} and the UI API's
// {"data":null,…,"errors":[{"code":400,"msg":"…"}]}. Both come with a
// text/plain content type (they are written with http.Error).
func errorMessage(body []byte) string {
	b := bytes.TrimSpace(body)
	if len(b) == 0 || b[0] != '{' {
		return ""
	}
	var env struct {
		Error *struct {
			Message string `json:"message"`
		} `json:"error"`
		Errors []struct {
			Msg string `json:"msg"`
		} `json:"errors"`
	}
	if json.Unmarshal(b, &env) != nil {
		return ""
	}
	switch {
	case env.Error != nil && env.Error.Message != "":
		return sources.OneLine(env.Error.Message, 300)
	case len(env.Errors) > 0 && env.Errors[0].Msg != "":
		msg := env.Errors[0].Msg
		if len(env.Errors) > 1 {
			msg += " (and more)"
		}
		return sources.OneLine(msg, 300)
	}
	return ""
}

func badRequest(op, msg string) *sources.Error {
	return &sources.Error{Source: SourceName, Op: op, Kind: sources.KindBadRequest, Msg: msg}
}
