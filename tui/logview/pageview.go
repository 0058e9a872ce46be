package logview

import (
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/triagectl/triage/internal/safe"
	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
)

// View draws the header row and the lines, or the state of the query.
func (p *Page) View() string {
	s := p.c.Styles
	var body []string
	switch {
	case p.c.Data.Sources.Logs == nil:
		body = p.note(s.Faint, "loki is not configured — set sources.loki.url to see a trace's lines")
	case p.load.Loading():
		if spin := p.load.Spinner(); spin != "" {
			body = []string{"  " + spin + s.Faint.Render("querying loki for the lines of trace "+safeFit(p.traceID, 40)+"…")}
		}
	case p.err != nil:
		body = p.note(s.Unknown, "unknown — loki: "+reason(p.err))
		body = append(body, p.note(s.Faint, "query: "+p.query)...)
		body = append(body, p.note(s.Faint, p.retry().Help().Key+" retries · "+p.copyQuery.Help().Key+" copies the query")...)
	case !p.hasLines():
		body = p.note(s.Text, "no log lines for trace "+p.traceID+" in "+timeSpan(p.plan.start, p.plan.end))
		body = append(body, p.note(s.Faint, "query: "+p.query)...)
	default:
		if p.trErr != "" {
			// The page could not narrow the query to the trace's services.
			return tui.FitBlock(p.header()+"\n"+p.trNote()+"\n"+p.v.View(), p.w, p.h)
		}
		return tui.FitBlock(p.header()+"\n"+p.v.View(), p.w, p.h)
	}
	if p.trErr != "" {
		body = append([]string{p.trNote()}, body...)
	}
	return tui.FitBlock(p.header()+"\n"+strings.Join(body, "\n"), p.w, p.h)
}

// note sanitises a message and wraps it to the page's width, indented, in
// a few rows at most: a long query stays readable without taking the page.
func (p *Page) note(st lipgloss.Style, msg string) []string {
	segs, more := wrapLine(safe.Line(msg), max(p.w-4, 8), 4)
	rows := make([]string, len(segs))
	for i, seg := range segs {
		text := seg.text
		if more && i == len(segs)-1 {
			text, _ = fit(text+"…", max(p.w-4, 8))
		}
		indent := "  "
		if i > 0 {
			indent, text = "    ", strings.TrimLeft(text, " ")
		}
		rows[i] = st.Render(indent + text)
	}
	return rows
}

func (p *Page) header() string {
	s := p.c.Styles
	parts := []string{s.Title.Render("LOGS") + " " + s.Text.Render("trace "+shortID(p.traceID))}
	if p.hasLines() {
		v := p.v
		parts = append(parts, s.Text.Render(thousands(v.Total())+plural(v.Total(), " line", " lines")+" · "+
			thousands(v.Services())+plural(v.Services(), " service", " services")))
		// The span comes before the time range: it is why the page opened.
		if p.spanID != "" {
			if p.spanLines > 0 {
				parts = append(parts, s.Accent.Render("◆")+s.Text.Render(" span "+shortID(p.spanID)+": "+thousands(p.spanLines)+plural(p.spanLines, " line", " lines")))
			} else {
				parts = append(parts, s.Faint.Render("span "+shortID(p.spanID)+": no lines"))
			}
		}
		if p.truncated {
			parts = append(parts, s.Estimate.Render("limit "+thousands(triage.TraceLogLimit)+" reached: older lines missing"))
		}
		first, last := v.Range()
		parts = append(parts, s.Faint.Render(first.Format(timeLayout)+"–"+last.Format(timeLayout)))
	}
	return " " + strings.Join(parts, s.Faint.Render(" · "))
}

// shortID is an id as the breadcrumbs write it.
func shortID(id string) string { return safeFit(id, 9) }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// trNote says, in one row, that the trace could not be fetched, so the
// lines asked for are the incident's ranked services'.
func (p *Page) trNote() string {
	return "  " + p.c.Styles.Unknown.Render(tui.Fit("trace not fetched ("+p.trErr+"): lines of the incident's ranked services", p.w-2))
}
