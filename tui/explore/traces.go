package explore

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
)

// Trace orders, cycled by the sort key.
const (
	sortRank = iota
	sortLongest
	sortShortest
	nSorts
)

func sortName(o int) string {
	return [...]string{"report rank", "duration, longest first", "duration, shortest first"}[o]
}

// tracesPage lists the incident's sampled failing and slow traces.
type tracesPage struct {
	c      *tui.Common
	in     tui.IncidentRef
	f      tui.TraceFilter
	rows   []triage.TraceRow // filtered by f, in report order
	list   *tui.List
	order  int
	w, h   int
	withID bool
	opened uint64 // the opened traces' version the rows were built at
}

// Traces is the failing and slow traces of the incident in, narrowed by f.
func Traces(c *tui.Common, in tui.IncidentRef, f tui.TraceFilter) tui.PageFunc {
	return func(context.Context) tui.Page { return newTracesPage(c, in, f) }
}

func newTracesPage(c *tui.Common, in tui.IncidentRef, f tui.TraceFilter) *tracesPage {
	p := &tracesPage{c: c, in: in, f: f, list: tui.NewList(c, traceColumns(c.Width)...)}
	if in.Report != nil {
		ev := map[string]bool{}
		if f.Service != "" {
			ev = evidenceOf(in.Report, f.Service)
		}
		for _, t := range in.Report.Traces {
			if keepTrace(t, f, ev) {
				p.rows = append(p.rows, t)
			}
		}
	}
	p.setRows()
	return p
}

// keepTrace applies the page's filter.
func keepTrace(t triage.TraceRow, f tui.TraceFilter, evidence map[string]bool) bool {
	return (f.Service == "" || involves(t, f.Service, evidence)) &&
		(f.User == "" || t.User == f.User) &&
		(!f.Failing || t.Failing)
}

func (p *tracesPage) setRows() {
	p.opened = p.c.Opened.Version()
	sorted := append([]triage.TraceRow(nil), p.rows...)
	switch p.order {
	case sortLongest:
		sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].DurationMS > sorted[j].DurationMS })
	case sortShortest:
		sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].DurationMS < sorted[j].DurationMS })
	}
	rows := make([]tui.Row, 0, len(sorted))
	for _, t := range sorted {
		rows = append(rows, traceRow(p.c, t, p.withID))
	}
	p.list.SetRows(rows)
}

func (p *tracesPage) Init() tea.Cmd { return nil }

func (p *tracesPage) Update(msg tea.Msg) (tui.Page, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return p, nil
	}
	if p.list.Filtering() {
		p.list.Update(k)
		return p, nil
	}
	keys, nav := p.c.Keys, p.c.Nav
	row, selected := p.list.Selected()
	switch {
	case key.Matches(k, keys.Enter):
		if !selected {
			return p, nil
		}
		if nav.Trace == nil {
			return p, unavailable("the trace page")
		}
		return p, tui.Push(nav.Trace(p.in, row.Key))
	case key.Matches(k, keys.Logs):
		if !selected {
			return p, nil
		}
		if nav.Logs == nil {
			return p, unavailable("the logs page")
		}
		return p, tui.Push(nav.Logs(p.in, row.Key, "", nil))
	case key.Matches(k, keys.Compare):
		if !selected {
			return p, nil
		}
		if nav.Compare == nil {
			return p, unavailable("the comparison")
		}
		return p, tui.Push(nav.Compare(p.in, row.Key))
	case key.Matches(k, keys.Toggle):
		p.order = (p.order + 1) % nSorts
		p.setRows()
		return p, tui.Status("traces sorted by "+sortName(p.order), false)
	}
	p.list.Update(k)
	return p, nil
}

