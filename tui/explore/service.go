package explore

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
)

// The Service page's sections, switched with tab.
const (
	secTraces = iota
	secLogs
	secEdges
	nSections
)

func sectionName(i int) string { return [...]string{"TRACES", "LOGS", "EDGES"}[i] }

// servicePage is one service of an incident: its RED series against the
// baseline, and three sections (its traces, its log patterns, its edges).
type servicePage struct {
	c    *tui.Common
	ctx  context.Context
	in   tui.IncidentRef
	svc  string
	rank *triage.ServiceRank

	w, h    int
	section int
	lists   [nSections]*tui.List
	traces  []triage.TraceRow
	withID  bool
	opened  uint64 // the opened traces' version the trace rows were built at
	logs    []triage.LogPattern

	// metricsWhy, when set, is why no query can run (no source, no window).
	metricsWhy string
	load       *tui.Load
	metrics    *metricsResult
}

// Service is the Service page of svc in the incident in.
func Service(c *tui.Common, in tui.IncidentRef, service string) tui.PageFunc {
	return func(ctx context.Context) tui.Page { return newServicePage(ctx, c, in, service) }
}

func newServicePage(ctx context.Context, c *tui.Common, in tui.IncidentRef, svc string) *servicePage {
	p := &servicePage{c: c, ctx: ctx, in: in, svc: svc, rank: rankOf(in.Report, svc), load: tui.NewLoad(ctx, c)}
	p.lists[secTraces] = tui.NewList(c, traceColumns(c.Width)...)
	p.lists[secLogs] = tui.NewList(c,
		tui.Column{Title: "LEVEL", Width: 5}, tui.Column{Title: "COUNT", Width: 7, Right: true},
		tui.Column{Title: "VS BASE", Width: 7, Right: true}, tui.Column{Title: "PATTERN"})
	p.lists[secEdges] = tui.NewList(c,
		tui.Column{Title: "EDGE", Width: 9}, tui.Column{Title: "SERVICE"},
		tui.Column{Title: "REQ/S", Width: 8, Right: true}, tui.Column{Title: "ERR%", Width: 7, Right: true})
	if rep := in.Report; rep != nil {
		ev := evidenceOf(rep, svc)
		for _, t := range rep.Traces {
			if involves(t, svc, ev) {
				p.traces = append(p.traces, t)
			}
		}
		for _, lp := range rep.LogPatterns {
			if slices.Contains(lp.Services, svc) || p.peer() && namesPeer(lp.Pattern, svc) {
				p.logs = append(p.logs, lp)
			}
		}
	}
	p.setTraceRows()
	p.setLogRows()
	switch {
	case c.Data.Sources.Metrics == nil:
		p.metricsWhy = "not configured"
	case in.Report == nil || in.Report.Window.End.IsZero():
		p.metricsWhy = "no incident window: the investigation has not finished"
	}
	return p
}

func (p *servicePage) setTraceRows() {
	p.opened = p.c.Opened.Version()
	rows := make([]tui.Row, 0, len(p.traces))
	for _, t := range p.traces {
		rows = append(rows, traceRow(p.c, t, p.withID))
	}
	p.lists[secTraces].SetRows(rows)
}

func (p *servicePage) setLogRows() {
	s := p.c.Styles
	rows := make([]tui.Row, 0, len(p.logs))
	for i, lp := range p.logs {
		lvl := lp.Level
		if lvl == "" {
			lvl = "?"
		}
		rows = append(rows, tui.Row{
			Cells:  []string{lvl, triage.Thousands(float64(lp.Count)), vsBaseline(lp), lp.Pattern},
			Styled: map[int]string{0: s.Level(lp.Level).Render(tui.Fit(lvl, 5))},
			Key:    strconv.Itoa(i),
		})
	}
	p.lists[secLogs].SetRows(rows)
}

// vsBaseline is the pattern's tag, or the same rule the engine tags with
// when a report carries none.
func vsBaseline(lp triage.LogPattern) string {
	if lp.Tag != "" {
		return lp.Tag
	}
	// A report from before tags were always set: unknown, never "new".
	return triage.TagNoBaseline
}

