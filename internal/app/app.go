package app

import (
	"context"
	"io"
	"log/slog"
	"os"

	"github.com/triagectl/triage/internal/config"
)

// Options are what a command gives the app besides the config.
type Options struct {
	Version        string
	Log            *slog.Logger // nil: discard
	Stdout, Stderr io.Writer    // nil: the process's own
	// Getenv reads the environment (NO_COLOR); os.Getenv when nil.
	Getenv func(string) string
}

// App is one run of triage: the config and what is built from it. Close
// undoes what was built, last first.
type App struct {
	Config  config.Config
	Version string
	Log     *slog.Logger
	Stdout  io.Writer
	Stderr  io.Writer
	Getenv  func(string) string

	// sshRunner runs the daemon's SSH console; tests replace it.
	sshRunner func(ctx context.Context, a *App, d *daemon) error
	cleanups  []func()
}

// New builds the app on a loaded config.
func New(cfg config.Config, o Options) *App {
	a := &App{Config: cfg, Version: o.Version, Log: o.Log, Stdout: o.Stdout, Stderr: o.Stderr, Getenv: o.Getenv}
	if a.Log == nil {
		a.Log = slog.New(slog.DiscardHandler)
	}
	if a.Stdout == nil {
		a.Stdout = os.Stdout
	}
	if a.Stderr == nil {
		a.Stderr = os.Stderr
	}
	if a.Getenv == nil {
		a.Getenv = os.Getenv
	}
	a.sshRunner = runSSHConsole
	return a
}

// Close runs the cleanups, last pushed first.
func (a *App) Close() {
	for i := len(a.cleanups) - 1; i >= 0; i-- {
		a.cleanups[i]()
	}
	a.cleanups = nil
}
