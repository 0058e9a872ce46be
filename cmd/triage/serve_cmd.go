package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/triagectl/triage/internal/wiring"
	"github.com/triagectl/triage/serve"
	"github.com/triagectl/triage/triage"
	tuissh "github.com/triagectl/triage/tui/ssh"
)

// serveWiring is what `triage serve` runs besides the webhook listener.
type serveWiring struct {
	// SSH runs the SSH console listener (serve.ssh_listen) until ctx ends;
	// nil runs none.
	SSH func(ctx context.Context, s *serve.Service) error
	// Recorder, when set, records a bundle with every pre-warmed report.
	Recorder serve.Recorder
}

// shutdownGrace bounds the wait for in-flight webhooks at shutdown; they
// finish their durable write or Alertmanager retries them.
const shutdownGrace = 10 * time.Second

func (a *app) serveCommand() *cobra.Command {
	w := serveWiring{SSH: func(ctx context.Context, s *serve.Service) error {
		return tuissh.Run(ctx, a.cfg.Config, s, a.stderr, a.log)
	}, Recorder: func(ctx context.Context, al triage.Alert, limit func(triage.Sources) triage.Sources) (*triage.Report, []byte, error) {
		// The config is loaded when the command runs, after this is built.
		return wiring.Recorder(a.cfg.Config, version)(ctx, al, limit)
	}}
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the daemon: webhook receiver, pre-warmed investigations, SSH console",
		Long: `Run the daemon. It receives Alertmanager (and Grafana) webhooks on
POST /alerts at serve.webhook_listen, stores each alert durably in
serve.store before answering 200, groups alerts into incidents and
investigates each new incident at once, so that the report is ready when
someone opens it.

Point an Alertmanager receiver at it:

  receivers:
    - name: triage
      webhook_configs:
        - url: http://triage.internal:9095/alerts
          send_resolved: true
          http_config: {authorization: {credentials_file: /run/secrets/webhook}}

The same listener serves /metrics, /healthz and /readyz. SIGINT or SIGTERM
stops it gracefully: in-flight webhooks finish their write first.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runServe(cmd.Context(), w)
		},
	}
}

func (a *app) runServe(ctx context.Context, w serveWiring) error {
	cfg := a.cfg.Config
	scfg, err := serve.ConfigFrom(cfg)
	if err != nil {
		return err
	}
	srcs, err := wiring.EngineSources(cfg)
	if err != nil {
		return err
	}
	svc, err := serve.New(ctx, scfg, serve.Deps{Sources: srcs, Options: wiring.EngineOptions(cfg),
		RED: triage.REDQueries{}, Recorder: w.Recorder, Log: a.log})
	if err != nil {
		return err
	}
	defer svc.Close()

	ln, err := net.Listen("tcp", cfg.Serve.WebhookListen)
	if err != nil {
		return fmt.Errorf("serve.webhook_listen: %w", err)
	}
	fmt.Fprintf(a.stderr, "triage serve: webhook on http://%s/alerts, store %s\n", ln.Addr(), scfg.StorePath)
	if scfg.Token == "" && scfg.BasicUser == "" {
		fmt.Fprintln(a.stderr, "triage serve: the webhook takes unauthenticated requests; set serve.webhook_token_file")
	}
	a.log.Info("serve starting", "listen", ln.Addr().String(), "store", scfg.StorePath)

	srv := &http.Server{Handler: svc.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, 3)
	running := 2
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs <- fmt.Errorf("webhook listener: %w", err)
			return
		}
		errs <- nil
	}()
	runDone := make(chan struct{})
	go func() {
		defer close(runDone)
		errs <- svc.Run(ctx)
	}()
	if w.SSH != nil {
		running++
		go func() {
			if err := w.SSH(ctx, svc); err != nil && ctx.Err() == nil {
				errs <- fmt.Errorf("ssh listener: %w", err)
				return
			}
			errs <- nil
		}()
	}

	var first error
	select {
	case <-ctx.Done():
	case first = <-errs:
		running--
	}
	// Stop taking webhooks and let those in flight finish their write,
	// then stop the pre-warms; the store closes last (deferred).
	sctx, scancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil && first == nil {
		first = fmt.Errorf("webhook listener shutdown: %w", err)
	}
	cancel()
	<-runDone
	for ; running > 0; running-- {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	a.log.Info("serve stopped", "err", first)
	return first
}
