// Package logview is the console's logs page: the lines of one trace across
// its services, oldest first, with level colours, a filter and wrapping,
// drawn a window at a time so that it stays smooth at any line count.
package logview

import (
	"context"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
)

// Page is the logs page of one trace.
type Page struct {
	c       *tui.Common
	ctx     context.Context
	traceID string
	spanID  string
	in      tui.IncidentRef
	tr      *triage.Trace // the trace, once fetched: its services and time narrow the query
	plan    plan
	trErr   string // why the trace could not be fetched: the query is the report's

	copyLine, copyQuery key.Binding

	load      *tui.Load
	err       error
	query     string // the query behind the lines shown
	truncated bool
	spanLines int
	v         *Viewer
	w, h      int
}

// loadedMsg is a load's result.
type loadedMsg struct {
	tr        *triage.Trace // fetched for the plan, when the page had none
	trErr     string
	plan      plan
	v         *Viewer
	query     string
	truncated bool
	spanLines int
	err       error
}

// New builds the logs page of traceID: its lines in the trace's services
// and time (tr's, when tr is not nil; else the incident's), positioned at
// spanID's first line when spanID is set.
func New(c *tui.Common, in tui.IncidentRef, traceID, spanID string, tr *triage.Trace) tui.PageFunc {
	return func(ctx context.Context) tui.Page {
		p := &Page{c: c, ctx: ctx, traceID: traceID, spanID: spanID, in: in, tr: tr, plan: newPlan(c, in, traceID, tr), w: c.Width, h: c.Height}
		p.query = p.plan.queries[0]
		p.copyLine = c.Keys.Copy
		p.copyLine.SetHelp(c.Keys.Copy.Help().Key, "copy line")
		// The key map has no action for a second copy target yet.
		p.copyQuery = key.NewBinding(key.WithKeys("Y"), key.WithHelp("Y", "copy LogQL"))
		p.load = tui.NewLoad(ctx, c)
		return p
	}
}

// Init starts the query, unless no log source is configured.
func (p *Page) Init() tea.Cmd {
	if p.c.Data.Sources.Logs == nil {
		return nil
	}
	return p.reload()
}

func (p *Page) reload() tea.Cmd {
	p.err, p.v = nil, nil
	ctx, c, ls, pl, in, tr := p.ctx, p.c, p.c.Data.Sources.Logs, p.plan, p.in, p.tr
	ts := p.c.Data.Sources.Traces
	traceID, spanID, w, h := p.traceID, p.spanID, p.w, p.h
	return p.load.Start(func() any {
		m := loadedMsg{plan: pl, tr: tr}
		if tr == nil && ts != nil {
			// Opened from the verdict or a pattern: fetch the trace, so the
			// lines asked for are those of its services and time, exactly as
			// from its waterfall.
			got, err := ts.Trace(ctx, traceID)
			if err == nil && got != nil && len(got.Spans) > 0 {
				m.tr, m.plan = got, newPlan(c, in, traceID, got)
			} else if err != nil {
				m.trErr, _ = triage.ErrorInfo(err)
			}
		}
		lines, q, truncated, err := fetch(ctx, ls, m.plan, traceID)
		m.query, m.truncated, m.err = q, truncated, err
		if err == nil {
			// Sorting and sanitising happen here, off the UI loop.
			m.v = NewViewer(c, lines)
			m.v.route = tui.PageIDFrom(ctx)
			m.v.SetSize(w, h-1)
			m.spanLines = m.v.FocusSpan(spanID)
		}
		return m
	})
}

// Update takes the page's own results and keys; the rest is ignored.
func (p *Page) Update(msg tea.Msg) (tui.Page, tea.Cmd) {
	if msg, ok := msg.(tea.KeyPressMsg); ok {
		return p, p.key(msg)
	}
	if v, ok, cmd := p.load.Update(msg); ok {
		m := v.(loadedMsg)
		p.v, p.query, p.truncated, p.spanLines, p.err = m.v, m.query, m.truncated, m.spanLines, m.err
		p.tr, p.plan, p.trErr = m.tr, m.plan, m.trErr
		if p.v != nil {
			p.v.SetSize(p.w, p.viewerHeight())
		}
		return p, nil
	} else if cmd != nil {
		return p, cmd
	}
	return p, toViewer(p.v, msg)
}

func (p *Page) key(k tea.KeyPressMsg) tea.Cmd {
	if p.v != nil && p.v.Filtering() {
		return toViewer(p.v, k)
	}
	switch {
	case key.Matches(k, p.copyQuery):
		return tea.Batch(tea.SetClipboard(p.query), tui.Status("copied LogQL: "+tui.Fit(p.query, 60), false))
	case key.Matches(k, p.c.Keys.Refresh):
		if p.c.Data.Sources.Logs != nil {
			return p.reload()
		}
		return nil
	}
	return toViewer(p.v, k)
}

// SetSize gives the header one row and the lines the rest.
func (p *Page) SetSize(w, h int) {
	p.w, p.h = max(w, 1), max(h, 2)
	if p.v != nil {
		p.v.SetSize(p.w, p.viewerHeight())
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
	case p.load.Loading() || p.c.Data.Sources.Logs == nil:
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

// viewerHeight is the lines' room: the page less its header row, and the
// note row when the trace could not be fetched.
func (p *Page) viewerHeight() int {
	if p.trErr != "" {
		return p.h - 2
	}
	return p.h - 1
}

// toViewer passes a message to the lines, once they are read.
func toViewer(v *Viewer, msg tea.Msg) tea.Cmd {
	if v == nil {
		return nil
	}
	cmd, _ := v.Update(msg)
	return cmd
}
