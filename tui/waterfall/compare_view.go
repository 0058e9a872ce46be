package waterfall

import (
	"strconv"
	"strings"
	"time"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
)

// compareHeadRows are the two traces and the legend above the list.
const compareHeadRows = 3

// maxIndent bounds the tree's indent, so deep trees keep their names.
const maxIndent = 6

func compareColumns() []tui.Column {
	return []tui.Column{
		{Title: "", Width: 2},
		{Title: "OPERATION", Width: 0},
		{Title: "FAILING", Width: 9, Right: true},
		{Title: "HEALTHY", Width: 9, Right: true},
		{Title: "Δ", Width: 8, Right: true},
	}
}

func (p *comparePage) listHeight() int { return max(p.h-compareHeadRows, 2) }

// rows are the aligned operations: a mark of what changed (+ only in the
// failing trace, − only in the healthy one; ✖ erroring, ◔ much slower), the
// operation indented at its depth, each trace's time in it and the
// difference.
func (p *comparePage) rows() []tui.Row {
	if p.res == nil {
		return nil
	}
	s := p.c.Styles
	rows := make([]tui.Row, 0, len(p.res.ops))
	for _, op := range p.res.ops {
		mark, styled := " ", " "
		switch {
		case op.New():
			mark, styled = "+", s.Accent.Render("+")
		case op.Missing():
			mark, styled = "−", s.Faint.Render("−")
		}
		switch {
		case op.Erroring():
			mark, styled = mark+"✖", styled+s.ErrorPath.Render("✖")
		case op.MuchSlower():
			mark, styled = mark+"◔", styled+s.CriticalPath.Render("◔")
		default:
			mark, styled = mark+" ", styled+" "
		}
		name := strings.Repeat(" ", min(op.Depth, maxIndent)) + op.Service + " " + op.Name
		delta := "—"
		if op.Failing > 0 && op.Healthy > 0 {
			delta = signed(op.Delta())
		}
		rows = append(rows, tui.Row{
			Cells:  []string{mark, name, side(op.Failing, op.FailingTime), side(op.Healthy, op.HealthyTime), delta},
			Styled: map[int]string{0: styled},
			Key:    op.Service + " " + op.Name,
		})
	}
	return rows
}

// side is one trace's spans of an operation: their time, and how many
// when more than one; — when the trace has none.
func side(n int, d time.Duration) string {
	switch n {
	case 0:
		return "—"
	case 1:
		return tui.Duration(d)
	}
	return strconv.Itoa(n) + "×" + tui.Duration(d)
}

func signed(d time.Duration) string {
	switch {
	case d > 0:
		return "+" + tui.Duration(d)
	case d < 0:
		return "−" + tui.Duration(-d)
	}
	return "0"
}

func (p *comparePage) View() string {
	s := p.c.Styles
	var lines []string
	switch {
	case p.why != "":
		lines = []string{" " + s.Title.Render("COMPARE") + " " + s.Text.Render(tui.Fit(p.id, p.w-10)), "  " + s.Unknown.Render(tui.Fit(p.why, p.w-3))}
	case p.res == nil:
		lines = []string{" " + s.Title.Render("COMPARE") + " " + s.Text.Render(tui.Fit(p.id, p.w-10))}
		if spin := p.load.Spinner(); spin != "" {
			lines = append(lines, "  "+spin+s.Faint.Render("reading the trace and looking for a healthy one of its route…"))
		}
	case p.res.err != nil:
		lines = []string{" " + s.Title.Render("COMPARE") + " " + s.Text.Render(tui.Fit(p.id, p.w-10)),
			"  " + s.Unknown.Render(tui.Fit(p.res.err.Error(), p.w-3)),
			"  " + s.Faint.Render(p.refresh.Help().Key+" reads it again")}
	case p.res.cmp == nil:
		lines = append([]string{p.failingLine()}, p.notFound()...)
	default:
		lines = []string{p.failingLine(), p.healthyLine(), p.legend()}
		return tui.FitBlock(strings.Join(lines, "\n")+"\n"+p.list.View(), p.w, p.h)
	}
	return tui.FitBlock(strings.Join(lines, "\n"), p.w, p.h)
}

// traceLine is one trace: state, short id, what it is (its route, or
// "healthy": the route is the failing trace's), duration and spans.
func (p *comparePage) traceLine(label, what string, an triage.TraceAnalysis, spans int, tail string) string {
	s := p.c.Styles
	sym := s.StateStyle(triage.StateOK).Render("✓")
	switch {
	case an.Failing:
		sym = s.ErrorPath.Render("✖")
	case an.Slow:
		sym = s.CriticalPath.Render("◔")
	}
	id := an.TraceID
	if len(id) > 8 {
		id = id[:8]
	}
	text := id + " " + what + " · " + tui.Duration(an.Duration) + " · " + strconv.Itoa(spans) + " spans" + tail
	return " " + s.Title.Render(tui.Pad(label, 7, false)) + " " + sym + " " + s.Text.Render(tui.Fit(text, p.w-11))
}

func (p *comparePage) failingLine() string {
	an := p.res.failing
	return p.traceLine("COMPARE", an.RootService+" "+an.RootName, an, p.res.spans, "")
}

// healthyLine is the healthy trace and where it was found.
func (p *comparePage) healthyLine() string {
	f := p.res.find
	where := ""
	if f.Search >= 0 && f.Search < len(f.Searches) {
		where = " · " + f.Searches[f.Search].Where + ", nearest of " + strconv.Itoa(f.Candidates)
	}
	return p.traceLine("with", "healthy", p.res.cmp.Healthy, p.res.cmp.HealthySpans, where)
}

func (p *comparePage) legend() string {
	s := p.c.Styles
	sep := s.Faint.Render(" · ")
	return " " + s.ErrorPath.Render("✖") + s.Faint.Render(" erroring") + sep + s.CriticalPath.Render("◔") +
		s.Faint.Render(" ≥2× and +100ms") + sep + s.Accent.Render("+") + s.Faint.Render(" failing only") + sep +
		s.Faint.Render("− healthy only")
}

// notFound says where a healthy trace was looked for, and why none fits.
func (p *comparePage) notFound() []string {
	s := p.c.Styles
	f := p.res.find
	out := []string{"  " + s.Unknown.Render(tui.Fit("no healthy trace of this route was found", p.w-3))}
	for _, hs := range f.Searches {
		line := "searched the " + hs.Where + ": "
		if hs.Err != nil {
			r, _ := triage.ErrorInfo(hs.Err)
			line += p.c.Data.Sources.TracesName() + " failed: " + r
		} else {
			line += strconv.Itoa(hs.Found) + " healthy traces, " + strconv.Itoa(hs.Route) + " of this route"
		}
		out = append(out, "  "+s.Faint.Render(tui.Fit(line, p.w-3)))
	}
	for _, fe := range f.Fetches {
		why := "it failed too"
		if fe.Err != nil {
			why, _ = triage.ErrorInfo(fe.Err)
		}
		out = append(out, "  "+s.Faint.Render(tui.Fit("passed over "+fe.TraceID+": "+why, p.w-3)))
	}
	return append(out, "  "+s.Faint.Render(p.refresh.Help().Key+" searches again"))
}
