package tempo

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/triagectl/triage/sources"
)

// Ready checks /ready, which Tempo serves at the root even with an
// http_api_prefix. Tempo answers 200 "ready", or 503 with the reason.
func (c *Client) Ready(ctx context.Context) error {
	const op = "ready"
	resp, err := c.hc.Do(ctx, sources.Request{Op: op, Path: "/ready", Header: http.Header{"Accept": {"text/plain"}}})
	if err != nil {
		return err
	}
	if !bytes.Equal(bytes.TrimSpace(resp.Body), []byte("ready")) {
		e := sources.DecodeError(SourceName, op, resp.Status, resp.Body, nil)
		if !strings.HasPrefix(e.Msg, "expected JSON") {
			e.Msg = `expected "ready", got ` + quoteBody(resp.Body)
		} else {
			e.Msg = strings.Replace(e.Msg, "expected JSON", `expected "ready"`, 1)
		}
		return e
	}
	return nil
}

func quoteBody(b []byte) string {
	s := sources.OneLine(string(b), 80)
	if s == "" {
		return "an empty body"
	}
	return `"` + s + `"`
}

// BuildInfo reads /api/status/buildinfo. Tempo builds without version
// stamping report an empty version; that becomes "unknown (<go version>)"
// so that the console never shows a blank.
func (c *Client) BuildInfo(ctx context.Context) (sources.BuildInfo, error) {
	const op = "buildinfo"
	resp, err := c.get(ctx, op, "/api/status/buildinfo", nil, "application/json")
	if err != nil {
		return sources.BuildInfo{}, err
	}
	var bi sources.BuildInfo
	if err := c.decodeJSON(op, resp, &bi); err != nil {
		return sources.BuildInfo{}, err
	}
	bi.Version = strings.TrimSpace(bi.Version)
	if bi.Version == "" {
		bi.Version = "unknown"
		if bi.GoVersion != "" {
			bi.Version += " (" + bi.GoVersion + ")"
		}
	}
	return bi, nil
}

// AuthCheck lists tags over the last five minutes: a cheap call that Tempo
// authorises per tenant like any query.
func (c *Client) AuthCheck(ctx context.Context) error {
	end := time.Now()
	_, err := c.Tags(ctx, "", end.Add(-5*time.Minute), end)
	return err
}
