package app

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/triagectl/triage/internal/config"
	"github.com/triagectl/triage/internal/demo"
	"github.com/triagectl/triage/mcpserver"
	"github.com/triagectl/triage/sources/adapter"
	"github.com/triagectl/triage/sources/bundle"
	"github.com/triagectl/triage/triage"
)

// mcpAuthor names the silences the MCP server creates.
const mcpAuthor = "triage mcp"

// MCPDeps are the MCP server's dependencies from the config: the live
// sources for drill-downs, investigations recorded into bundles, and
// Alertmanager for the incident list and silences when it is configured.
func MCPDeps(c config.Config, version string) (mcpserver.Deps, error) {
	srcs, err := EngineSources(c)
	if err != nil {
		return mcpserver.Deps{}, err
	}
	d := mcpserver.Deps{Sources: srcs, Options: EngineOptions(c), Version: version,
		AllowSilence: c.MCP.AllowSilence, MaxAnswerBytes: c.MCP.MaxAnswerBytes}
	rec := Recorder(c, version)
	d.Investigate = func(ctx context.Context, a triage.Alert) (*triage.Report, []byte, error) { return rec(ctx, a, nil) }
	am, err := Alertmanager(c)
	if err != nil {
		return mcpserver.Deps{}, err
	}
	if am != nil {
		alerts := adapter.Alerts{C: am, CreatedBy: mcpAuthor}
		d.Incidents, d.Alerts = mcpserver.AlertmanagerCatalog{Alerts: alerts}, alerts
	}
	return d, nil
}

// BundleMCPDeps serve a recorded incident offline: its report as recorded,
// its drill-downs replayed at once.
func BundleMCPDeps(c config.Config, b *bundle.Bundle, raw []byte, label, version string) (mcpserver.Deps, error) {
	rp, err := ReplaySources(b, bundle.ReplayOptions{})
	if err != nil {
		return mcpserver.Deps{}, err
	}
	d := mcpserver.Deps{Sources: rp.Sources, Options: rp.Options, RED: rp.RED, Version: version,
		Incidents:    mcpserver.BundleCatalog{Bundle: b, Raw: raw, Label: label},
		AllowSilence: c.MCP.AllowSilence, MaxAnswerBytes: c.MCP.MaxAnswerBytes}
	if rp.Alertmanager != nil {
		// Silencing a replayed alert fails as not recorded.
		d.Alerts = adapter.Alerts{C: rp.Alertmanager, CreatedBy: mcpAuthor}
	}
	return d, nil
}

// RunMCP serves the MCP server on stdin and stdout until the client
// disconnects: live from the config, or offline from the bundle at
// bundlePath or the demo. Nothing else may write to stdout: it is the
// protocol's channel.
func (a *App) RunMCP(ctx context.Context, bundlePath string, useDemo bool) error {
	var d mcpserver.Deps
	var err error
	if bundlePath != "" || useDemo {
		var raw []byte
		label := "the demo bundle"
		if useDemo {
			raw = demo.Bundle()
		} else if raw, err = os.ReadFile(bundlePath); err != nil {
			return err
		} else {
			label = "the bundle " + bundlePath
		}
		b, err := BundleLimits(a.Config).Parse(raw)
		if err != nil {
			if bundlePath != "" {
				return fmt.Errorf("%s: %w", bundlePath, err)
			}
			return err
		}
		d, err = BundleMCPDeps(a.Config, b, raw, label, a.Version)
		if err != nil {
			return err
		}
	} else if d, err = MCPDeps(a.Config, a.Version); err != nil {
		return err
	}
	d.Log = a.Log
	a.Log.Info("mcp serving on stdio", "bundle", bundlePath, "demo", useDemo)
	return mcpserver.New(d).RunStdio(ctx)
}

// mcpRequestTimeout bounds one MCP request on the daemon's listener,
// whose write timeout suits webhooks: a live investigation takes longer.
const mcpRequestTimeout = 5 * time.Minute

// daemonMCP is the daemon's MCP endpoint: the store's incidents, with
// their pre-warmed reports while fresh. The caller puts it behind the
// webhook's credentials.
func (a *App) daemonMCP(store mcpserver.Store) (http.Handler, error) {
	c := a.Config
	d, err := MCPDeps(c, a.Version)
	if err != nil {
		return nil, err
	}
	d.Log = a.Log
	// A firing incident is investigated again every refresh interval; a
	// report older than that, and a tick, is stale.
	d.Incidents = mcpserver.StoreCatalog{Store: store, Fresh: c.Serve.Refresh + time.Minute}
	h := mcpserver.New(d).HTTPHandler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(mcpRequestTimeout))
		h.ServeHTTP(w, r)
	}), nil
}
