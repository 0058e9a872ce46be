package sshconsole

import (
	"context"
	"slices"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/triagectl/triage/serve"
	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
)

// IncidentsChangedMsg tells a session's pages that the daemon's incidents
// changed (a pre-warm finished, an alert arrived or resolved). It carries
// no data: pages read the store again, so a session that missed some
// events still converges.
type IncidentsChangedMsg struct {
	// IDs are the incidents that changed, sorted.
	IDs []string
	// Heartbeat is set when the alert pipeline's heartbeat changed.
	Heartbeat bool
}

// Has reports whether incident id is among the changed ones.
func (m IncidentsChangedMsg) Has(id string) bool {
	_, ok := slices.BinarySearch(m.IDs, id)
	return ok
}

// listPage is the incident list, reloaded from the store whenever the
// daemon's incidents change.
type listPage struct {
	tui.Page
	// loaded: the list was built with the alerts already read, so its
	// first load is skipped.
	loaded bool
}

func liveList(inner tui.PageFunc, loaded bool) tui.PageFunc {
	return func(ctx context.Context) tui.Page { return &listPage{Page: inner(ctx), loaded: loaded} }
}

func (p *listPage) Init() tea.Cmd {
	if p.loaded {
		return nil
	}
	return p.Page.Init()
}

func (p *listPage) Update(msg tea.Msg) (tui.Page, tea.Cmd) {
	if m, ok := msg.(IncidentsChangedMsg); ok {
		if len(m.IDs) == 0 {
			return p, nil
		}
		// The list loads in Init; running it again is the reload, and
		// the list keeps the selection on the same row.
		return p, p.Page.Init()
	}
	np, cmd := p.Page.Update(msg)
	p.Page = np
	return p, cmd
}

func (p *listPage) Filtering() bool   { return asFilterer(p.Page).Filtering() }
func (p *listPage) ClearFilter() bool { return asFilterer(p.Page).ClearFilter() }
func (p *listPage) Commands() []string {
	if c, ok := p.Page.(tui.Commander); ok {
		return c.Commands()
	}
	return nil
}
func (p *listPage) RunCommand(name string) (tea.Cmd, bool) {
	if c, ok := p.Page.(tui.Commander); ok {
		return c.RunCommand(name)
	}
	return nil, false
}

// verdictPage is an incident's verdict that swaps in the daemon's newer
// report when a pre-warm finishes while it is open.
type verdictPage struct {
	inner   tui.Page
	ctx     context.Context
	cancel  context.CancelFunc
	build   func(rep *triage.Report) tui.PageFunc
	store   Store
	id      string    // incident id; "" follows nothing
	shownAt time.Time // when the report shown was stored; zero for none
	req     int
	pending *serve.Incident // a newer report held while a filter is typed
	w, h    int
}

// reportMsg is a re-read of the page's incident.
type reportMsg struct {
	owner *verdictPage
	req   int
	in    serve.Incident
	err   error
}

func liveVerdict(store Store, id string, rep *triage.Report, reportAt time.Time, build func(*triage.Report) tui.PageFunc) tui.PageFunc {
	return func(ctx context.Context) tui.Page {
		p := &verdictPage{ctx: ctx, build: build, store: store, id: id}
		if rep != nil {
			p.shownAt = reportAt
		}
		p.mount(rep)
		return p
	}
}

// mount builds the verdict under its own context, so swapping a report in
// cancels the old page's investigation.
func (p *verdictPage) mount(rep *triage.Report) {
	if p.cancel != nil {
		p.cancel()
	}
	ctx, cancel := context.WithCancel(p.ctx)
	p.inner, p.cancel = p.build(rep)(ctx), cancel
	if p.w > 0 {
		p.inner.SetSize(p.w, p.h)
	}
}

func (p *verdictPage) Init() tea.Cmd { return p.inner.Init() }

