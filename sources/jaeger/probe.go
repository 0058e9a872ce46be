package jaeger

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"

	"github.com/triagectl/triage/sources"
)

// Ready lists services over api/v3: the query service has no readiness
// endpoint of its own (the collector's health check listens on another
// port, rarely exposed), and an answer here proves the storage answers
// too.
func (c *Client) Ready(ctx context.Context) error {
	_, err := c.Services(ctx)
	if se, ok := sources.AsError(err); ok {
		se.Op = "ready"
	}
	return err
}

// versionRE finds the build the query service writes into its UI page:
// JAEGER_VERSION = {"gitCommit":"…","gitVersion":"v2.12.0","buildDate":"…"};
var versionRE = regexp.MustCompile(`JAEGER_VERSION\s*=\s*(\{[^}]*\})`)

// BuildInfo reads the version from the UI page at the base path, the only
// place the query service states it. A build without version stamping
// reports "unknown".
func (c *Client) BuildInfo(ctx context.Context) (sources.BuildInfo, error) {
	const op = "buildinfo"
	resp, err := c.hc.Do(ctx, sources.Request{Op: op, Path: c.route("/"), Header: http.Header{"Accept": {"text/html"}}})
	if err != nil {
		return sources.BuildInfo{}, err
	}
	bi, ok := DecodeBuildInfo(resp.Body)
	if !ok {
		e := sources.DecodeError(SourceName, op, resp.Status, resp.Body, nil)
		// DecodeError names an HTML page by its title: keep that.
		title := strings.TrimPrefix(e.Msg, "expected JSON, got an HTML page")
		if title == e.Msg {
			title = ""
		}
		e.Msg = "no JAEGER_VERSION in the page at the base URL" + title + ": is this Jaeger's query service?"
		return sources.BuildInfo{}, e
	}
	return bi, nil
}

// DecodeBuildInfo reads JAEGER_VERSION from the UI page.
func DecodeBuildInfo(page []byte) (sources.BuildInfo, bool) {
	m := versionRE.FindSubmatch(page)
	if m == nil {
		return sources.BuildInfo{}, false
	}
	var v struct {
		GitCommit  string `json:"gitCommit"`
		GitVersion string `json:"gitVersion"`
		BuildDate  string `json:"buildDate"`
	}
	if json.Unmarshal(m[1], &v) != nil {
		return sources.BuildInfo{}, false
	}
	bi := sources.BuildInfo{Version: strings.TrimSpace(v.GitVersion), Revision: strings.TrimSpace(v.GitCommit)}
	if bi.Version == "" {
		bi.Version = "unknown"
	}
	return bi, true
}

// AuthCheck lists services over the UI API, which search by attributes and
// the dependency graph use: a proxy that lets api/v3 through but not
// /api/ shows up here.
func (c *Client) AuthCheck(ctx context.Context) error {
	const op = "auth_check"
	resp, err := c.get(ctx, op, "/api/services", nil)
	if err != nil {
		return err
	}
	var w struct {
		Data []string `json:"data"`
	}
	if err := json.Unmarshal(resp.Body, &w); err != nil {
		return sources.DecodeError(SourceName, op, resp.Status, resp.Body, err)
	}
	return nil
}