func (p *servicePage) setEdgeRows() {
	if p.metrics == nil {
		return
	}
	s := p.c.Styles
	rows := make([]tui.Row, 0, len(p.metrics.edges))
	for i, e := range p.metrics.edges {
		dir := "↓ callee"
		if e.upstream {
			dir = "↑ caller"
		}
		errTxt := "—"
		r := tui.Row{Key: strconv.Itoa(i)}
		if e.errRatio != nil {
			errTxt = fmtPct(*e.errRatio)
			if *e.errRatio > 0 {
				r.Styled = map[int]string{3: s.ErrorPath.Render(errTxt)}
			}
		}
		r.Cells = []string{dir, e.peer, fmtRate(e.reqPerS), errTxt}
		rows = append(rows, r)
	}
	p.lists[secEdges].SetRows(rows)
}

func (p *servicePage) Init() tea.Cmd { return p.reload() }

// reload (re)asks Prometheus; a newer request makes older answers stale.
func (p *servicePage) reload() tea.Cmd {
	if p.metricsWhy != "" {
		return nil
	}
	q := p.c.Data.RED
	if q == (triage.REDQueries{}) {
		q = triage.DefaultREDQueries()
	}
	deadline := p.c.Data.Options.SourceDeadline
	if deadline <= 0 {
		deadline = triage.DefaultOptions().SourceDeadline
	}
	return p.load.Start(fetchMetrics(p.ctx, p.c.Data.Sources.Metrics, q, p.svc, p.peer(), p.in.Report.Window, deadline))
}

func (p *servicePage) Update(msg tea.Msg) (tui.Page, tea.Cmd) {
	if msg, ok := msg.(tea.KeyPressMsg); ok {
		return p, p.key(msg)
	}
	v, ok, cmd := p.load.Update(msg)
	if ok {
		res := v.(metricsResult)
		p.metrics = &res
		p.setEdgeRows()
	}
	return p, cmd
}

func (p *servicePage) key(k tea.KeyPressMsg) tea.Cmd {
	l := p.lists[p.section]
	if l.Filtering() {
		l.Update(k)
		return nil
	}
	keys, nav := p.c.Keys, p.c.Nav
	switch {
	case key.Matches(k, keys.Tab):
		p.section = (p.section + 1) % nSections
	case key.Matches(k, keys.Enter):
		return p.drill()
	case key.Matches(k, keys.Traces):
		if nav.Traces == nil {
			return unavailable("the traces page")
		}
		return tui.Push(nav.Traces(p.in, tui.TraceFilter{Service: p.svc}))
	case key.Matches(k, keys.Logs) && p.section != secEdges:
		return p.openLogs()
	case key.Matches(k, keys.Compare) && p.section == secTraces:
		row, ok := l.Selected()
		switch {
		case !ok:
			return nil
		case nav.Compare == nil:
			return unavailable("the comparison")
		}
		return tui.Push(nav.Compare(p.in, row.Key))
	case key.Matches(k, keys.Refresh):
		return p.reload()
	default:
		l.Update(k)
	}
	return nil
}

// drill opens what the selected row stands for: a trace, a pattern's
// sample trace's logs, or the service at the other end of an edge.
func (p *servicePage) drill() tea.Cmd {
	row, ok := p.lists[p.section].Selected()
	if !ok {
		return nil
	}
	nav := p.c.Nav
	switch p.section {
	case secTraces:
		if nav.Trace == nil {
			return unavailable("the trace page")
		}
		return tui.Push(nav.Trace(p.in, row.Key))
	case secLogs:
		return p.openLogs()
	}
	e, ok := p.selectedEdge()
	if !ok {
		return nil
	}
	if nav.Service == nil {
		return unavailable("the service page")
	}
	return tui.Push(nav.Service(p.in, e.peer))
}

