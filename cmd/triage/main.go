// Command triage is the incident-triage console: it investigates an alert
// across Prometheus, Loki and Tempo and shows who is affected and how badly.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/triagectl/triage/internal/app"
	"github.com/triagectl/triage/internal/config"
)

// exitError carries a process exit code through cobra without printing twice.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// cli is what every command shares: the loaded config and the logger.
type cli struct {
	configPath string
	debug      bool
	cfg        *config.Loaded
	app        *app.App // built from the config before any command runs
	log        *slog.Logger
	closeLog   func()
	stdout     io.Writer
	stderr     io.Writer
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &cli{stdout: stdout, stderr: stderr, log: slog.New(slog.DiscardHandler), closeLog: func() {}}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if a.app != nil {
		a.app.Close()
	}
	a.closeLog()
	if err == nil {
		return 0
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	// One line per problem: config validation reports all of them.
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintln(stderr, "triage:", line)
	}
	return 2
}

func (a *cli) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "triage",
		Short: "Incident triage across Prometheus, Loki and Tempo",
		Long: `Triage investigates an alert across Prometheus, Loki and Tempo in parallel,
follows failing traces to rank the culprit service and the affected users,
and shows the verdict first with the evidence one key away.

Alone, triage lists Alertmanager's firing alerts in the console; enter
investigates one. Every command reads the config file (--config, else
TRIAGE_CONFIG, else $XDG_CONFIG_HOME/triage/config.yaml), then the
environment (PROMETHEUS_URL, LOKI_ADDR, ALERTMANAGER_URL… below TRIAGE_*),
then flags.`,
		Example: `  triage                                  the firing alerts, in the console
  triage demo                             the embedded demo incident, no backends needed
  triage report --demo                    the demo's report, as text
  triage incidents -o json                the firing alerts, for a script
  triage report --fingerprint 4f2c… -o markdown   a report to paste into a ticket`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       triageVersion(),
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.setup(cmd)
		},
		RunE: a.listConsole,
	}
	root.SetVersionTemplate("triage {{.Version}}\n")
	pf := root.PersistentFlags()
	pf.StringVar(&a.configPath, "config", "", "config file (default $TRIAGE_CONFIG, else $XDG_CONFIG_HOME/triage/config.yaml)")
	pf.BoolVar(&a.debug, "debug", false, "write a debug log to log.file (never to the terminal)")
	pf.String("debug-file", "", "debug log path (default ~/.local/state/triage/debug.log)")
	pf.String("prometheus-url", "", "Prometheus base URL (env PROMETHEUS_URL)")
	pf.String("loki-url", "", "Loki base URL (env LOKI_ADDR)")
	pf.String("tempo-url", "", "Tempo base URL")
	pf.String("jaeger-url", "", "Jaeger query service base URL (a trace backend instead of Tempo)")
	pf.String("alertmanager-url", "", "Alertmanager base URL (env ALERTMANAGER_URL)")
	pf.String("theme", "", "dark | light | high-contrast | mono (NO_COLOR forces mono)")
	pf.String("lookback", "", "how long before the alert's start the window begins (default 15m)")
	pf.String("trace-sample", "", "traces analysed per investigation (default 200)")
	root.AddCommand(a.configCommand(), a.checkCommand(), a.reportCommand(), a.recordCommand(), a.incidentsCommand(),
		a.versionCommand(), a.openCommand(), a.demoCommand(), a.serveCommand(), a.storeCommand(), a.mcpCommand())
	withSuggestions(root)
	return root
}

// setup loads the config and opens the debug log, before any command runs.
func (a *cli) setup(cmd *cobra.Command) error {
	cfg, err := config.Load(a.configPath, cmd.Flags())
	if err != nil {
		return err
	}
	a.cfg = cfg
	if a.debug {
		path := config.ExpandHome(cfg.Log.File)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return fmt.Errorf("debug log: %w", err)
		}
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("debug log: %w", err)
		}
		var level slog.Level
		_ = level.UnmarshalText([]byte(cfg.Log.Level))
		a.log = slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: level}))
		a.closeLog = func() { f.Close() }
		a.log.Info("triage starting", "version", triageVersion(), "command", cmd.CommandPath(), "config", cfg.File)
	}
	a.app = app.New(cfg.Config, app.Options{Version: triageVersion(), Log: a.log, Stdout: a.stdout, Stderr: a.stderr})
	return nil
}
