package waterfall

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/triagectl/triage/tui"
)

// headerRows are the trace summary and the status lines above the tree:
// two, or three when the status needs a second line to be read whole.
func (p *page) headerRows() int { return len(p.header()) }

// sideWidth is the page width from which the details sit beside the
// waterfall instead of below it.
const sideWidth = 120

// layout splits the page below the header: the waterfall's width and
// height, and the details box's (zero when hidden or when there is no
// room for it).
func (p *page) layout() (ww, wh, dw, dh int) {
	ww, wh = p.w, max(p.h-p.headerRows(), 1)
	if p.details == detailsHidden {
		return ww, wh, 0, 0
	}
	if p.w >= sideWidth {
		dw = min(max(p.w*2/5, 40), 72)
		return p.w - dw - 1, wh, dw, wh
	}
	dh = min(max(wh/4, 5), wh-5)
	if dh < 4 {
		return ww, wh, 0, 0
	}
	return ww, wh - dh, p.w, dh
}

func (p *page) detailsBox() (int, int) { _, _, dw, dh := p.layout(); return dw, dh }

// rowsHeight is the number of span rows in view: the waterfall area less
// its column titles and the filter line.
func (p *page) rowsHeight() int {
	_, wh, _, _ := p.layout()
	h := wh - 1
	if p.input.Active() {
		h--
	}
	return max(h, 1)
}

// View draws the header, then the waterfall with the details beside or
// below it, exactly w×h.
func (p *page) View() string {
	lines := make([]string, 0, p.h+3)
	lines = append(lines, p.header()...)
	if p.d == nil {
		lines = append(lines, p.stateLines()...)
	}
	for k := range lines {
		lines[k] = pad(lines[k], p.w)
	}
	if p.d != nil {
		// The waterfall and the details come padded to their widths.
		ww, wh, dw, dh := p.layout()
		wf := p.waterfall(ww, wh)
		var det []string
		if dw > 0 {
			det = p.detailsView(dw, dh)
		}
		if dw > 0 && dw < p.w {
			sep := p.c.Styles.Border.Render("│")
			for k := range wf {
				lines = append(lines, wf[k]+sep+det[k])
			}
		} else {
			lines = append(append(lines, wf...), det...)
		}
	}
	for blank := strings.Repeat(" ", p.w); len(lines) < p.h; {
		lines = append(lines, blank)
	}
	return strings.Join(lines[:p.h], "\n")
}

// stateLines is the body while the trace is loading or cannot be shown.
func (p *page) stateLines() []string {
	s := p.c.Styles
	switch {
	case p.load.Loading() && p.load.Spinner() != "":
		return []string{" " + p.load.Spinner() + s.Faint.Render("fetching the trace from "+p.traceSource()+"…")}
	case p.load.Loading():
		return nil
	}
	hint := "esc goes back"
	if p.c.Data.Sources.Traces != nil {
		hint = p.c.Keys.Refresh.Help().Key + " refetches · " + hint
	}
	return []string{" " + s.Unknown.Render(tui.Fit("✖ "+p.loadErr, p.w-2)), " " + s.Faint.Render(hint)}
}