// openLogs opens the logs of the selected trace, or the selected
// pattern's lines across the window.
func (p *servicePage) openLogs() tea.Cmd {
	row, ok := p.lists[p.section].Selected()
	if !ok {
		return nil
	}
	if p.section == secLogs {
		lp, ok := p.selectedPattern()
		switch {
		case !ok:
			return nil
		case p.c.Nav.PatternLines == nil:
			return unavailable("the pattern's lines")
		}
		return tui.Push(p.c.Nav.PatternLines(p.in, lp))
	}
	if p.c.Nav.Logs == nil {
		return unavailable("the logs page")
	}
	return tui.Push(p.c.Nav.Logs(p.in, row.Key, "", nil))
}

func (p *servicePage) selectedPattern() (triage.LogPattern, bool) {
	row, ok := p.lists[secLogs].Selected()
	if i, err := strconv.Atoi(row.Key); ok && err == nil && i < len(p.logs) {
		return p.logs[i], true
	}
	return triage.LogPattern{}, false
}

func (p *servicePage) selectedEdge() (edge, bool) {
	row, ok := p.lists[secEdges].Selected()
	if i, err := strconv.Atoi(row.Key); ok && err == nil && p.metrics != nil && i < len(p.metrics.edges) {
		return p.metrics.edges[i], true
	}
	return edge{}, false
}

// CopyTarget is the id or query behind the selected row.
func (p *servicePage) CopyTarget() (string, string, bool) {
	switch p.section {
	case secTraces:
		if row, ok := p.lists[secTraces].Selected(); ok {
			return "trace id", row.Key, true
		}
	case secLogs:
		if lp, ok := p.selectedPattern(); ok {
			return "log pattern", lp.Pattern, true
		}
	case secEdges:
		if e, ok := p.selectedEdge(); ok {
			return "query", e.query, true
		}
	}
	return "", "", false
}

func (p *servicePage) Filtering() bool   { return p.lists[p.section].Filtering() }
func (p *servicePage) ClearFilter() bool { return p.lists[p.section].ClearFilter() }

func (p *servicePage) Title() string { return p.svc }

func (p *servicePage) SetSize(w, h int) {
	p.w, p.h = w, h
	if withID := w >= 110; withID != p.withID {
		p.withID = withID
		p.setTraceRows()
	}
	p.lists[secTraces].Columns = traceColumns(w)
	for _, l := range p.lists {
		l.SetSize(w, max(h-p.topRows(), 2))
	}
}

func (p *servicePage) ShortHelp() []key.Binding {
	k := p.c.Keys
	enter := [...]string{"trace", "lines", "service"}[p.section]
	return []key.Binding{relabel(k.Enter, enter), relabel(k.Tab, "section"), k.Filter, k.Copy, relabel(k.Traces, "traces")}
}

func (p *servicePage) FullHelp() [][]key.Binding {
	k := p.c.Keys
	enter := [...]string{"open the trace", "the pattern's lines across the window, each with its trace", "open the service at the other end"}[p.section]
	return [][]key.Binding{navHelp(k), {
		relabel(k.Enter, enter), relabel(k.Tab, "next section: traces, logs, edges"), k.Filter,
		relabel(k.Copy, "copy the trace id, pattern or query"), relabel(k.Traces, "all traces of the service"),
		relabel(k.Compare, "compare the selected trace with a healthy one of its route"),
		relabel(k.Logs, "logs of the selected trace, lines of the selected pattern"), relabel(k.Refresh, "re-query prometheus"),
	}}
}

// peer reports an uninstrumented service, seen only through its callers.
func (p *servicePage) peer() bool { return p.rank != nil && p.rank.Uninstrumented }

// namesPeer reports whether a log pattern names peer: an uninstrumented
// database or queue logs nothing, but its callers' lines name it.
func namesPeer(pattern, peer string) bool {
	i := strings.Index(pattern, peer)
	if i < 0 {
		return false
	}
	// A whole word: "ledger-db", not "ledger-dbx".
	word := func(b byte) bool {
		return b == '_' || b == '-' || b == '.' || '0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
	}
	before, after := i == 0 || !word(pattern[i-1]), i+len(peer) >= len(pattern) || !word(pattern[i+len(peer)])
	return before && after
}
