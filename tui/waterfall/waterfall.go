// Package waterfall is the console's Trace page: one trace's span tree as a
// waterfall, with the error path and the critical path marked, span details
// beside or below it, and drill-downs to the trace's logs and linked traces;
// and the comparison of a trace with a healthy one of its route.
package waterfall

import (
	"context"
	"errors"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
)

// Where the details panel is: beside or below the waterfall (unfocused),
// taking the movement keys, or hidden. Tab cycles in this order.
const (
	detailsShown = iota
	detailsFocused
	detailsHidden
)

// fetchDeadline bounds the fetch when the options set no source deadline.
const fetchDeadline = 30 * time.Second

// page is the Trace page.
type page struct {
	c    *tui.Common
	ctx  context.Context
	in   tui.IncidentRef
	id   string
	keys pageKeys
	w, h int

	load    *tui.Load
	loadErr string // the reason the trace cannot be shown
	d       *traceData
	f       *fold
	cur     tui.Cursor // among f.rows
	input   tui.FilterInput
	details int
	dOffset int // the details panel's scroll
}

// pageKeys are the console's bindings with this page's descriptions.
type pageKeys struct {
	enter, toggle, tab, link, refresh, compare key.Binding
}

func newKeys(k *tui.KeyMap) pageKeys {
	with := func(b key.Binding, desc string) key.Binding {
		b.SetHelp(b.Help().Key, desc)
		return b
	}
	return pageKeys{
		enter:   with(k.Enter, "span logs"),
		toggle:  with(k.Toggle, "fold"),
		tab:     with(k.Tab, "details"),
		link:    with(k.Traces, "linked trace"),
		refresh: with(k.Refresh, "refetch"),
		compare: with(k.Compare, "compare"),
	}
}

// New builds the Trace page of traceID, fetched from the trace source.
func New(c *tui.Common, in tui.IncidentRef, traceID string) tui.PageFunc {
	return func(ctx context.Context) tui.Page {
		c.Opened.Add(traceID)
		p := &page{c: c, ctx: ctx, in: in, id: traceID, keys: newKeys(c.Keys), w: c.Width, h: max(c.Height-2, 1),
			input: tui.NewFilterInput(c.Keys)}
		p.load = tui.NewLoad(ctx, c)
		if c.Data.Sources.Traces == nil {
			p.loadErr = "unknown — " + c.Data.Sources.TracesName() + ": not configured (set sources.tempo.url or sources.jaeger.url to see traces)"
		}
		return p
	}
}

// loadResult is a fetch's answer: the trace read, or why it cannot be
// shown.
type loadResult struct {
	d   *traceData
	err error
}

func (p *page) Init() tea.Cmd {
	if p.c.Data.Sources.Traces == nil {
		return nil
	}
	return p.fetch()
}

// fetch asks for the trace and builds its tree in the command, off the UI
// goroutine: a 5,000-span trace takes a few milliseconds to read.
func (p *page) fetch() tea.Cmd {
	ctx, src, id, opts := p.ctx, p.c.Data.Sources.Traces, p.id, p.c.Data.Options
	deadline := opts.SourceDeadline
	if deadline <= 0 {
		deadline = fetchDeadline
	}
	return p.load.Start(func() any {
		ctx, cancel := context.WithTimeout(ctx, deadline)
		defer cancel()
		tr, err := src.Trace(ctx, id)
		if err != nil {
			return loadResult{err: explain(src.Name(), err, deadline)}
		}
		if tr == nil {
			return loadResult{err: notFound(src.Name())}
		}
		return loadResult{d: newTraceData(tr, opts)}
	})
}

func notFound(source string) error { return errors.New("trace not found in " + source) }

// explain turns a source error into the sentence the page shows: not found
// is a plain fact; anything else is unknown, with the source's reason.
func explain(source string, err error, deadline time.Duration) error {
	var typed interface {
		Reason() string
		ErrorKind() string
	}
	switch {
	case errors.As(err, &typed) && typed.ErrorKind() == "not_found":
		return notFound(source)
	case errors.As(err, &typed):
		return errors.New("unknown — " + source + ": " + typed.Reason())
	case errors.Is(err, context.DeadlineExceeded):
		return errors.New("unknown — " + source + ": context deadline exceeded after " + deadline.String())
	}
	return errors.New("unknown — " + source + ": " + err.Error())
}

