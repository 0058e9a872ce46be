// Package alertmanager is Triage's Alertmanager source: it parses the
// webhooks that start investigations (Alertmanager's and Grafana's), and
// talks to Alertmanager's API v2 to list alerts and to silence them.
package alertmanager

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/triagectl/triage/sources"
)

// SourceName names this source in errors and reports.
const SourceName = "alertmanager"

// Client talks to Alertmanager's API v2. It is safe for concurrent use.
type Client struct {
	http *sources.Client
}

var (
	_ sources.Prober = (*Client)(nil)
	_ API            = (*Client)(nil)
)

// New builds a client for the Alertmanager at cfg.URL.
func New(cfg sources.Config) (*Client, error) {
	hc, err := sources.NewClient(SourceName, cfg)
	if err != nil {
		return nil, err
	}
	return &Client{http: hc}, nil
}

// HTTP returns the underlying shared client, for recording exchanges.
func (c *Client) HTTP() *sources.Client { return c.http }

// Name is the source name, "alertmanager".
func (c *Client) Name() string { return SourceName }

// URL is the base URL the client talks to.
func (c *Client) URL() string { return c.http.BaseURL().String() }

// Status is Alertmanager's answer to /api/v2/status.
type Status struct {
	Cluster     ClusterStatus `json:"cluster"`
	VersionInfo VersionInfo   `json:"versionInfo"`
	Config      struct {
		Original string `json:"original"`
	} `json:"config"`
	Uptime time.Time `json:"uptime"` // when the process started
}

// ClusterStatus is the gossip cluster as this instance sees it.
type ClusterStatus struct {
	Name   string `json:"name,omitempty"`
	Status string `json:"status"` // ready | settling | disabled
	Peers  []Peer `json:"peers"`
}

// Peer is one member of the cluster.
type Peer struct {
	Name    string `json:"name"`
	Address string `json:"address"`
}

// VersionInfo is the build of the Alertmanager binary.
type VersionInfo struct {
	Version   string `json:"version"`
	Revision  string `json:"revision"`
	Branch    string `json:"branch"`
	BuildUser string `json:"buildUser"`
	BuildDate string `json:"buildDate"`
	GoVersion string `json:"goVersion"`
}

// Status returns the instance's version, uptime, cluster state and config.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	var st Status
	if err := c.call(ctx, "status", http.MethodGet, "/api/v2/status", nil, nil, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// BuildInfo reports the Alertmanager version from its status.
func (c *Client) BuildInfo(ctx context.Context) (sources.BuildInfo, error) {
	var st Status
	if err := c.call(ctx, "buildinfo", http.MethodGet, "/api/v2/status", nil, nil, &st); err != nil {
		return sources.BuildInfo{}, err
	}
	v := st.VersionInfo
	if v.Version == "" {
		return sources.BuildInfo{}, &sources.Error{Source: SourceName, Op: "buildinfo", Kind: sources.KindDecode,
			Status: http.StatusOK, Msg: "status has no versionInfo.version"}
	}
	return sources.BuildInfo{Version: v.Version, Revision: v.Revision, Branch: v.Branch, GoVersion: v.GoVersion}, nil
}

// Ready checks /-/ready, which answers 200 once the configuration is loaded.
func (c *Client) Ready(ctx context.Context) error {
	_, err := c.do(ctx, sources.Request{Op: "ready", Path: "/-/ready"})
	return err
}

// authCheckFilter matches no real alert, so the check stays cheap while
// going through the same authorisation as a real listing.
const authCheckFilter = `alertname="__triage_auth_check__"`

// AuthCheck lists alerts with a filter that matches none: a proxy in front
// of Alertmanager authorises it like any API call.
func (c *Client) AuthCheck(ctx context.Context) error {
	var out []json.RawMessage
	q := url.Values{"filter": {authCheckFilter}}
	return c.call(ctx, "auth_check", http.MethodGet, "/api/v2/alerts", q, nil, &out)
}

// call sends body as JSON (when non-nil) and decodes a JSON answer into out
// (when non-nil).
func (c *Client) call(ctx context.Context, op, method, path string, q url.Values, body, out any) error {
	req := sources.Request{Op: op, Method: method, Path: path, Query: q,
		Header: http.Header{"Accept": {"application/json"}}}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return &sources.Error{Source: SourceName, Op: op, Kind: sources.KindBadRequest,
				Msg: "cannot encode request: " + err.Error(), Err: err}
		}
		req.Body, req.ContentType = b, "application/json"
	}
	resp, err := c.do(ctx, req)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return sources.DecodeError(SourceName, op, resp.Status, resp.Body, err)
	}
	return nil
}

// do runs one request and rewrites the error message where Alertmanager's
// conventions differ from the shared defaults.
func (c *Client) do(ctx context.Context, req sources.Request) (*sources.Response, error) {
	resp, err := c.http.Do(ctx, req)
	if err != nil {
		refineError(err)
		return nil, err
	}
	return resp, nil
}

// refineError unquotes API v2 errors, which are bare JSON strings
// ("bad matcher format: x"), and gives not-found its own kind where older
// releases answer 500 "silence not found".
func refineError(err error) {
	se, ok := sources.AsError(err)
	if !ok || se.Status == 0 {
		return
	}
	body := bytes.TrimSpace([]byte(se.Body))
	if len(body) > 0 && body[0] == '"' {
		var msg string
		if json.Unmarshal(body, &msg) == nil && strings.TrimSpace(msg) != "" {
			se.Msg = sources.OneLine(msg, 300)
		}
	}
	if se.Status == http.StatusInternalServerError && strings.Contains(se.Msg, "not found") {
		se.Kind = sources.KindNotFound
	}
}
