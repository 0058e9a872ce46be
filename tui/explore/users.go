package explore

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
)

// usersPage ranks the incident's affected users.
type usersPage struct {
	c      *tui.Common
	in     tui.IncidentRef
	detail []string // the user detail attributes, one column each
	list   *tui.List
	w, h   int
}

// Users ranks the affected users of the incident in.
func Users(c *tui.Common, in tui.IncidentRef) tui.PageFunc {
	return func(context.Context) tui.Page { return newUsersPage(c, in) }
}

func newUsersPage(c *tui.Common, in tui.IncidentRef) *usersPage {
	detail := c.Data.Options.UserDetailAttributes
	if detail == nil { // as the engine reads it: nil is the default, empty is none
		detail = triage.DefaultOptions().UserDetailAttributes
	}
	cols := []tui.Column{{Title: "USER"}, {Title: "FAILED", Width: 6, Right: true}, {Title: "SLOW", Width: 5, Right: true}}
	for _, a := range detail {
		// As wide as its longest value ("enterprise" whole), within reason.
		w := len(attrLabel(a))
		if in.Report != nil {
			for _, u := range in.Report.Users {
				w = max(w, tui.Width(tui.Fit(u.Attributes[a], 16)))
			}
		}
		cols = append(cols, tui.Column{Title: strings.ToUpper(attrLabel(a)), Width: min(max(w, 4), 16)})
	}
	cols = append(cols, tui.Column{Title: "FIRST", Width: 8}, tui.Column{Title: "LAST", Width: 8},
		tui.Column{Title: "TRACES", Width: 6, Right: true})
	p := &usersPage{c: c, in: in, detail: detail, list: tui.NewList(c, cols...)}
	if in.Report != nil {
		rows := make([]tui.Row, 0, len(in.Report.Users))
		for _, u := range in.Report.Users {
			cells := []string{u.ID, u.FailedText(), u.SlowText()}
			for _, a := range detail {
				cells = append(cells, u.Attributes[a])
			}
			cells = append(cells, clock(c, u.FirstSeen), clock(c, u.LastSeen), fmt.Sprint(len(u.TraceIDs)))
			rows = append(rows, tui.Row{Cells: cells, Key: u.ID})
		}
		p.list.SetRows(rows)
	}
	return p
}

// attrLabel is an attribute's last dotted part: user.tier reads "tier".
func attrLabel(a string) string {
	if i := strings.LastIndexByte(a, '.'); i >= 0 && i < len(a)-1 {
		return a[i+1:]
	}
	return a
}

func (p *usersPage) Init() tea.Cmd { return nil }

func (p *usersPage) Update(msg tea.Msg) (tui.Page, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return p, nil
	}
	if !p.list.Filtering() && key.Matches(k, p.c.Keys.Enter) {
		row, ok := p.list.Selected()
		switch {
		case !ok:
			return p, nil
		case p.c.Nav.Traces == nil:
			return p, unavailable("the traces page")
		}
		return p, tui.Push(p.c.Nav.Traces(p.in, tui.TraceFilter{User: row.Key}))
	}
	p.list.Update(k)
	return p, nil
}

func (p *usersPage) View() string {
	s := p.c.Styles
	rep := p.in.Report
	title := " " + s.Title.Render("USERS") + "  "
	var lines []string
	switch {
	case rep == nil:
		lines = []string{title + s.Faint.Render("the investigation has not finished")}
	case rep.Users == nil:
		lines = []string{title + tui.Unknown(p.c, triage.TraceSource(rep), sourceReason(rep, triage.TraceSource(rep)), p.w-8)}
	case len(rep.Users) == 0:
		lines = append(p.estimateLines(title), " "+s.Faint.Render(tui.Fit("no user attribute on any sampled failing or slow trace", p.w-1)))
	default:
		lines = append(p.estimateLines(title), strings.Split(p.list.View(), "\n")...)
	}
	return block(lines, p.w, p.h)
}

// estimateLines say what the rows are and repeat the verdict's impact in
// its words: the users listed (the section's count is the rows' count),
// how many failed and how many were only slow, and the estimate, marked as
// one, with its basis on the next lines.
func (p *usersPage) estimateLines(title string) []string {
	s := p.c.Styles
	rep := p.in.Report
	imp := rep.Impact
	head := s.Text.Render(fmt.Sprintf("%d listed", len(rep.Users)))
	if imp == nil {
		return []string{title + head + " · " + tui.Unknown(p.c, triage.TraceSource(rep), sourceReason(rep, triage.TraceSource(rep)), p.w-8), ""}
	}
	impact := triage.ImpactUsers(imp, func(field string) string { return triage.WhyUnknown(rep, field) })
	lines := []string{head + s.Faint.Render(" · ") + s.Estimate.Render(tui.Fit(impact, p.w))}
	indent := ansi.StringWidth(title)
	out := strings.Split(ansi.Wrap(lines[0], max(p.w-indent-1, 20), " ·"), "\n")
	for i := range out {
		if i == 0 {
			out[i] = title + out[i]
		} else {
			out[i] = strings.Repeat(" ", indent) + out[i]
		}
	}
	if e := imp.UsersEstimate; e != nil && e.Basis != "" {
		out = append(out, p.basisLines("basis: "+e.Basis)...)
		if e.Method != "" {
			out = append(out, p.basisLines("method: "+e.Method)...)
		}
	}
	return out
}

// basisLines wrap the estimate's basis (or method) on up to two rows: it
// is the sentence that says how far to trust the number.
func (p *usersPage) basisLines(line string) []string {
	text := tui.Fit(line, 1<<20) // sanitised, still whole
	lines := strings.Split(ansi.Wrap(text, max(p.w-1, 1), ""), "\n")
	if len(lines) > 2 {
		lines = []string{lines[0], strings.Join(lines[1:], " ")}
	}
	for i, l := range lines {
		lines[i] = " " + p.c.Styles.Faint.Render(fitLine(l, p.w-1))
	}
	return lines
}

// CopyTarget is the selected user's id.
func (p *usersPage) CopyTarget() (string, string, bool) {
	if row, ok := p.list.Selected(); ok {
		return "user id", row.Key, true
	}
	return "", "", false
}

func (p *usersPage) Filtering() bool   { return p.list.Filtering() }
func (p *usersPage) ClearFilter() bool { return p.list.ClearFilter() }
func (p *usersPage) Title() string     { return "users" }

func (p *usersPage) SetSize(w, h int) {
	p.w, p.h = w, h
	head := 1
	if p.in.Report != nil {
		head = len(p.estimateLines(""))
	}
	p.list.SetSize(w, max(h-head, 2))
}

func (p *usersPage) ShortHelp() []key.Binding {
	k := p.c.Keys
	return []key.Binding{relabel(k.Enter, "user's traces"), k.Filter, k.Copy}
}

func (p *usersPage) FullHelp() [][]key.Binding {
	k := p.c.Keys
	return [][]key.Binding{navHelp(k), {relabel(k.Enter, "the user's traces"), k.Filter, relabel(k.Copy, "copy the user id")}}
}
