package verdict

import "github.com/triagectl/triage/tui"

// roomy is the page height from which the summary line and the gaps
// between sections are worth their rows.
const roomy = 30

// plan is how the page's rows are shared out.
type plan struct {
	summary bool
	gap     int
	body    [numSections]int // rows under each section's title
}

// headRows is what the header and the impact block take.
func (p *Page) headRows(pl plan) int {
	n := 1 + len(p.impactLines(p.width, false, ""))
	if pl.summary {
		n++
	}
	return n
}

// layout shares the rows: the header, the impact and the services come
// first; users, logs and differences get one or two rows each, then share
// what is left. The focused section gets a few rows before the rest.
func (p *Page) layout() plan {
	pl := plan{summary: p.height >= roomy && p.summary() != ""}
	if p.height >= roomy {
		pl.gap = 1
	}
	avail := p.height - p.headRows(pl) - numSections*(1+pl.gap)
	var want [numSections]int
	for i, s := range p.secs {
		want[i] = s.rowsWanted()
	}
	grow := func(i, upTo int) {
		for avail > 0 && pl.body[i] < min(upTo, want[i]) {
			pl.body[i]++
			avail--
		}
	}
	order := []int{secServices, secUsers, secLogs, secDifferent}
	for _, i := range order {
		grow(i, 1)
		if s := p.secs[i]; s.list.Filtering() || s.list.Filter() != "" {
			grow(i, 2) // the filter line and one row
		}
	}
	grow(secServices, want[secServices])
	if f := p.focused(); f != nil {
		grow(f.kind, 5)
	}
	for _, i := range order[1:] {
		grow(i, 2)
	}
	for avail > 0 {
		grew := false
		for _, i := range order[1:] {
			if avail > 0 && pl.body[i] < want[i] {
				pl.body[i]++
				avail--
				grew = true
			}
		}
		if !grew {
			break
		}
	}
	return pl
}

// relayout sizes the sections' lists and their columns after anything that
// changes them: a size, a snapshot, the focus, a filter.
func (p *Page) relayout() {
	if p.width <= 0 || p.height <= 0 {
		return
	}
	pl := p.layout()
	class := widthClass(p.width)
	for i, s := range p.secs {
		s.list.Columns = p.columns(s, class)
		s.list.SetSize(p.width, pl.body[i]+1)
	}
}

// View draws the page in exactly its area.
func (p *Page) View() string {
	w, h := p.width, p.height
	pl := p.layout()
	spin := p.spinText()
	lines := p.headerLines(w, pl.summary)
	lines = append(lines, p.impactLines(w, p.focus == focusImpact, spin)...)
	for i, s := range p.secs {
		for range pl.gap {
			lines = append(lines, "")
		}
		lines = append(lines, s.view(p.c, w, pl.body[i], p.focus == i, spin)...)
	}
	return tui.FitLines(lines, w, h)
}
