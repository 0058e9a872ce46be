package tui

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/triagectl/triage/themes"
	"github.com/triagectl/triage/triage"
)

// Common is what every page of one program shares: one per program, so
// several SSH sessions can run in one process without sharing state.
type Common struct {
	Ctx           context.Context
	Width, Height int
	Styles        *Styles
	Keys          *KeyMap
	// Now is the clock; tests fix it.
	Now func() time.Time
	Log *slog.Logger
	// Data is where pages get their data from.
	Data Data
	// Grafana builds Explore links; its zero value has no URL and pages
	// then offer no link.
	Grafana Grafana
	// Demo marks the header: the data is a recorded demo incident.
	Demo bool
	// Recorded says the data is a recorded incident (a bundle, or the
	// demo): nothing is live, so nothing is sent (no silence).
	Recorded bool
	// Nav builds the drill-down pages.
	Nav Nav
	// Pipeline, when set, reports the alert pipeline's heartbeat (the
	// Watchdog alert's last arrival): the header then shows it, loudly
	// when it has gone silent.
	Pipeline func() PipelineHealth
	// SourceURLs are shown in the sources panel.
	SourceURLs map[string]string
	// Opened are the traces opened in this session, marked in lists.
	Opened *OpenedTraces
	// MaxVerdictAge: a verdict opened on a report computed longer ago than
	// this is investigated again at once, the old figures shown until the
	// new ones come. Zero never refreshes on its own.
	MaxVerdictAge time.Duration
}

// Data is the console's view of the backends: the engine's source
// interfaces (live clients, or a bundle's replay), plus the alert source.
type Data struct {
	Sources triage.Sources
	Options triage.Options
	RED     triage.REDQueries
	// Alerts lists and silences alerts; nil without Alertmanager.
	Alerts AlertSource
}

// AlertSource is Alertmanager as the console needs it.
type AlertSource interface {
	Firing(ctx context.Context) ([]triage.Alert, error)
	// Silence silences the alert's labels for d and returns the silence id.
	Silence(ctx context.Context, a triage.Alert, d time.Duration, comment string) (string, error)
}

// Grafana is the Grafana instance Explore links point at.
type Grafana = triage.Grafana

// NewCommon builds a program's Common with the defaults for anything
// unset.
func NewCommon(ctx context.Context, theme themes.Theme, data Data) *Common {
	return &Common{
		Ctx: ctx, Width: 80, Height: 24,
		Styles: NewStyles(theme), Keys: DefaultKeyMap(),
		Now: time.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Data: data, Opened: &OpenedTraces{},
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func safeLine(s string) string { return Fit(s, 1<<20) }

// PipelineHealth is the dead man's switch as the header shows it.
type PipelineHealth struct {
	// LastBeat is the Watchdog's last arrival; zero when it never came.
	LastBeat time.Time
	// Silent is set once no beat came for longer than the allowed gap.
	Silent bool
}
