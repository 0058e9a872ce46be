package ssh

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/triagectl/triage/internal/config"
	"github.com/triagectl/triage/internal/wiring"
	"github.com/triagectl/triage/serve"
	"github.com/triagectl/triage/sources/alertmanager"
	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/console"
)

// DepsFromConfig builds what the sessions run on from the config file, as
// `triage` builds its local console: live sources for drill-downs and
// re-investigations, Alertmanager for silences (each naming the session's
// user and key), Grafana and keys. store is the daemon.
func DepsFromConfig(c config.Config, store Store, m serve.SSHMetrics, log *slog.Logger) (Deps, error) {
	srcs, err := wiring.EngineSources(c)
	if err != nil {
		return Deps{}, err
	}
	d := Deps{
		Store: store, Metrics: m, Log: log,
		Console: console.Options{
			Data:    tui.Data{Sources: srcs, Options: wiring.EngineOptions(c)},
			Grafana: tui.Grafana{URL: c.Grafana.URL, Datasources: c.Grafana.Datasources},
			Keys:    c.Keys, SourceURLs: map[string]string{},
		},
	}
	for name, u := range map[string]string{triage.SourcePrometheus: c.Sources.Prometheus.URL,
		triage.SourceLoki: c.Sources.Loki.URL, triage.SourceTempo: c.Sources.Tempo.URL} {
		if u != "" {
			d.Console.SourceURLs[name] = u
		}
	}
	if c.Sources.Alertmanager.Configured() {
		am, err := alertmanager.New(c.Sources.Alertmanager)
		if err != nil {
			return Deps{}, err
		}
		d.Console.Data.Alerts = wiring.Alerts{C: am}
		d.AlertsFor = func(author string) tui.AlertSource { return wiring.Alerts{C: am, CreatedBy: author} }
	}
	return d, nil
}

// Run is `triage serve`'s SSH console: it serves svc's incidents on
// serve.ssh_listen until ctx ends, then shuts down gracefully. It says
// where it listens, with the host key's fingerprint, on out. An empty
// serve.ssh_listen turns the console off: Run then only waits for ctx.
func Run(ctx context.Context, c config.Config, svc *serve.Service, out io.Writer, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if c.Serve.SSHListen == "" {
		fmt.Fprintln(out, "triage serve: ssh console off (serve.ssh_listen is empty)")
		<-ctx.Done()
		return nil
	}
	d, err := DepsFromConfig(c, svc, svc.SSHMetrics(), log)
	if err != nil {
		return err
	}
	s, err := New(FromConfig(c), d)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("serve.ssh_listen: %w", err)
	}
	fmt.Fprintf(out, "triage serve: ssh console on %s, host key %s, keys from %s\n",
		ln.Addr(), s.HostKeyFingerprint(), config.ExpandHome(s.cfg.AuthorizedKeys))
	log.Info("ssh console listening", "addr", ln.Addr().String(), "host_key", s.HostKeyFingerprint())
	return s.Serve(ctx, ln)
}
