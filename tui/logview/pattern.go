package logview

import (
	"context"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/triagectl/triage/internal/safe"
	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
)

// patternPage is one log pattern's lines across the incident window, the
// investigation's own error and warning lines that make it up, each with
// its trace one key away.
type patternPage struct {
	c   *tui.Common
	ctx context.Context
	in  tui.IncidentRef
	pat triage.LogPattern

	copyQuery, openTrace, traceLogs key.Binding

	load   *tui.Load
	why    string // why nothing can be asked (no source, no window)
	err    error
	query  triage.LogQuery
	read   int  // lines the query returned
	capped bool // as many as its limit: older lines may be missing
	v      *Viewer
	w, h   int
}

// patternLoaded is a load's result.
type patternLoaded struct {
	v      *Viewer
	read   int
	capped bool
	err    error
}

// Pattern is the page of pattern pat's lines in the incident in.
func Pattern(c *tui.Common, in tui.IncidentRef, pat triage.LogPattern) tui.PageFunc {
	return func(ctx context.Context) tui.Page {
		p := &patternPage{c: c, ctx: ctx, in: in, pat: pat, w: c.Width, h: max(c.Height-2, 3), load: tui.NewLoad(ctx, c)}
		p.copyQuery = key.NewBinding(key.WithKeys("Y"), key.WithHelp("Y", "copy LogQL"))
		p.openTrace = relabel(c.Keys.Enter, "line's trace")
		p.traceLogs = relabel(c.Keys.Logs, "trace's logs")
		ls := c.Data.Sources.Logs
		switch {
		case ls == nil:
			p.why = "loki is not configured — set sources.loki.url to see a pattern's lines"
		case in.Report == nil || in.Report.Window.End.IsZero():
			p.why = "no incident window: the investigation has not finished"
		default:
			limit := c.Data.Options.LogLimit
			if limit <= 0 {
				limit = triage.DefaultOptions().LogLimit
			}
			// The investigation's own query: the pattern was mined from its
			// answer, and a bundle holds it.
			p.query = triage.ErrorLinesQuery(ls.ServiceLabel(), in.Report.Window, limit)
		}
		return p
	}
}

func relabel(b key.Binding, desc string) key.Binding {
	b.SetHelp(b.Help().Key, desc)
	return b
}

func (p *patternPage) Init() tea.Cmd {
	if p.why != "" {
		return nil
	}
	return p.reload()
}

func (p *patternPage) reload() tea.Cmd {
	p.err, p.v = nil, nil
	ctx, c, ls, q, pat, w, h := p.ctx, p.c, p.c.Data.Sources.Logs, p.query, p.pat, p.w, p.viewerHeight()
	return p.load.Start(func() any {
		read, err := ls.Lines(ctx, q)
		if err != nil {
			return patternLoaded{err: err}
		}
		v := NewViewer(c, triage.PatternLines(read, pat, triage.MinerOptions{}))
		v.ShowTraces()
		v.route = tui.PageIDFrom(ctx)
		v.SetSize(w, h)
		return patternLoaded{v: v, read: len(read), capped: q.Limit > 0 && len(read) >= q.Limit}
	})
}

func (p *patternPage) Update(msg tea.Msg) (tui.Page, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		return p, p.key(k)
	}
	if v, ok, cmd := p.load.Update(msg); ok {
		m := v.(patternLoaded)
		p.v, p.read, p.capped, p.err = m.v, m.read, m.capped, m.err
		if p.v != nil {
			p.v.SetSize(p.w, p.viewerHeight())
		}
		return p, nil
	} else if cmd != nil {
		return p, cmd
	}
	return p, toViewer(p.v, msg)
}

func (p *patternPage) key(k tea.KeyPressMsg) tea.Cmd {
	if p.v != nil && p.v.Filtering() {
		return toViewer(p.v, k)
	}
	switch {
	case key.Matches(k, p.copyQuery) && p.query.Query != "":
		return tea.Batch(tea.SetClipboard(p.query.Query), tui.Status("copied LogQL: "+tui.Fit(p.query.Query, 60), false))
	case key.Matches(k, p.c.Keys.Refresh) && p.why == "":
		return p.reload()
	case key.Matches(k, p.openTrace, p.traceLogs):
		return p.follow(key.Matches(k, p.traceLogs))
	}
	return toViewer(p.v, k)
}

// follow opens the selected line's trace: its waterfall, or its logs at
// the line's span.
func (p *patternPage) follow(logs bool) tea.Cmd {
	if p.v == nil {
		return nil
	}
	id, span, ok := p.v.SelectedTrace()
	switch {
	case !ok:
		return nil
	case id == "":
		return tui.Status("this line carries no trace id", true)
	case logs && p.c.Nav.Logs != nil:
		return tui.Push(p.c.Nav.Logs(p.in, id, span, nil))
	case !logs && p.c.Nav.Trace != nil:
		return tui.Push(p.c.Nav.Trace(p.in, id))
	}
	return tui.Status("that page is not available here", true)
}

