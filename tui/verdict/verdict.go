// Package verdict is the console's first screens: the incident list and an
// incident's verdict (impact, culprit, services, users, what is different,
// log patterns), streamed in as the investigation's sources answer.
package verdict

import (
	"context"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
)

// Page is an incident's verdict.
type Page struct {
	c     *tui.Common
	ctx   context.Context
	alert triage.Alert
	scope triage.Scope

	rep     *triage.Report
	given   bool           // rep was computed before the page opened (pre-warmed, recorded)
	prev    *triage.Report // the report a running refresh replaces
	running bool
	runErr  error // the run's own failure, not a source's
	cancel  context.CancelFunc
	load    *tui.Load
	pending *triage.Report // a newer report held while a filter is typed

	width, height int
	focus         int // a section, or focusImpact
	secs          [numSections]*section
}

// New builds the Verdict page of alert. rep, when not nil, is a finished
// report (pre-warmed or replayed) and no investigation runs until `r`;
// otherwise the page runs one and renders its results as they stream in.
func New(c *tui.Common, alert triage.Alert, rep *triage.Report) tui.PageFunc {
	return func(ctx context.Context) tui.Page {
		p := &Page{c: c, ctx: ctx, alert: alert, focus: secServices}
		labels := c.Data.Options.ServiceLabels
		if len(labels) == 0 {
			labels = triage.DefaultOptions().ServiceLabels
		}
		p.scope = triage.ResolveScope(alert, labels)
		p.load = tui.NewLoad(ctx, c)
		traces := c.Data.Sources.TracesName()
		if rep != nil && len(rep.Sources) > 0 {
			traces = triage.TraceSource(rep)
		}
		p.secs = [numSections]*section{
			newSection(c, secServices, "SERVICES", traces, "no service implicated in the sampled traces", "no service implicated"),
			newSection(c, secUsers, "USERS", traces, "no failing users in the sample", "no failing users"),
			newSection(c, secDifferent, "DIFFERENT", traces, "nothing stands out against the baseline", "nothing stands out"),
			newSection(c, secLogs, "LOGS", triage.SourceLoki, "no error or warning lines in the window", "no error lines"),
		}
		if rep != nil {
			p.given = true
			p.setReport(rep)
		}
		p.setFocus(secServices)
		p.SetSize(c.Width, max(c.Height-2, 1))
		return p
	}
}

// Init starts the investigation unless the page was given its report; a
// given report older than the console's MaxVerdictAge is investigated again
// at once, its figures shown until the new ones come.
func (p *Page) Init() tea.Cmd {
	if p.rep == nil {
		return p.start()
	}
	if max := p.c.MaxVerdictAge; max > 0 && !p.rep.Window.End.IsZero() && p.c.Now().Sub(p.rep.Window.End) > max {
		return p.refresh()
	}
	return nil
}

// Update handles keys, the streamed results and the spinner.
func (p *Page) Update(msg tea.Msg) (tui.Page, tea.Cmd) {
	var cmd tea.Cmd
	switch m := msg.(type) {
	case tea.KeyPressMsg:
		cmd = tea.Batch(p.key(m), p.swapPending())
	case tui.ReportMsg:
		// The sender says the report is newer (it was stored later).
		if m.Report == nil || m.Report == p.rep || m.Fingerprint != p.alert.Fingerprint || !m.StartsAt.Equal(p.alert.StartsAt) {
			return p, nil
		}
		p.pending = m.Report
		cmd = p.swapPending()
	default:
		v, ok, lcmd := p.load.Update(msg)
		if !ok {
			return p, lcmd
		}
		cmd = p.onEvent(v.(event))
	}
	p.relayout()
	return p, cmd
}

func (p *Page) key(k tea.KeyPressMsg) tea.Cmd {
	keys := p.c.Keys
	if s := p.focused(); s != nil && s.list.Filtering() {
		s.list.Update(k)
		return nil
	}
	switch {
	case key.Matches(k, keys.Tab):
		p.cycleFocus()
	case key.Matches(k, keys.Enter):
		return p.drill()
	case key.Matches(k, keys.Traces):
		return p.traces()
	case key.Matches(k, keys.Logs):
		return p.logs()
	case key.Matches(k, keys.Users):
		return p.users()
	case key.Matches(k, keys.Services):
		p.setFocus(secServices)
	case key.Matches(k, keys.Refresh):
		if p.rep != nil && !p.running {
			return p.refresh()
		}
		return p.start()
	default:
		if s := p.focused(); s != nil && s.state == stateRows {
			s.list.Update(k)
		}
	}
	return nil
}

// focused is the section with the keys, nil when the impact block has them.
func (p *Page) focused() *section {
	if p.focus == focusImpact {
		return nil
	}
	return p.secs[p.focus]
}

func (p *Page) setFocus(f int) {
	p.focus = f
	for i, s := range p.secs {
		s.setFocus(i == f)
	}
}

// cycleFocus moves to the next section that has rows to select, then the
// impact block, and round again.
func (p *Page) cycleFocus() {
	for step := 1; step <= numSections+1; step++ {
		f := (p.focus + step) % (numSections + 1)
		if f == focusImpact && p.rep != nil && p.rep.Impact != nil || f != focusImpact && p.secs[f].state == stateRows {
			p.setFocus(f)
			return
		}
	}
}

// SetSize sets the page's area.
func (p *Page) SetSize(w, h int) {
	p.width, p.height = w, h
	p.relayout()
}

// Title is the breadcrumb: the alert's name.
func (p *Page) Title() string { return p.alert.Name }

// ShortHelp is the footer's keys.
func (p *Page) ShortHelp() []key.Binding {
	k := p.c.Keys
	return []key.Binding{k.Enter, k.Traces, k.Logs, k.Users, k.Copy}
}

// FullHelp is every key of the page, for help.
func (p *Page) FullHelp() [][]key.Binding {
	k := p.c.Keys
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom, k.Tab, k.Filter},
		{k.Enter, k.Traces, k.Logs, k.Users, k.Services},
		{k.Refresh, k.Copy, k.Open, k.Silence, k.Sources},
	}
}

// Report is the current snapshot of the investigation, nil before the
// first.
func (p *Page) Report() *triage.Report { return p.rep }

// Alert is the incident's alert.
func (p *Page) Alert() triage.Alert { return p.alert }

// Filtering reports whether the focused section's filter has the keys.
func (p *Page) Filtering() bool {
	s := p.focused()
	return s != nil && s.list.Filtering()
}

// ClearFilter clears every section's filter; esc goes back only when there
// was none.
func (p *Page) ClearFilter() bool {
	had := false
	for _, s := range p.secs {
		if s.list.ClearFilter() {
			had = true
		}
	}
	p.relayout()
	return had
}

var (
	_ tui.Page      = (*Page)(nil)
	_ tui.Incident  = (*Page)(nil)
	_ tui.Commander = (*Page)(nil)
	_ tui.Copier    = (*Page)(nil)
	_ tui.Linker    = (*Page)(nil)
	_ tui.Filterer  = (*Page)(nil)
)

// swapPending shows a newer report that came in (the daemon's pre-warm
// finished), unless a filter is being typed: then it waits for the next
// key. A running investigation gives way to it.
func (p *Page) swapPending() tea.Cmd {
	if p.pending == nil || p.Filtering() {
		return nil
	}
	r := p.pending
	p.pending = nil
	p.stop()
	p.setReport(r)
	return tui.Status("pre-warmed report updated (as of "+p.clock(r.Window.End)+")", false)
}
