package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/triagectl/triage/internal/config"
	"github.com/triagectl/triage/serve"
	"github.com/triagectl/triage/sources/adapter"
	"github.com/triagectl/triage/sshconsole"
	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
)

// shutdownGrace bounds the wait for in-flight webhooks at shutdown; they
// finish their durable write or Alertmanager retries them.
const shutdownGrace = 10 * time.Second

// daemon is `triage serve` once built: the service and its listeners.
type daemon struct {
	svc     *serve.Service
	webhook net.Listener
}

// Serve runs the daemon until ctx ends: the webhook listener (which also
// serves the MCP endpoint, /mcp), the pre-warm pool and the SSH console, under one group. Any of them ending
// early, with or without an error, stops the others and is an error: a
// daemon that quietly lost its webhook or its console is worse than one
// that exits.
//
// At shutdown the webhook listener stops taking requests and lets those in
// flight finish their durable write, then the pre-warms stop; the store
// closes last.
func (a *App) Serve(ctx context.Context) error {
	cfg := a.Config
	scfg, err := serve.ConfigFrom(cfg)
	if err != nil {
		return err
	}
	srcs, err := EngineSources(cfg)
	if err != nil {
		return err
	}
	recorder := func(ctx context.Context, al triage.Alert, limit func(triage.Sources) triage.Sources) (*triage.Report, []byte, error) {
		return Recorder(cfg, a.Version)(ctx, al, limit)
	}
	svc, err := serve.New(ctx, scfg, serve.Deps{Sources: srcs, Options: EngineOptions(cfg),
		RED: EngineRED(cfg), Recorder: recorder, Log: a.Log})
	if err != nil {
		return err
	}
	defer svc.Close()

	ln, err := net.Listen("tcp", cfg.Serve.WebhookListen)
	if err != nil {
		return fmt.Errorf("serve.webhook_listen: %w", err)
	}
	fmt.Fprintf(a.Stderr, "triage serve: webhook on http://%s/alerts, store %s\n", ln.Addr(), scfg.StorePath)
	fmt.Fprintf(a.Stderr, "triage serve: MCP on http://%s/mcp (streamable HTTP, the webhook's credentials)\n", ln.Addr())
	if scfg.Token == "" && scfg.BasicUser == "" {
		fmt.Fprintln(a.Stderr, "triage serve: the webhook takes unauthenticated requests; set serve.webhook_token_file")
	}
	a.Log.Info("serve starting", "listen", ln.Addr().String(), "store", scfg.StorePath)
	d := &daemon{svc: svc, webhook: ln}

	g, gctx := errgroup.WithContext(ctx)
	// The pre-warms stop once the webhook listener has drained.
	prewarmCtx, stopPrewarm := context.WithCancel(context.Background())
	defer stopPrewarm()
	mcpHandler, err := a.daemonMCP(svc)
	if err != nil {
		ln.Close()
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/", svc.Handler())
	mux.Handle("/mcp", svc.RequireAuth(mcpHandler))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	member(g, gctx, "webhook listener", func(ctx context.Context) error {
		defer stopPrewarm()
		return serveHTTP(ctx, srv, ln)
	})
	member(g, gctx, "pre-warm pool", func(context.Context) error { return svc.Run(prewarmCtx) })
	member(g, gctx, "ssh console", func(ctx context.Context) error { return a.sshRunner(ctx, a, d) })
	err = g.Wait()
	a.Log.Info("serve stopped", "err", err)
	return err
}

// member runs one of the daemon's parts in g. A part that returns while
// the group still runs has stopped early: that is an error, naming it.
func member(g *errgroup.Group, gctx context.Context, name string, run func(ctx context.Context) error) {
	g.Go(func() error {
		err := run(gctx)
		switch {
		case gctx.Err() != nil:
			return err
		case err != nil:
			return fmt.Errorf("%s: %w", name, err)
		}
		return fmt.Errorf("%s stopped unexpectedly", name)
	})
}

// serveHTTP serves until ctx ends, then shuts down gracefully.
func serveHTTP(ctx context.Context, srv *http.Server, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; err == nil && serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("webhook listener shutdown: %w", err)
	}
	return nil
}

// runSSHConsole serves the daemon's incidents over SSH on
// serve.ssh_listen until ctx ends. An empty serve.ssh_listen turns the
// console off: it then only waits for ctx.
func runSSHConsole(ctx context.Context, a *App, d *daemon) error {
	c := a.Config
	if c.Serve.SSHListen == "" {
		fmt.Fprintln(a.Stderr, "triage serve: ssh console off (serve.ssh_listen is empty)")
		<-ctx.Done()
		return nil
	}
	deps, err := SSHDeps(c, d.svc, d.svc.SSHMetrics(), a.Log)
	if err != nil {
		return err
	}
	s, err := sshconsole.New(sshconsole.FromConfig(c), deps)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.Serve.SSHListen)
	if err != nil {
		return fmt.Errorf("serve.ssh_listen: %w", err)
	}
	fmt.Fprintf(a.Stderr, "triage serve: ssh console on %s, host key %s, keys from %s\n",
		ln.Addr(), s.HostKeyFingerprint(), config.ExpandHome(c.Serve.AuthorizedKeys))
	a.Log.Info("ssh console listening", "addr", ln.Addr().String(), "host_key", s.HostKeyFingerprint())
	return s.Serve(ctx, ln)
}

// SSHDeps builds what the SSH sessions run on from the config, as the
// local console is built: live sources for drill-downs and
// re-investigations, Alertmanager for silences (each naming the session's
// user and key), Grafana and keys. store is the daemon.
func SSHDeps(c config.Config, store sshconsole.Store, m serve.SSHMetrics, log *slog.Logger) (sshconsole.Deps, error) {
	o, err := ConsoleOptions(c, nil, log)
	if err != nil {
		return sshconsole.Deps{}, err
	}
	o.MaxVerdictAge = c.Serve.MaxVerdictAge
	d := sshconsole.Deps{Store: store, Metrics: m, Log: log, Console: o}
	if am, err := Alertmanager(c); err != nil {
		return sshconsole.Deps{}, err
	} else if am != nil {
		d.AlertsFor = func(author string) tui.AlertSource { return adapter.Alerts{C: am, CreatedBy: author} }
	}
	return d, nil
}