// header is the trace's summary and the status line.
func (p *page) header() []string {
	s := p.c.Styles
	id := p.id
	if p.w < sideWidth && len(id) > 16 {
		id = id[:16] + "…"
	}
	top := " " + s.Title.Render("TRACE") + " " + s.Text.Render(tui.Fit(id, 40))
	if p.d == nil {
		return []string{trunc(top, p.w), ""}
	}
	a := &p.d.an
	top += s.Faint.Render(" · ") + s.Text.Render(tui.Fit(a.RootService+" "+a.RootName, max(p.w/3, 10))) +
		s.Faint.Render(" · "+tui.Duration(p.d.duration())+" · "+strconv.Itoa(len(p.d.trace.Spans))+" spans")
	if p.d.trace.Partial {
		top += s.Unknown.Render(" · partial: " + tui.Fit(p.d.trace.Message, 40))
	}
	var st string
	switch c := a.Culprit(); {
	case c != nil:
		who := c.Caller
		if c.Peer {
			who += " → " + c.Service
		}
		st = s.ErrorPath.Render("✖ failing at "+tui.Fit(who, 40)) + s.Faint.Render(": ") + s.Text.Render(tui.Fit(c.Message, p.w))
	case a.Failing:
		st = s.ErrorPath.Render("✖ failing") + s.Faint.Render(": ") + s.Text.Render(tui.Fit(a.RootMessage, p.w))
	case len(a.Origins) > 0:
		st = s.Text.Render("✓ ok") + s.Faint.Render(" · "+strconv.Itoa(len(a.Origins))+" tolerated errors")
	default:
		st = s.Text.Render("✓ ok")
	}
	if an := anomalies(p.d); an != "" {
		st = s.Unknown.Render("⚠ repaired "+an) + s.Faint.Render(" · ") + st
	}
	legend := s.Faint.Render("◆ origin ! error path ┃ critical ✖ error")
	lw := tui.Width(legend)
	// The status is the answer: it wraps onto a second line rather than
	// lose its end. The legend takes the room left, where there is some:
	// in mono it is what the markers mean.
	if tui.Width(st)+2+lw <= p.w {
		return []string{trunc(top, p.w), pad(" "+st, p.w-lw-1) + " " + legend}
	}
	rows := strings.Split(ansi.Wrap(st, max(p.w-3, 10), ""), "\n")
	if len(rows) > 2 {
		rows = []string{rows[0], trunc(strings.Join(rows[1:], " "), p.w-3)}
	}
	out := []string{trunc(top, p.w)}
	for k, r := range rows {
		lead := " "
		if k > 0 {
			lead = "   "
		}
		out = append(out, trunc(lead+r, p.w))
	}
	switch last := len(out) - 1; {
	case tui.Width(out[last])+1+lw <= p.w:
		out[last] = pad(out[last], p.w-lw-1) + " " + legend
	case tui.Width(out[0])+2+lw <= p.w:
		out[0] = pad(out[0], p.w-lw-1) + " " + legend
	case p.h >= 30:
		out = append(out, pad("", p.w-lw-1)+" "+legend)
	}
	return out
}

// anomalies says what the engine had to repair in the tree.
func anomalies(d *traceData) string {
	a := d.an.Anomalies
	var parts []string
	add := func(n int, what string) {
		if n > 0 {
			parts = append(parts, strconv.Itoa(n)+" "+what)
		}
	}
	add(a.MissingParents, "missing parents")
	add(a.Cycles, "cycles")
	add(a.DuplicateIDs, "duplicate ids")
	return strings.Join(parts, ", ")
}

// columns are the waterfall's column widths: the name column takes what
// the others leave, and the bar gives way first on narrow screens.
type columns struct{ gutter, name, service, dur, bar int }

func (p *page) columns(ww int) columns {
	c := columns{gutter: 4, dur: 7}
	longest := 0
	for _, i := range p.f.rows[p.cur.Offset:min(p.cur.Offset+p.rowsHeight(), len(p.f.rows))] {
		longest = max(longest, tui.Width(tui.Fit(p.d.span(i).Service(), 24)))
	}
	c.service = min(max(longest, 7), 16, max(ww/6, 7))
	c.bar = min(max(ww*28/100, 8), 60)
	c.name = ww - c.gutter - c.service - c.dur - c.bar - 3
	if c.name < 16 {
		c.bar = max(c.bar-(16-c.name), 0)
		c.name = ww - c.gutter - c.service - c.dur - c.bar - 3
	}
	c.name = max(c.name, 4)
	return c
}

// waterfall draws the column titles, the rows in view and the filter line.
func (p *page) waterfall(ww, wh int) []string {
	s := p.c.Styles
	col := p.columns(ww)
	out := make([]string, 0, wh)
	scale := ""
	if col.bar > 0 {
		total := tui.Duration(p.d.duration())
		scale = "0" + strings.Repeat(" ", max(col.bar-1-len(total), 1)) + total
	}
	out = append(out, s.Faint.Render(trunc(strings.Repeat(" ", col.gutter)+pad("SPAN", col.name)+" "+pad("SERVICE", col.service)+" "+
		padLeft("DUR", col.dur)+" "+scale, ww)))
	rh := p.rowsHeight()
	end := min(p.cur.Offset+rh, len(p.f.rows))
	for k := p.cur.Offset; k < end; k++ {
		out = append(out, p.row(k, col, ww))
	}
	if len(p.f.rows) == 0 {
		out = append(out, s.Faint.Render(tui.Fit("  no span matches "+p.input.Value()+" — esc clears the filter", ww)))
	}
	if p.input.Active() {
		for len(out) < wh-1 {
			out = append(out, "")
		}
		out = append(out, trunc(p.input.Prompt(s, ww-19)+
			s.Faint.Render(" "+strconv.Itoa(len(p.f.rows))+"/"+strconv.Itoa(len(p.d.trace.Spans))+" spans"), ww))
	}
	for len(out) < wh {
		out = append(out, "")
	}
	for k := range out {
		out[k] = pad(out[k], ww)
	}
	return out[:wh]
}

