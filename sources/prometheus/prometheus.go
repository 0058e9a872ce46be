// Package prometheus is Triage's client for the Prometheus HTTP API: PromQL
// queries, series and label lookups, exemplars with their trace ids, alerts
// and rules, with every failure reported as a *sources.Error.
package prometheus

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/triagectl/triage/sources"
)

// Client talks to one Prometheus-compatible server. It is safe for
// concurrent use.
type Client struct {
	hc  *sources.Client
	api v1.API
}

var (
	_ API            = (*Client)(nil)
	_ sources.Prober = (*Client)(nil)
	_ api.Client     = transport{}
)

// New builds a client from the source's config.
func New(cfg sources.Config) (*Client, error) {
	hc, err := sources.NewClient(sourceName, cfg)
	if err != nil {
		return nil, err
	}
	return &Client{hc: hc, api: v1.NewAPI(transport{hc: hc})}, nil
}

// HTTP returns the shared client underneath, e.g. to set OnExchange.
func (c *Client) HTTP() *sources.Client { return c.hc }

// Name is the source's name.
func (c *Client) Name() string { return sourceName }

// URL is the configured base URL.
func (c *Client) URL() string { return c.hc.BaseURL().String() }

// Result is a query's value with the non-fatal notes Prometheus attached
// to it: warnings (e.g. a partial answer) and infos.
type Result struct {
	Value    model.Value
	Warnings []string
	Infos    []string
}

// Vector returns the value as an instant vector, or nil if it is not one.
func (r Result) Vector() model.Vector {
	v, _ := r.Value.(model.Vector)
	return v
}

// Matrix returns the value as a range matrix, or nil if it is not one.
func (r Result) Matrix() model.Matrix {
	m, _ := r.Value.(model.Matrix)
	return m
}

// Query evaluates an instant query at ts (the server's now when ts is zero).
func (c *Client) Query(ctx context.Context, q string, ts time.Time) (Result, error) {
	ctx, ex := track(ctx, "query")
	v, warns, infos, err := c.api.Query(ctx, q, ts)
	return queryResult(ctx, ex, v, warns, infos, err)
}

// QueryRange evaluates a range query.
func (c *Client) QueryRange(ctx context.Context, q string, r v1.Range) (Result, error) {
	ctx, ex := track(ctx, "query_range")
	v, warns, infos, err := c.api.QueryRange(ctx, q, r)
	return queryResult(ctx, ex, v, warns, infos, err)
}

func queryResult(ctx context.Context, ex *exchange, v model.Value, warns v1.Warnings, infos v1.Infos, err error) (Result, error) {
	if err != nil {
		return Result{}, mapError(ctx, ex, err)
	}
	if v == nil {
		if err := checkEnvelope(ex); err != nil {
			return Result{}, err
		}
		return Result{}, sources.DecodeError(sourceName, ex.op, ex.status, ex.body, errors.New(`the envelope has no "data"`))
	}
	return Result{Value: v, Warnings: warns, Infos: infos}, nil
}

// Series lists the series matching any of the selectors in [start, end].
func (c *Client) Series(ctx context.Context, matchers []string, start, end time.Time) ([]model.LabelSet, error) {
	ctx, ex := track(ctx, "series")
	s, _, _, err := c.api.Series(ctx, matchers, start, end)
	return s, emptyOK(ctx, ex, s == nil, err)
}

// LabelNames lists label names, optionally only those of matching series.
func (c *Client) LabelNames(ctx context.Context, matchers []string, start, end time.Time) ([]string, error) {
	ctx, ex := track(ctx, "labels")
	names, _, _, err := c.api.LabelNames(ctx, matchers, start, end)
	if err := emptyOK(ctx, ex, names == nil, err); err != nil {
		return nil, err
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = string(n)
	}
	return out, nil
}

// LabelValues lists the values of one label, optionally only on matching
// series.
func (c *Client) LabelValues(ctx context.Context, label string, matchers []string, start, end time.Time) ([]string, error) {
	ctx, ex := track(ctx, "label_values")
	vals, _, _, err := c.api.LabelValues(ctx, label, matchers, start, end)
	if err := emptyOK(ctx, ex, vals == nil, err); err != nil {
		return nil, err
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = string(v)
	}
	return out, nil
}

// Alerts lists the alerts the server's rules currently hold.
func (c *Client) Alerts(ctx context.Context) ([]v1.Alert, error) {
	ctx, ex := track(ctx, "alerts")
	res, err := c.api.Alerts(ctx)
	return res.Alerts, emptyOK(ctx, ex, res.Alerts == nil, err)
}

// Rules lists the loaded rule groups.
func (c *Client) Rules(ctx context.Context) ([]v1.RuleGroup, error) {
	ctx, ex := track(ctx, "rules")
	res, err := c.api.Rules(ctx, nil)
	return res.Groups, emptyOK(ctx, ex, res.Groups == nil, err)
}

// BuildInfo reports the server's version. Builds made without release
// flags report an empty version; that is passed on, not invented.
func (c *Client) BuildInfo(ctx context.Context) (sources.BuildInfo, error) {
	ctx, ex := track(ctx, "buildinfo")
	res, err := c.api.Buildinfo(ctx)
	if err := emptyOK(ctx, ex, res == (v1.BuildinfoResult{}), err); err != nil {
		return sources.BuildInfo{}, err
	}
	return sources.BuildInfo{Version: res.Version, Revision: res.Revision, Branch: res.Branch, GoVersion: res.GoVersion}, nil
}

// Ready asks /-/ready, which answers 503 while the server replays its WAL.
func (c *Client) Ready(ctx context.Context) error {
	_, err := c.hc.Do(ctx, sources.Request{Op: "ready", Method: http.MethodGet, Path: "/-/ready"})
	return err
}

// AuthCheck lists label names over the last minute: cheap, yet authorised
// like a query by any proxy in front of Prometheus.
func (c *Client) AuthCheck(ctx context.Context) error {
	now := time.Now()
	_, err := c.LabelNames(ctx, nil, now.Add(-time.Minute), now)
	return err
}

// emptyOK maps err, and when the call decoded to nothing makes sure the
// body really was a success envelope.
func emptyOK(ctx context.Context, ex *exchange, empty bool, err error) error {
	if err != nil {
		return mapError(ctx, ex, err)
	}
	if empty {
		return checkEnvelope(ex)
	}
	return nil
}
