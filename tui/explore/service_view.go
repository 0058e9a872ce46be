package explore

import (
	"fmt"
	"strings"
	"time"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
)

// redMinHeight is the page height below which the sparklines give their
// rows to the sections.
const redMinHeight = 14

// topRows are the rows above the section list.
func (p *servicePage) topRows() int {
	if p.h >= redMinHeight {
		return 7
	}
	return 3
}

func (p *servicePage) View() string {
	if p.opened != p.c.Opened.Version() {
		p.setTraceRows() // a trace was opened since: mark it
	}
	lines := []string{p.headerLine(), p.numbersLine()}
	if p.h >= redMinHeight {
		lines = append(lines, p.redLines()...)
	}
	lines = append(lines, p.tabsLine())
	lines = append(lines, strings.Split(p.sectionView(), "\n")...)
	return block(lines, p.w, p.h)
}

// block cuts or pads lines to exactly w×h.
func block(lines []string, w, h int) string {
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		lines[i] = fitLine(l, w)
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

func (p *servicePage) headerLine() string {
	s := p.c.Styles
	line := " " + s.Bold.Render(tui.Fit(p.svc, max(p.w/3, 8))) + "  "
	rep := p.in.Report
	switch {
	case rep == nil:
		return line + s.Faint.Render("the investigation has not finished")
	case rep.Services == nil:
		return line + tui.Unknown(p.c, triage.TraceSource(rep), sourceReason(rep, triage.TraceSource(rep)), p.w)
	case p.rank == nil:
		return line + s.Faint.Render("not among the incident's ranked services")
	}
	r := p.rank
	line += s.Role(r.Role).Render(string(r.Role)) + s.Faint.Render(fmt.Sprintf(" · score %.1f · ", r.Score)) +
		fmt.Sprintf("%d failing · %d slow traces", r.FailingTraces, r.SlowTraces)
	if r.Uninstrumented {
		line += s.Faint.Render(" · uninstrumented: seen through its callers")
	}
	return line
}

// numbersLine is the report's RED numbers for the service; a number that
// could not be measured is a dash, and all of them missing with Prometheus
// down is the source's reason.
func (p *servicePage) numbersLine() string {
	s := p.c.Styles
	r := p.rank
	if r == nil {
		return ""
	}
	if r.ErrorRatio == nil && r.ErrorRatioBaseline == nil && r.FailedPerS == nil && r.P99MS == nil {
		if sourceFailed(p.in.Report, triage.SourcePrometheus) {
			return " " + tui.Unknown(p.c, triage.SourcePrometheus, sourceReason(p.in.Report, triage.SourcePrometheus), p.w-1)
		}
		return " " + s.Faint.Render("err% — · fail/s — · p99 — (prometheus has no RED series for it)")
	}
	num := func(v *float64, f func(float64) string) string {
		if v == nil {
			return "—"
		}
		return f(*v)
	}
	ms := fmtMS
	// The verdict's figures, over the whole window; the series below end
	// with their latest point ("now").
	return fmt.Sprintf(" over the window: err%% %s (baseline %s) · fail/s %s · p99 %s",
		num(r.ErrorRatio, fmtPct), num(r.ErrorRatioBaseline, fmtPct), num(r.FailedPerS, fmtRate), num(r.P99MS, ms))
}

// sparkWidth is the room for each of the two sparklines of a row: label,
// two values and the gaps take the rest.
func (p *servicePage) sparkWidth() int { return max((p.w-29)/2, 4) }

func (p *servicePage) redLines() []string {
	s := p.c.Styles
	sw := p.sparkWidth()
	rep := p.in.Report
	span := func(a, b time.Time) string {
		if a.IsZero() {
			return ""
		}
		return clock(p.c, a)[:5] + "–" + clock(p.c, b)[:5]
	}
	var inc, base string
	if rep != nil {
		inc, base = span(rep.Window.Start, rep.Window.End), span(rep.Window.BaselineStart, rep.Window.BaselineEnd)
	}
	head := " " + s.Title.Render(pad("RED", 6)) + " " + s.Faint.Render(pad("incident "+inc, sw)+" "+lpad("now", 8)+"   "+
		pad("baseline "+base, sw)+" "+lpad("avg", 8))
	out := []string{head}
	for i := range 3 {
		out = append(out, p.redLine(i, sw))
	}
	return out
}

func (p *servicePage) redLine(i, sw int) string {
	s := p.c.Styles
	names := [...]string{"req/s", "err%", "p99"}
	label := " " + pad(names[i], 6) + " "
	rest := p.w - len(label)
	switch {
	case p.metricsWhy != "":
		if i > 0 {
			return ""
		}
		return label + tui.Unknown(p.c, triage.SourcePrometheus, p.metricsWhy, rest)
	case p.load.Loading() || p.metrics == nil:
		if i > 0 || p.load.Spinner() == "" {
			return label
		}
		return label + p.load.Spinner() + s.Faint.Render("querying prometheus")
	}
	l := p.metrics.red[i]
	switch {
	case l.query == "":
		return label + s.Faint.Render("no template for it in the RED queries")
	case l.err != nil:
		return label + tui.Unknown(p.c, triage.SourcePrometheus, errReason(l.err), rest)
	case !l.found:
		// No evidence at all: say exactly which query found nothing.
		return label + s.Faint.Render(tui.Fit("no series for "+p.svc+" in the incident window: "+l.query, rest))
	}
	win := p.in.Report.Window
	cells := min(sw, int(win.End.Sub(win.Start)/triage.ServiceSeries(triage.REDQueries{}, "", win, false).Step)+1)
	inc := Resample(l.incident, win.Start, win.End, cells)
	base := Resample(l.baseline, win.BaselineStart, win.BaselineEnd, cells)
	top := peak(inc, base)
	val := func(v float64, ok bool) string {
		if !ok {
			return "—"
		}
		switch i {
		case 1:
			return fmtPct(v)
		case 2:
			return fmtMS(v * 1000)
		}
		return fmtRate(v)
	}
	now, avg := val(lastValue(l.incident)), val(meanValue(l.baseline))
	return label + s.ErrorPath.Render(pad(Sparkline(inc, top), sw)) + " " + lpad(now, 8) + "   " +
		s.Faint.Render(pad(Sparkline(base, top), sw)) + " " + lpad(avg, 8)
}

func (p *servicePage) tabsLine() string {
	s := p.c.Styles
	counts := [nSections]string{"?", "?", "…"}
	rep := p.in.Report
	if rep != nil && rep.Traces != nil {
		counts[secTraces] = fmt.Sprint(len(p.traces))
	}
	if rep != nil && rep.LogPatterns != nil {
		counts[secLogs] = fmt.Sprint(len(p.logs))
	}
	switch {
	case p.metricsWhy != "" || (p.metrics != nil && p.metrics.edgesErr != nil):
		counts[secEdges] = "?"
	case p.metrics != nil && !p.load.Loading():
		counts[secEdges] = fmt.Sprint(len(p.metrics.edges))
	}
	var parts []string
	for i := range nSections {
		t := sectionName(i) + " " + counts[i]
		if i == p.section {
			parts = append(parts, s.Title.Render("["+t+"]"))
		} else {
			parts = append(parts, s.Faint.Render(" "+t+" "))
		}
	}
	return " " + strings.Join(parts, " ") + s.Faint.Render("  "+p.c.Keys.Tab.Help().Key+" switches")
}

// sectionView is the active section: its list, or why it has none.
func (p *servicePage) sectionView() string {
	s := p.c.Styles
	rep := p.in.Report
	l := p.lists[p.section]
	note := func(text string) string { return " " + s.Faint.Render(tui.Fit(text, p.w-1)) }
	switch p.section {
	case secTraces:
		switch {
		case rep == nil || rep.Traces == nil:
			return " " + tui.Unknown(p.c, triage.TraceSource(rep), sourceReason(rep, triage.TraceSource(rep)), p.w-1)
		case len(p.traces) == 0:
			return note("no sampled failing or slow trace involves " + p.svc)
		}
	case secLogs:
		switch {
		case rep == nil || rep.LogPatterns == nil:
			return " " + tui.Unknown(p.c, triage.SourceLoki, sourceReason(rep, triage.SourceLoki), p.w-1)
		case len(p.logs) == 0:
			return note("no error or warning log pattern from " + p.svc)
		}
	case secEdges:
		switch {
		case p.metricsWhy != "":
			return " " + tui.Unknown(p.c, triage.SourcePrometheus, p.metricsWhy, p.w-1)
		case p.load.Loading() || p.metrics == nil:
			if spin := p.load.Spinner(); spin != "" {
				return " " + spin + s.Faint.Render("querying the service graph")
			}
			return ""
		case p.metrics.edgesErr != nil:
			return " " + tui.Unknown(p.c, triage.SourcePrometheus, errReason(p.metrics.edgesErr), p.w-1)
		case len(p.metrics.edges) == 0:
			return note("no service-graph edges touch " + p.svc + " (" + triage.GraphRequestTotal + ")")
		}
	}
	return l.View()
}

// pad and lpad pad a drawn string to w cells, cutting it when longer.
func pad(v string, w int) string {
	v = tui.Truncate(v, w, "…")
	return v + strings.Repeat(" ", max(w-tui.Width(v), 0))
}

func lpad(v string, w int) string {
	v = tui.Truncate(v, w, "…")
	return strings.Repeat(" ", max(w-tui.Width(v), 0)) + v
}