func (p *patternPage) View() string {
	s := p.c.Styles
	head := []string{p.header()}
	for _, r := range p.patternRows() {
		head = append(head, " "+s.Faint.Render(r))
	}
	var body []string
	switch {
	case p.why != "":
		body = []string{"  " + s.Faint.Render(tui.Fit(p.why, p.w-2))}
	case p.load.Loading():
		if spin := p.load.Spinner(); spin != "" {
			body = []string{"  " + spin + s.Faint.Render("reading the window's error and warning lines from loki…")}
		}
	case p.err != nil:
		r, _ := triage.ErrorInfo(p.err)
		body = []string{"  " + s.Unknown.Render(tui.Fit("unknown — loki: "+r, p.w-2)),
			"  " + s.Faint.Render(tui.Fit("query: "+p.query.Query, p.w-2)),
			"  " + s.Faint.Render(p.c.Keys.Refresh.Help().Key+" retries · "+p.copyQuery.Help().Key+" copies the query")}
	case p.v.Total() == 0:
		body = []string{"  " + s.Text.Render(tui.Fit("none of the "+strconv.Itoa(p.read)+" error and warning lines read in the window fits this pattern", p.w-2)),
			"  " + s.Faint.Render(tui.Fit("query: "+p.query.Query, p.w-2))}
	default:
		return tui.FitBlock(strings.Join(head, "\n")+"\n"+p.v.View(), p.w, p.h)
	}
	return tui.FitBlock(strings.Join(append(head, body...), "\n"), p.w, p.h)
}

// header is the pattern's level and what its lines carry: how many, of how
// many traces, against the count the verdict shows.
func (p *patternPage) header() string {
	s := p.c.Styles
	sep := s.Faint.Render(" · ")
	lvl := p.pat.Level
	if lvl == "" {
		lvl = "?"
	}
	parts := []string{s.Title.Render("PATTERN") + " " + s.Level(p.pat.Level).Render(tui.Fit(lvl, 8))}
	if p.v != nil && p.v.Total() > 0 {
		n := p.v.Total()
		lines := thousands(n) + plural(n, " line", " lines")
		if n != p.pat.Count {
			// Say so when the lines found are not the count shown: a
			// pattern Loki counted, or a read cut at its limit.
			lines += " (the verdict counts " + thousands(p.pat.Count) + ")"
		}
		parts = append(parts, s.Text.Render(lines))
		switch traces, without := p.v.Traces(); {
		case traces == 0:
			parts = append(parts, s.Text.Render("no line carries a trace id"))
		case without > 0:
			parts = append(parts, s.Text.Render(thousands(traces)+plural(traces, " trace", " traces")+", "+thousands(without)+" without"))
		default:
			parts = append(parts, s.Text.Render(thousands(traces)+plural(traces, " trace", " traces")))
		}
		if p.capped {
			parts = append(parts, s.Estimate.Render("limit "+thousands(p.query.Limit)+" reached: older lines missing"))
		}
		first, last := p.v.Range()
		parts = append(parts, s.Faint.Render(first.Format("15:04:05")+"–"+last.Format("15:04:05")))
	}
	return " " + strings.Join(parts, sep)
}

// patternRows are the pattern's text on at most two rows: wrapped, not
// cut, when it fits in two.
func (p *patternPage) patternRows() []string {
	w := max(p.w-2, 10)
	rows := strings.Split(ansi.Wrap(safe.Line(p.pat.Pattern), w, " "), "\n")
	if len(rows) > 2 {
		rows = []string{rows[0], strings.Join(rows[1:], " ")}
	}
	for i := range rows {
		rows[i] = tui.Fit(strings.TrimRight(rows[i], " "), w)
	}
	return rows
}

// viewerHeight is the room under the header and the pattern's rows.
func (p *patternPage) viewerHeight() int { return max(p.h-1-len(p.patternRows()), 1) }

func (p *patternPage) SetSize(w, h int) {
	p.w, p.h = max(w, 1), max(h, 3)
	if p.v != nil {
		p.v.SetSize(p.w, p.viewerHeight())
	}
}

func (p *patternPage) Title() string { return "pattern" }

func (p *patternPage) ShortHelp() []key.Binding {
	k := p.c.Keys
	if p.v == nil || p.v.Total() == 0 {
		return []key.Binding{p.copyQuery}
	}
	return []key.Binding{p.openTrace, p.traceLogs, k.Filter, k.Wrap, relabel(k.Copy, "copy line"), p.copyQuery}
}

func (p *patternPage) FullHelp() [][]key.Binding {
	k := p.c.Keys
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{relabel(k.Enter, "open the line's trace"), relabel(k.Logs, "the logs of the line's trace, at its span"),
			k.Filter, k.Wrap, relabel(k.Copy, "copy the line"), p.copyQuery, relabel(k.Refresh, "read the lines again")},
	}
}

func (p *patternPage) Filtering() bool   { return p.v != nil && p.v.Filtering() }
func (p *patternPage) ClearFilter() bool { return p.v != nil && p.v.ClearFilter() }

// CopyTarget is the selected line, or the LogQL without one.
func (p *patternPage) CopyTarget() (string, string, bool) {
	if p.v != nil {
		if text, _, ok := p.v.Selected(); ok {
			return "log line", text, true
		}
	}
	return "LogQL", p.query.Query, p.query.Query != ""
}

// ExploreLink opens the query over the window in Grafana Explore.
func (p *patternPage) ExploreLink() (string, bool) {
	link := p.c.Grafana.ExploreLink(triage.SourceLoki, p.query.Query, p.query.Start, p.query.End)
	return link, link != "" && p.query.Query != ""
}

var (
	_ tui.Filterer = (*patternPage)(nil)
	_ tui.Copier   = (*patternPage)(nil)
	_ tui.Linker   = (*patternPage)(nil)
)
