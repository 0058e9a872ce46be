// Package logview is the console's logs page: the lines of one trace across
// its services, oldest first, with level colours, a filter and wrapping,
// drawn a window at a time so that it stays smooth at any line count.
package logview

import (
	"context"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
)

// spinnerDelay keeps fast answers from flashing a spinner.
const spinnerDelay = 100 * time.Millisecond

// Page is the logs page of one trace.
type Page struct {
	c       *tui.Common
	ctx     context.Context
	traceID string
	spanID  string
	plan    plan

	copyLine, copyQuery key.Binding

	req       int
	loading   bool
	spinning  bool
	spin      spinner.Model
	err       error
	query     string // the query behind the lines shown
	truncated bool
	spanLines int
	v         *Viewer
	w, h      int
}

// loadedMsg is a load's result; owner and req let the page drop the
// results of other pages and of superseded loads.
type loadedMsg struct {
	owner     *Page
	req       int
	v         *Viewer
	query     string
	truncated bool
	spanLines int
	err       error
}

type spinnerDueMsg struct {
	owner *Page
	req   int
}

// New builds the logs page of traceID: its lines in the trace's services
// and time (tr's, when tr is not nil; else the incident's), positioned at
// spanID's first line when spanID is set.
func New(c *tui.Common, in tui.IncidentRef, traceID, spanID string, tr *triage.Trace) tui.PageFunc {
	return func(ctx context.Context) tui.Page {
		p := &Page{c: c, ctx: ctx, traceID: traceID, spanID: spanID, plan: newPlan(c, in, traceID, tr), w: c.Width, h: c.Height}
		p.query = p.plan.queries[0]
		p.copyLine = c.Keys.Copy
		p.copyLine.SetHelp(c.Keys.Copy.Help().Key, "copy line")
		// The key map has no action for a second copy target yet.
		p.copyQuery = key.NewBinding(key.WithKeys("Y"), key.WithHelp("Y", "copy LogQL"))
		p.spin = spinner.New(spinner.WithSpinner(spinner.Dot), spinner.WithStyle(c.Styles.Accent))
		return p
	}
}

// Init starts the query, unless no log source is configured.
func (p *Page) Init() tea.Cmd {
	if p.c.Data.Sources.Logs == nil {
		return nil
	}
	return p.load()
}

func (p *Page) load() tea.Cmd {
	p.req++
	p.loading, p.spinning, p.err, p.v = true, false, nil, nil
	owner, req, ctx, c, ls, pl := p, p.req, p.ctx, p.c, p.c.Data.Sources.Logs, p.plan
	traceID, spanID, w, h := p.traceID, p.spanID, p.w, p.h
	fetchCmd := func() tea.Msg {
		lines, q, truncated, err := fetch(ctx, ls, pl, traceID)
		m := loadedMsg{owner: owner, req: req, query: q, truncated: truncated, err: err}
		if err == nil {
			// Sorting and sanitising happen here, off the UI loop.
			m.v = NewViewer(c, lines)
			m.v.SetSize(w, h-1)
			m.spanLines = m.v.FocusSpan(spanID)
		}
		return m
	}
	due := tea.Tick(spinnerDelay, func(time.Time) tea.Msg { return spinnerDueMsg{owner: owner, req: req} })
	return tea.Batch(fetchCmd, due)
}

// Update takes the page's own results and keys; the rest is ignored.
func (p *Page) Update(msg tea.Msg) (tui.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case loadedMsg:
		if msg.owner == p && msg.req == p.req {
			p.loading, p.spinning = false, false
			p.v, p.query, p.truncated, p.spanLines, p.err = msg.v, msg.query, msg.truncated, msg.spanLines, msg.err
			if p.v != nil {
				p.v.SetSize(p.w, p.h-1)
			}
		}
		return p, nil
	case spinnerDueMsg:
		if msg.owner == p && msg.req == p.req && p.loading {
			p.spinning = true
			return p, p.spin.Tick
		}
		return p, nil
	case spinner.TickMsg:
		if !p.spinning {
			return p, nil
		}
		var cmd tea.Cmd
		p.spin, cmd = p.spin.Update(msg)
		return p, cmd
	case tea.KeyPressMsg:
		return p, p.key(msg)
	}
	if p.v != nil {
		cmd, _ := p.v.Update(msg)
		return p, cmd
	}
	return p, nil
}

func (p *Page) key(k tea.KeyPressMsg) tea.Cmd {
	if p.v != nil && p.v.Filtering() {
		cmd, _ := p.v.Update(k)
		return cmd
	}
	switch {
	case key.Matches(k, p.copyQuery):
		return tea.Batch(tea.SetClipboard(p.query), tui.Status("copied LogQL: "+tui.Fit(p.query, 60), false))
	case key.Matches(k, p.c.Keys.Refresh):
		if p.c.Data.Sources.Logs != nil {
			return p.load()
		}
		return nil
	}
	if p.v != nil {
		cmd, _ := p.v.Update(k)
		return cmd
	}
	return nil
}

// SetSize gives the header one row and the lines the rest.
func (p *Page) SetSize(w, h int) {
	p.w, p.h = max(w, 1), max(h, 2)
	if p.v != nil {
		p.v.SetSize(p.w, p.h-1)
	}
}

// Title is the breadcrumb.
func (p *Page) Title() string { return "logs" }

// Viewer is the loaded lines; nil while loading and when the query failed.
func (p *Page) Viewer() *Viewer { return p.v }

// Query is the LogQL behind the lines shown (or to be shown).
func (p *Page) Query() string { return p.query }

// Filtering reports whether the filter prompt has the keys.
func (p *Page) Filtering() bool { return p.v != nil && p.v.Filtering() }

// ClearFilter clears the filter first, so esc only goes back once it is
// clear.
func (p *Page) ClearFilter() bool { return p.v != nil && p.v.ClearFilter() }

// CopyTarget is the selected line as shown (sanitised), or the LogQL
// query when there is no line to copy.
func (p *Page) CopyTarget() (label, text string, ok bool) {
	if p.v != nil {
		if text, _, ok := p.v.Selected(); ok {
			return "log line", text, true
		}
	}
	return "LogQL", p.query, p.query != ""
}

func (p *Page) hasLines() bool { return p.v != nil && p.v.Total() > 0 }

// ShortHelp is the footer.
func (p *Page) ShortHelp() []key.Binding {
	keys := p.c.Keys
	switch {
	case p.hasLines():
		return []key.Binding{keys.Filter, keys.Wrap, p.copyLine, p.copyQuery}
	case p.loading || p.c.Data.Sources.Logs == nil:
		return []key.Binding{p.copyQuery}
	}
	return []key.Binding{p.retry(), p.copyQuery}
}

func (p *Page) retry() key.Binding {
	r := p.c.Keys.Refresh
	r.SetHelp(r.Help().Key, "retry")
	return r
}

// FullHelp is the help screen.
func (p *Page) FullHelp() [][]key.Binding {
	k := p.c.Keys
	line := k.Copy
	line.SetHelp(k.Copy.Help().Key, "copy the line (the LogQL when there is none)")
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{k.Filter, k.Wrap, line, p.copyQuery, k.Open, k.Refresh},
	}
}