func (p *page) Update(msg tea.Msg) (tui.Page, tea.Cmd) {
	if msg, ok := msg.(tea.KeyPressMsg); ok {
		return p, p.key(msg)
	}
	v, ok, cmd := p.load.Update(msg)
	if ok {
		p.loaded(v.(loadResult))
	}
	return p, cmd
}

// loaded shows a fetch's answer.
func (p *page) loaded(m loadResult) {
	p.load.Stop()
	if m.err != nil {
		p.loadErr, p.d, p.f = m.err.Error(), nil, nil
		return
	}
	p.loadErr = ""
	if m.d.Len() == 0 {
		p.loadErr = "trace has no spans in " + p.traceSource()
		return
	}
	p.d, p.f = m.d, newFold(m.d)
	p.f.setFilter(p.d, p.input.Value())
	p.f.rebuild(p.d)
	p.cur.Pos = 0
	// Start on the culprit: at 3 AM the proof is what matters.
	if c := p.d.an.Culprit(); c != nil {
		if i, ok := p.d.byID[c.SpanID]; ok {
			p.cur.Pos = p.f.find(p.d, i)
		}
	}
	p.clamp()
}

// selected is the span under the cursor.
func (p *page) selected() (int32, bool) {
	if p.f == nil || p.cur.Pos < 0 || p.cur.Pos >= len(p.f.rows) {
		return 0, false
	}
	return p.f.rows[p.cur.Pos], true
}

// Filterer

func (p *page) Filtering() bool { return p.input.Editing() }

func (p *page) ClearFilter() bool {
	had := p.input.Clear()
	p.setFilter("")
	return had
}

func (p *page) setFilter(q string) {
	if p.d == nil {
		return
	}
	cur, ok := p.selected()
	p.f.setFilter(p.d, q)
	p.f.rebuild(p.d)
	if ok {
		p.cur.Pos = p.f.find(p.d, cur)
	}
	p.clamp()
}

// Copier: the trace id, or the span id when the details have the focus.

func (p *page) CopyTarget() (label, text string, ok bool) {
	if i, ok := p.selected(); ok && p.details == detailsFocused {
		if id := p.d.span(i).SpanID; id != "" {
			return "span id", id, true
		}
	}
	return "trace id", p.id, p.id != ""
}

func (p *page) Title() string { return "trace " + tui.Fit(p.id, 8) }

func (p *page) SetSize(w, h int) {
	p.w, p.h = max(w, 1), max(h, 1)
	p.clamp()
}

func (p *page) ShortHelp() []key.Binding {
	k := p.c.Keys
	if p.d == nil {
		if p.c.Data.Sources.Traces == nil {
			return []key.Binding{k.Copy}
		}
		return []key.Binding{p.keys.refresh, k.Copy}
	}
	return []key.Binding{p.keys.enter, p.keys.compare, p.keys.toggle, p.keys.tab, k.Filter, k.Copy, p.keys.link}
}

func (p *page) FullHelp() [][]key.Binding {
	k := p.c.Keys
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{p.keys.toggle, k.Left, k.Right, p.keys.tab, k.Filter},
		{p.keys.enter, p.keys.link, relabelKey(p.keys.compare, "compare with a healthy trace of the route"), k.Copy, p.keys.refresh},
	}
}

// Compile-time checks of the abilities the app looks for.
var (
	_ tui.Filterer = (*page)(nil)
	_ tui.Copier   = (*page)(nil)
)

// spanRef names the selected span for drill-downs.
func (p *page) spanRef() (*triage.Span, bool) {
	i, ok := p.selected()
	if !ok {
		return nil, false
	}
	return p.d.span(i), true
}

// traceSource names the trace backend: the report's, else the configured
// one.
func (p *page) traceSource() string {
	if r := p.in.Report; r != nil && len(r.Sources) > 0 {
		return triage.TraceSource(r)
	}
	return p.c.Data.Sources.TracesName()
}

// ExploreLink opens the trace in Grafana's datasource of the trace
// backend, over the incident window.
func (p *page) ExploreLink() (string, bool) {
	var start, end time.Time
	if r := p.in.Report; r != nil {
		start, end = r.Window.Start, r.Window.End
	}
	link := p.c.Grafana.ExploreLink(p.traceSource(), p.id, start, end)
	return link, link != ""
}