func (p *tracesPage) View() string {
	if p.opened != p.c.Opened.Version() {
		p.setRows() // a trace was opened since: mark it
	}
	s := p.c.Styles
	rep := p.in.Report
	var lines []string
	switch {
	case rep == nil:
		lines = []string{" " + s.Title.Render("TRACES") + "  " + s.Faint.Render("the investigation has not finished")}
	case rep.Traces == nil:
		lines = []string{" " + s.Title.Render("TRACES") + "  " +
			tui.Unknown(p.c, triage.TraceSource(rep), sourceReason(rep, triage.TraceSource(rep)), p.w-9)}
	default:
		lines = []string{p.headerLine(), p.filterLine()}
		if len(p.rows) == 0 {
			lines = append(lines, " "+s.Faint.Render(tui.Fit("no sampled trace matches "+p.describeFilter(), p.w-1)))
		} else {
			lines = append(lines, strings.Split(p.list.View(), "\n")...)
		}
	}
	return block(lines, p.w, p.h)
}

func (p *tracesPage) headerLine() string {
	s := p.c.Styles
	failing, slow := 0, 0
	for _, t := range p.rows {
		if t.Failing {
			failing++
		}
		if t.Slow {
			slow++
		}
	}
	sample := ""
	if imp := p.in.Report.Impact; imp != nil && imp.SampledTraces != nil && *imp.SampledTraces > 0 {
		sample = fmt.Sprintf(" · sample of %d traces", *imp.SampledTraces)
	}
	opened := 0
	for _, t := range p.rows {
		if p.c.Opened.Has(t.TraceID) {
			opened++
		}
	}
	line := " " + s.Title.Render("TRACES") + "  " + s.ErrorPath.Render("✖") + fmt.Sprintf(" %d failing · ", failing) +
		s.CriticalPath.Render("◔") + fmt.Sprintf(" %d slow", slow)
	if opened > 0 {
		line += " · " + s.Accent.Render(tui.OpenedMark) + fmt.Sprintf(" %d opened", opened)
	}
	return line + s.Faint.Render(sample)
}

func (p *tracesPage) filterLine() string {
	return " " + p.c.Styles.Faint.Render(tui.Fit(p.describeFilter()+" · sorted by "+sortName(p.order)+
		" ("+p.c.Keys.Toggle.Help().Key+" changes)", p.w-1))
}

// describeFilter says which traces the page holds.
func (p *tracesPage) describeFilter() string {
	var parts []string
	if p.f.Service != "" {
		// The report names each trace's root and error origin only; other
		// services on its path match through the evidence the report cites.
		parts = append(parts, "service "+p.f.Service+" (root, error origin or cited evidence)")
	}
	if p.f.User != "" {
		parts = append(parts, "user "+p.f.User)
	}
	if p.f.Failing {
		parts = append(parts, "failing only")
	}
	if len(parts) == 0 {
		return "all failing and slow traces"
	}
	return strings.Join(parts, " · ")
}

// CopyTarget is the selected trace's id.
func (p *tracesPage) CopyTarget() (string, string, bool) {
	if row, ok := p.list.Selected(); ok {
		return "trace id", row.Key, true
	}
	return "", "", false
}

func (p *tracesPage) Filtering() bool   { return p.list.Filtering() }
func (p *tracesPage) ClearFilter() bool { return p.list.ClearFilter() }

func (p *tracesPage) Title() string {
	switch {
	case p.f.Service != "":
		return "traces · " + p.f.Service
	case p.f.User != "":
		return "traces · " + p.f.User
	}
	return "traces"
}

func (p *tracesPage) SetSize(w, h int) {
	p.w, p.h = w, h
	if withID := w >= 110; withID != p.withID {
		p.withID = withID
		p.setRows()
	}
	p.list.Columns = traceColumns(w)
	p.list.SetSize(w, max(h-2, 2))
}

func (p *tracesPage) ShortHelp() []key.Binding {
	k := p.c.Keys
	return []key.Binding{relabel(k.Enter, "trace"), relabel(k.Logs, "logs"), relabel(k.Compare, "compare"), relabel(k.Toggle, "sort"), k.Filter, k.Copy}
}

func (p *tracesPage) FullHelp() [][]key.Binding {
	k := p.c.Keys
	return [][]key.Binding{navHelp(k), {
		relabel(k.Enter, "open the trace"), relabel(k.Logs, "the trace's logs"), k.Compare,
		relabel(k.Toggle, "sort: report rank, then duration longest first, then shortest first"),
		k.Filter, relabel(k.Copy, "copy the trace id"),
	}}
}
