// Package console assembles the console: it wires the page packages
// together through tui.Nav, builds a program's Common from its options, and
// runs one bubbletea program (a terminal, or one SSH session).
package console

import (
	"context"
	"io"
	"log/slog"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/triagectl/triage/themes"
	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/explore"
	"github.com/triagectl/triage/tui/logview"
	"github.com/triagectl/triage/tui/verdict"
	"github.com/triagectl/triage/tui/waterfall"
)

// Options configure one program.
type Options struct {
	Theme      themes.Theme
	Data       tui.Data
	Grafana    tui.Grafana
	Keys       map[string]string // config's keys: section
	SourceURLs map[string]string
	Demo       bool
	// Recorded: the data is a bundle's replay; nothing is sent.
	Recorded bool
	Log      *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// MaxVerdictAge refreshes a verdict opened on an older report at once
	// (pre-warmed reports over SSH); zero never.
	MaxVerdictAge time.Duration
}

// NewCommon builds a program's Common with every drill-down wired.
func NewCommon(ctx context.Context, o Options) (*tui.Common, error) {
	c := tui.NewCommon(ctx, o.Theme, o.Data)
	if err := c.Keys.Remap(o.Keys); err != nil {
		return nil, err
	}
	c.Grafana, c.SourceURLs, c.Demo, c.MaxVerdictAge = o.Grafana, o.SourceURLs, o.Demo, o.MaxVerdictAge
	c.Recorded = o.Recorded || o.Demo
	if o.Log != nil {
		c.Log = o.Log
	}
	if o.Now != nil {
		c.Now = o.Now
	}
	c.Nav = Nav(c)
	return c, nil
}

// Nav wires every page package into the drill-down.
func Nav(c *tui.Common) tui.Nav {
	return tui.Nav{
		Verdict: func(a triage.Alert, r *triage.Report) tui.PageFunc { return verdict.New(c, a, r) },
		Service: func(in tui.IncidentRef, svc string) tui.PageFunc { return explore.Service(c, in, svc) },
		Traces:  func(in tui.IncidentRef, f tui.TraceFilter) tui.PageFunc { return explore.Traces(c, in, f) },
		Trace:   func(in tui.IncidentRef, id string) tui.PageFunc { return waterfall.New(c, in, id) },
		Logs: func(in tui.IncidentRef, id, span string, tr *triage.Trace) tui.PageFunc {
			return logview.New(c, in, id, span, tr)
		},
		Users: func(in tui.IncidentRef) tui.PageFunc { return explore.Users(c, in) },
		PatternLines: func(in tui.IncidentRef, p triage.LogPattern) tui.PageFunc {
			return logview.Pattern(c, in, p)
		},
		Compare: func(in tui.IncidentRef, id string) tui.PageFunc { return waterfall.Compare(c, in, id) },
	}
}

// IncidentList is the root page of `triage`: the firing alerts.
func IncidentList(c *tui.Common) tui.PageFunc { return verdict.NewList(c) }

// Incident is the root page of `triage open`: one alert's verdict; rep,
// when not nil, is a finished report and no investigation runs.
func Incident(c *tui.Common, a triage.Alert, rep *triage.Report) tui.PageFunc {
	return verdict.New(c, a, rep)
}

// Run runs one program until the user quits or ctx ends. in and out are the
// terminal (nil: the process's own) or an SSH session's channel.
func Run(ctx context.Context, c *tui.Common, root tui.PageFunc, in io.Reader, out io.Writer, opts ...tea.ProgramOption) error {
	p := Program(ctx, c, root, in, out, opts...)
	_, err := p.Run()
	return err
}

// Program builds the program without running it (SSH sessions run theirs).
func Program(ctx context.Context, c *tui.Common, root tui.PageFunc, in io.Reader, out io.Writer, opts ...tea.ProgramOption) *tea.Program {
	all := []tea.ProgramOption{tea.WithContext(ctx)}
	if in != nil {
		all = append(all, tea.WithInput(in))
	}
	if out != nil {
		all = append(all, tea.WithOutput(out))
	}
	all = append(all, opts...)
	return tea.NewProgram(tui.NewApp(c, root), all...)
}