// row draws one span: cursor, error and critical markers, tree guides,
// fold state, name, service, duration and its bar on the trace's scale.
func (p *page) row(k int, col columns, ww int) string {
	s := p.c.Styles
	i := p.f.rows[k]
	sp := p.d.span(i)
	m := p.d.mark[i]

	errMark, critMark := " ", " "
	switch {
	case m&markOrigin != 0:
		errMark = s.ErrorPath.Render("◆")
	case m&markPath != 0:
		errMark = s.ErrorPath.Render("!")
	}
	if m&markCritical != 0 {
		critMark = s.CriticalPath.Render("┃")
	}
	cur := " "
	if k == p.cur.Pos {
		cur = "▸"
	}

	guide := p.guide(i, col.name/4)
	glyph := "─ "
	switch {
	case p.d.hasKids(i) && p.f.collapsed[i]:
		glyph = "▸ "
	case p.d.hasKids(i):
		glyph = "▾ "
	case p.d.depth[i] == 0:
		glyph = "• "
	}
	suffix := ""
	if p.d.hasKids(i) && p.f.collapsed[i] {
		suffix = " +" + strconv.Itoa(p.f.hidden(p.d, i)) + " spans"
	}
	errGlyph := ""
	if m&markError != 0 {
		errGlyph = "✖ "
	}
	nameStyle := s.Text
	switch {
	case m&(markPath|markError) != 0:
		nameStyle = s.ErrorPath
	case m&markCritical != 0:
		nameStyle = s.CriticalPath
	}
	room := col.name - tui.Width(guide+glyph+errGlyph+suffix)
	name := s.Faint.Render(guide+glyph) + nameStyle.Render(errGlyph+tui.Fit(sp.Name, max(room, 1))) + s.Faint.Render(suffix)

	barStyle := s.Text
	switch {
	case m&(markPath|markError) != 0:
		barStyle = s.ErrorPath
	case m&markCritical != 0:
		barStyle = s.CriticalPath
	}
	left := cur + errMark + critMark + " " + pad(trunc(name, col.name), col.name) + " " +
		s.Faint.Render(pad(tui.Fit(sp.Service(), col.service), col.service)) + " " +
		s.Text.Render(padLeft(tui.Duration(sp.Duration()), col.dur)) + " "
	b := barStyle.Render(bar(p.d.start[i], p.d.end[i], p.d.t0, p.d.t1, col.bar))
	if k == p.cur.Pos {
		// The cursor marks the span's words; the bar keeps its colour, so
		// the error path still reads on the selected row.
		return s.Selected.Render(ansi.Strip(left)) + pad(b, max(ww-tui.Width(left), 0))
	}
	return left + b
}

// guide draws the tree lines left of a span, at most levels deep: deeper
// spans show their nearest levels after a "…".
func (p *page) guide(i int32, levels int) string {
	d := int(p.d.depth[i])
	if d == 0 {
		return ""
	}
	levels = max(levels, 2)
	show, cut := d, false
	if d > levels {
		show, cut = levels-1, true
	}
	parts := make([]string, show)
	parts[show-1] = "├─"
	if p.f.last[i] {
		parts[show-1] = "└─"
	}
	a := p.d.parent(i)
	for k := show - 2; k >= 0 && a >= 0; k-- {
		parts[k] = "│ "
		if p.f.last[a] {
			parts[k] = "  "
		}
		a = p.d.parent(a)
	}
	g := strings.Join(parts, "")
	if cut {
		g = "… " + g
	}
	return g
}

// trunc cuts a styled string to w cells.
func trunc(s string, w int) string { return tui.Truncate(s, max(w, 0), "…") }

// pad cuts or pads a styled string to exactly w cells.
func pad(s string, w int) string {
	s = trunc(s, w)
	if n := w - tui.Width(s); n > 0 {
		return s + strings.Repeat(" ", n)
	}
	return s
}

func padLeft(s string, w int) string {
	s = trunc(s, w)
	if n := w - tui.Width(s); n > 0 {
		return strings.Repeat(" ", n) + s
	}
	return s
}