func (p *verdictPage) Update(msg tea.Msg) (tui.Page, tea.Cmd) {
	switch m := msg.(type) {
	case IncidentsChangedMsg:
		if p.id == "" || !m.Has(p.id) {
			return p, nil
		}
		p.req++
		owner, req, store, id, ctx := p, p.req, p.store, p.id, p.ctx
		return p, func() tea.Msg {
			ctx, cancel := context.WithTimeout(ctx, readTimeout)
			defer cancel()
			in, err := store.Incident(ctx, id)
			return reportMsg{owner: owner, req: req, in: in, err: err}
		}
	case reportMsg:
		if m.owner != p || m.req != p.req || m.err != nil || m.in.Report == nil || !m.in.ReportAt.After(p.shownAt) {
			return p, nil
		}
		p.pending = &m.in
		return p, p.swap()
	case tea.KeyPressMsg:
		np, cmd := p.inner.Update(msg)
		p.inner = np
		return p, tea.Batch(cmd, p.swap())
	}
	np, cmd := p.inner.Update(msg)
	p.inner = np
	return p, cmd
}

// swap shows the pending report, unless the user is typing a filter:
// then it waits for the next key.
func (p *verdictPage) swap() tea.Cmd {
	if p.pending == nil || asFilterer(p.inner).Filtering() {
		return nil
	}
	in := *p.pending
	p.pending, p.shownAt = nil, in.ReportAt
	p.mount(in.Report)
	return tea.Batch(p.inner.Init(), tui.Status("pre-warmed report updated ("+in.ReportAt.Format("15:04:05")+")", false))
}

func (p *verdictPage) View() string              { return p.inner.View() }
func (p *verdictPage) SetSize(w, h int)          { p.w, p.h = w, h; p.inner.SetSize(w, h) }
func (p *verdictPage) ShortHelp() []key.Binding  { return p.inner.ShortHelp() }
func (p *verdictPage) FullHelp() [][]key.Binding { return p.inner.FullHelp() }
func (p *verdictPage) Title() string             { return p.inner.Title() }

// The verdict's optional abilities pass through, so the app finds them.

func (p *verdictPage) Report() *triage.Report {
	if inc, ok := p.inner.(tui.Incident); ok {
		return inc.Report()
	}
	return nil
}

func (p *verdictPage) Alert() triage.Alert {
	if inc, ok := p.inner.(tui.Incident); ok {
		return inc.Alert()
	}
	return triage.Alert{}
}

func (p *verdictPage) Filtering() bool   { return asFilterer(p.inner).Filtering() }
func (p *verdictPage) ClearFilter() bool { return asFilterer(p.inner).ClearFilter() }

func (p *verdictPage) CopyTarget() (string, string, bool) {
	if c, ok := p.inner.(tui.Copier); ok {
		return c.CopyTarget()
	}
	return "", "", false
}

func (p *verdictPage) ExploreLink() (string, bool) {
	if l, ok := p.inner.(tui.Linker); ok {
		return l.ExploreLink()
	}
	return "", false
}

func (p *verdictPage) Commands() []string {
	if c, ok := p.inner.(tui.Commander); ok {
		return c.Commands()
	}
	return nil
}

func (p *verdictPage) RunCommand(name string) (tea.Cmd, bool) {
	if c, ok := p.inner.(tui.Commander); ok {
		return c.RunCommand(name)
	}
	return nil, false
}

type noFilter struct{}

func (noFilter) Filtering() bool   { return false }
func (noFilter) ClearFilter() bool { return false }

func asFilterer(p tui.Page) tui.Filterer {
	if f, ok := p.(tui.Filterer); ok {
		return f
	}
	return noFilter{}
}

var (
	_ tui.Page      = (*listPage)(nil)
	_ tui.Filterer  = (*listPage)(nil)
	_ tui.Commander = (*listPage)(nil)
	_ tui.Page      = (*verdictPage)(nil)
	_ tui.Incident  = (*verdictPage)(nil)
	_ tui.Filterer  = (*verdictPage)(nil)
	_ tui.Copier    = (*verdictPage)(nil)
	_ tui.Linker    = (*verdictPage)(nil)
	_ tui.Commander = (*verdictPage)(nil)
)
