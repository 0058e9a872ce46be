package logview

import (
	"strconv"
	"strings"

	"github.com/triagectl/triage/internal/safe"
	"github.com/triagectl/triage/tui"
)

const (
	gutterWidth = 2 // the cursor, then the span mark
	timeWidth   = len("15:04:05.000")
	timeLayout  = "15:04:05.000"
)

// traceWidth is the trace column: a short id and the opened mark.
const traceWidth = 9

// layout is where the columns fall at the current width.
type layout struct {
	svcW, textCol, textW int
	time, trace          bool
}

func (v *Viewer) layout() layout {
	l := layout{time: true, trace: v.traces}
	l.svcW = min(max(v.ix.svcWidth, len("SERVICE")), max(8, v.width/6))
	l.textCol = gutterWidth + timeWidth + 1 + l.svcW + 1 + levelWidth + 1
	if l.trace {
		l.textCol += traceWidth + 1
	}
	// On a narrow terminal the line itself matters more than the clock.
	if v.width-l.textCol < 20 {
		l.time = false
		l.textCol -= timeWidth + 1
	}
	l.textW = max(v.width-l.textCol, 1)
	return l
}

// View draws the column titles, the lines in the window, and the filter
// row: its work depends on the window's size, never on the line count.
func (v *Viewer) View() string {
	s := v.c.Styles
	lay := v.layout()
	bh := v.bodyHeight()
	rows := make([]string, 0, v.height)
	rows = append(rows, v.titles(lay))
	n := v.Len()
	for i := v.offset; i < n && len(rows) <= bh; i++ {
		rows = v.appendLine(rows, i, lay, bh+1-len(rows))
	}
	if n == 0 {
		msg := "  (no lines)"
		if v.f.text != "" {
			msg = "  no lines match " + strconv.Quote(v.f.text) + " — esc clears the filter"
			if v.f.pending {
				msg = "  filtering…"
			}
		}
		rows = append(rows, s.Faint.Render(safeFit(msg, v.width)))
	}
	for len(rows) <= bh {
		rows = append(rows, "")
	}
	if v.input.Editing() || v.f.text != "" {
		rows = append(rows, v.filterRow())
	}
	// Below three rows there is no room for everything: the top wins.
	rows = rows[:min(len(rows), v.height)]
	for i, r := range rows {
		rows[i] = tui.Truncate(r, v.width, "")
	}
	return strings.Join(rows, "\n")
}

func (v *Viewer) titles(lay layout) string {
	t := spaces(gutterWidth)
	if lay.time {
		t += pad("TIME", timeWidth) + " "
	}
	if lay.trace {
		t += pad("TRACE", traceWidth) + " "
	}
	t += pad("SERVICE", lay.svcW) + " " + pad("LEVEL", levelWidth) + " LINE"
	if v.wrap {
		t += " (wrapped)"
	}
	return v.c.Styles.Faint.Render(t)
}

// appendLine draws line i of the shown lines in at most room rows.
func (v *Viewer) appendLine(rows []string, i int, lay layout, room int) []string {
	s := v.c.Styles
	e := &v.ix.entries[v.line(i)]
	var segs []segment
	if v.wrap {
		segs, _ = wrapLine(e.text, lay.textW, room)
	} else {
		t, tw := fit(e.text, lay.textW)
		segs = []segment{{t, tw}}
	}
	selected := i == v.cursor
	cur, mark := " ", " "
	if selected {
		cur = "▸"
	}
	if e.mark {
		mark = "◆"
	}
	head := ""
	if lay.time {
		head = e.at.Format(timeLayout) + " "
	}
	svc, lvl := pad(e.service, lay.svcW), pad(e.label, levelWidth)
	trace, traceStyled := "", ""
	if lay.trace {
		id, opened := "—", ""
		if e.traceID != "" {
			id = safe.Line(e.traceID)
			if len(id) > 8 {
				id = id[:8] // hex, one byte a cell
			}
			if v.c.Opened.Has(e.traceID) {
				opened = tui.OpenedMark
			}
		}
		trace = pad(id+opened, traceWidth) + " "
		traceStyled = s.Faint.Render(pad(id, traceWidth-len([]rune(opened)))) + s.Accent.Render(opened) + " "
	}
	for j, seg := range segs {
		var row string
		switch {
		case selected:
			plain := cur + mark + head + trace + svc + " " + lvl + " " + seg.text
			if j > 0 {
				plain = " " + mark + spaces(lay.textCol-gutterWidth) + seg.text
			}
			row = s.Selected.Render(plain + spaces(v.width-lay.textCol-seg.width))
		case j > 0:
			row = " " + s.Accent.Render(mark) + spaces(lay.textCol-gutterWidth) + s.Text.Render(seg.text)
		default:
			row = cur + s.Accent.Render(mark) + s.Faint.Render(head) + traceStyled + svc + " " +
				s.Level(e.level).Render(lvl) + " " + s.Text.Render(seg.text)
		}
		rows = append(rows, row)
	}
	return rows
}

func (v *Viewer) filterRow() string {
	s := v.c.Styles
	count := " " + thousands(v.Len()) + "/" + thousands(v.Total()) + " lines"
	if v.f.pending {
		count += " · filtering…"
	}
	return v.input.Prompt(s, max(v.width-29, 5)) + s.Faint.Render(count)
}

// safeFit sanitises an external string and cuts it to w cells.
func safeFit(str string, w int) string {
	out, _ := fit(safe.Line(str), w)
	return out
}

// thousands writes n with thousands separators, as the rest of the
// console does ("×1,832").
func thousands(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
