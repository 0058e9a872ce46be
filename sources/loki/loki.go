// Package loki is Triage's client for Grafana Loki's HTTP API: log and metric
// queries with structured metadata kept apart from stream labels, label and
// series discovery, volumes, patterns, and the probes `triage check` runs.
package loki

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/triagectl/triage/sources"
)

// SourceName is the name the client reports in errors and probes.
const SourceName = "loki"

// Paths of the Loki HTTP API, relative to the configured base URL so that a
// path prefix in the URL (a gateway's /loki) is kept.
const (
	pathQueryRange  = "/loki/api/v1/query_range"
	pathQuery       = "/loki/api/v1/query"
	pathLabels      = "/loki/api/v1/labels"
	pathLabelValues = "/loki/api/v1/label/%s/values"
	pathSeries      = "/loki/api/v1/series"
	pathVolume      = "/loki/api/v1/index/volume"
	pathVolumeRange = "/loki/api/v1/index/volume_range"
	pathPatterns    = "/loki/api/v1/patterns"
	pathPush        = "/loki/api/v1/push"
	pathBuildInfo   = "/loki/api/v1/status/buildinfo"
	pathReady       = "/ready"
)

// EncodingFlagsHeader asks Loki to keep structured metadata and parsed labels
// out of the stream labels. Without it every distinct trace_id would split a
// stream in two and the indexed labels could not be told apart.
const (
	EncodingFlagsHeader  = "X-Loki-Response-Encoding-Flags"
	FlagCategorizeLabels = "categorize-labels"
)

// Client talks to one Loki. It is safe for concurrent use.
type Client struct {
	http *sources.Client
}

var _ sources.Prober = (*Client)(nil)

// New builds a client from the source's config.
func New(cfg sources.Config) (*Client, error) {
	hc, err := sources.NewClient(SourceName, cfg)
	if err != nil {
		return nil, err
	}
	return &Client{http: hc}, nil
}

// HTTP returns the underlying shared client, so that callers can record
// exchanges through its OnExchange hook.
func (c *Client) HTTP() *sources.Client { return c.http }

// Name is the source name, "loki".
func (c *Client) Name() string { return c.http.Name }

// URL is the configured base URL.
func (c *Client) URL() string { return c.http.BaseURL().String() }

// Ready asks /ready, which answers 200 "ready" once the ring is joined.
func (c *Client) Ready(ctx context.Context) error {
	resp, err := c.do(ctx, sources.Request{Op: "ready", Path: pathReady})
	if err != nil {
		return err
	}
	body := strings.TrimSpace(string(resp.Body))
	if !strings.EqualFold(body, "ready") {
		return sources.DecodeError(c.Name(), "ready", resp.Status, resp.Body,
			fmt.Errorf("want body %q, got %q", "ready", sources.OneLine(body, 80)))
	}
	return nil
}

// BuildInfo reads /loki/api/v1/status/buildinfo, a bare JSON object.
func (c *Client) BuildInfo(ctx context.Context) (sources.BuildInfo, error) {
	const op = "buildinfo"
	resp, err := c.do(ctx, sources.Request{Op: op, Path: pathBuildInfo})
	if err != nil {
		return sources.BuildInfo{}, err
	}
	// Builds without release ldflags answer with every field empty, so an
	// empty version is not an error.
	var bi sources.BuildInfo
	if err := json.Unmarshal(resp.Body, &bi); err != nil {
		return sources.BuildInfo{}, sources.DecodeError(c.Name(), op, resp.Status, resp.Body, err)
	}
	return bi, nil
}

// AuthCheck lists label names over the last five minutes: it is cheap and
// goes through the same tenant and auth checks as a query.
func (c *Client) AuthCheck(ctx context.Context) error {
	now := time.Now()
	_, err := c.Labels(ctx, now.Add(-5*time.Minute), now)
	return err
}

// do runs one request and refines the shared client's error with what Loki
// means by its statuses.
func (c *Client) do(ctx context.Context, r sources.Request) (*sources.Response, error) {
	resp, err := c.http.Do(ctx, r)
	if err != nil {
		return nil, refine(err)
	}
	return resp, nil
}

// refine adjusts the Kind where Loki's status misleads: a missing tenant is
// answered with 400 "no org id", which is a credentials problem.
func refine(err error) error {
	se, ok := sources.AsError(err)
	if !ok {
		return err
	}
	if se.Status == http.StatusBadRequest && strings.Contains(strings.ToLower(se.Body), "no org id") {
		se.Kind = sources.KindAuth
	}
	return se
}

// envelope is Loki's answer around every non-query result.
type envelope[T any] struct {
	Status    string   `json:"status"`
	Data      T        `json:"data"`
	ErrorType string   `json:"errorType"`
	Error     string   `json:"error"`
	Warnings  []string `json:"warnings"`
}

// getJSON runs a GET and decodes the enveloped answer into T.
func getJSON[T any](ctx context.Context, c *Client, op, path string, q url.Values) (T, error) {
	var zero T
	resp, err := c.do(ctx, sources.Request{Op: op, Path: path, Query: q})
	if err != nil {
		return zero, err
	}
	var env envelope[T]
	if err := json.Unmarshal(resp.Body, &env); err != nil {
		return zero, sources.DecodeError(c.Name(), op, resp.Status, resp.Body, err)
	}
	if err := c.checkStatus(op, resp, env.Status, env.ErrorType, env.Error); err != nil {
		return zero, err
	}
	return env.Data, nil
}

// checkStatus turns an envelope whose status is not "success" into an error
// carrying the server's own message.
func (c *Client) checkStatus(op string, resp *sources.Response, status, errType, msg string) error {
	switch status {
	case "success":
		return nil
	case "":
		return sources.DecodeError(c.Name(), op, resp.Status, resp.Body, fmt.Errorf("response has no status"))
	}
	kind := sources.KindServer
	switch errType {
	case "bad_data", "execution":
		kind = sources.KindBadRequest
	case "timeout", "canceled":
		kind = sources.KindTimeout
	}
	if msg == "" {
		msg = "status " + strconv.Quote(status)
	}
	return &sources.Error{Source: c.Name(), Op: op, Kind: kind, Status: resp.Status,
		Msg: sources.OneLine(msg, 300), Body: sources.Truncate(string(resp.Body), sources.MaxErrorBody)}
}

// invalid reports a request the client refuses to send.
func (c *Client) invalid(op, format string, args ...any) error {
	return &sources.Error{Source: c.Name(), Op: op, Kind: sources.KindBadRequest, Msg: fmt.Sprintf(format, args...)}
}

// rangeParams sets start and end as nanosecond epochs, which Loki reads
// without the seconds-or-nanoseconds guess it applies to short numbers.
func rangeParams(q url.Values, start, end time.Time) {
	if !start.IsZero() {
		q.Set("start", strconv.FormatInt(start.UnixNano(), 10))
	}
	if !end.IsZero() {
		q.Set("end", strconv.FormatInt(end.UnixNano(), 10))
	}
}

// formatStep renders a duration as float seconds, which every Loki version
// accepts for step.
func formatStep(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}

func checkRange(start, end time.Time) error {
	if !start.IsZero() && !end.IsZero() && end.Before(start) {
		return fmt.Errorf("end %s is before start %s", end.Format(time.RFC3339), start.Format(time.RFC3339))
	}
	return nil
}
