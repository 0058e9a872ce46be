package tui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/triagectl/triage/internal/safe"
)

// Column is one column of a List: a title and a width in cells. A zero
// width takes the room left.
type Column struct {
	Title string
	Width int
	Right bool // right-aligned, for numbers
}

// Row is one list row. Cells are external strings: the list sanitises
// them. Style, when set, colours the whole row; Cells may be prestyled
// through Styled instead.
type Row struct {
	Cells []string
	// Styled, when set, replaces the sanitised and truncated cell at the
	// same index with a ready-made rendering (a coloured role, a symbol…).
	Styled map[int]string
	Style  *lipgloss.Style
	// Key identifies the row for pages (a service name, a trace id).
	Key string
}

// List is a selectable, filterable table that renders only the rows in
// view, so it stays fast at any length.
type List struct {
	c       *Common
	Columns []Column
	rows    []Row
	shown   []int // indexes into rows that pass the filter
	cur     Cursor
	width   int
	height  int
	filter  FilterInput
	blurred bool // the cursor row is drawn as any other
}

// NewList builds an empty list.
func NewList(c *Common, cols ...Column) *List {
	return &List{c: c, Columns: cols, filter: NewFilterInput(c.Keys)}
}

// SetRows replaces the rows, keeping the cursor on the same key if it is
// still there.
func (l *List) SetRows(rows []Row) {
	cur := ""
	if r, ok := l.Selected(); ok {
		cur = r.Key
	}
	l.rows = rows
	l.refilter()
	for i, idx := range l.shown {
		if cur != "" && l.rows[idx].Key == cur {
			l.cur.Pos = i
		}
	}
	l.clamp()
}

// SetFocused says whether the list has the keys: a list without them
// draws its cursor row as any other row, colours kept.
func (l *List) SetFocused(focused bool) { l.blurred = !focused }

// Len is the number of rows shown.
func (l *List) Len() int { return len(l.shown) }

// Selected is the row under the cursor.
func (l *List) Selected() (Row, bool) {
	if l.cur.Pos < 0 || l.cur.Pos >= len(l.shown) {
		return Row{}, false
	}
	return l.rows[l.shown[l.cur.Pos]], true
}

// Cursor is the cursor's position among the rows shown.
func (l *List) Cursor() int { return l.cur.Pos }

// SetSize sets the list's area, header included.
func (l *List) SetSize(w, h int) { l.width, l.height = w, h; l.clamp() }

// Filtering reports whether the filter prompt has the keys.
func (l *List) Filtering() bool { return l.filter.Editing() }

// Filter is the applied filter.
func (l *List) Filter() string { return l.filter.Value() }

// ClearFilter drops the filter; it reports whether there was one.
func (l *List) ClearFilter() bool {
	had := l.filter.Clear()
	l.refilter()
	return had
}

func (l *List) refilter() {
	l.shown = l.shown[:0]
	f := strings.ToLower(l.filter.Value())
	for i, r := range l.rows {
		if f == "" || strings.Contains(strings.ToLower(strings.Join(r.Cells, " ")), f) {
			l.shown = append(l.shown, i)
		}
	}
	l.clamp()
}

func (l *List) bodyHeight() int {
	h := l.height - 1 // column titles
	if l.filter.Active() {
		h--
	}
	return max(h, 1)
}

func (l *List) clamp() { l.cur.Clamp(len(l.shown), l.bodyHeight()) }

// Update moves the cursor and edits the filter. It reports whether it used
// the message.
func (l *List) Update(msg tea.Msg) bool {
	if used, changed := l.filter.Update(msg); used {
		if changed {
			l.refilter()
		}
		l.clamp()
		return true
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return false
	}
	switch {
	case l.cur.Move(l.c.Keys, k, len(l.shown), l.bodyHeight()):
	case key.Matches(k, l.c.Keys.Filter):
		l.filter.Start()
	default:
		return false
	}
	l.clamp()
	return true
}

// widths resolves the zero-width column to the room left.
func (l *List) widths() []int {
	w := make([]int, len(l.Columns))
	used, flex := 0, -1
	for i, c := range l.Columns {
		w[i] = c.Width
		if c.Width == 0 && flex < 0 {
			flex = i
		}
		used += c.Width + 1
	}
	if flex >= 0 {
		w[flex] = max(l.width-used-1, 4)
	}
	return w
}

// View renders the list in its area: titles, rows, and the filter line.
func (l *List) View() string {
	s := l.c.Styles
	w := l.widths()
	var b strings.Builder
	var title []string
	for i, c := range l.Columns {
		title = append(title, cell(c.Title, w[i], c.Right))
	}
	b.WriteString(s.Faint.Render(Truncate(" "+strings.Join(title, " "), l.width, "…")))
	bh := l.bodyHeight()
	for i := l.cur.Offset; i < min(l.cur.Offset+bh, len(l.shown)); i++ {
		r := l.rows[l.shown[i]]
		var cells []string
		for j := range l.Columns {
			v := ""
			if j < len(r.Cells) {
				v = r.Cells[j]
			}
			if st, ok := r.Styled[j]; ok {
				cells = append(cells, padStyled(st, w[j], l.Columns[j].Right))
				continue
			}
			cells = append(cells, cell(v, w[j], l.Columns[j].Right))
		}
		line := " " + strings.Join(cells, " ")
		if i == l.cur.Pos && !l.blurred {
			line = s.Selected.Render("▸" + ansi.Strip(line[1:]))
		} else if r.Style != nil {
			line = r.Style.Render(line)
		}
		b.WriteString("\n" + Truncate(line, l.width, "…"))
	}
	if len(l.shown) == 0 {
		msg := "  (no rows)"
		if l.filter.Value() != "" {
			msg = "  no rows match " + safe.Line(l.filter.Value()) + " — esc clears the filter"
		}
		b.WriteString("\n" + s.Faint.Render(Truncate(msg, l.width, "…")))
	}
	if l.filter.Active() {
		pad := bh - max(min(len(l.shown)-l.cur.Offset, bh), 1)
		b.WriteString(strings.Repeat("\n", pad+1))
		b.WriteString(l.filter.Prompt(s, l.width-12) + s.Faint.Render(" "+itoa(len(l.shown))+"/"+itoa(len(l.rows))))
	}
	return b.String()
}

// cell sanitises, truncates and pads one external string to w cells.
func cell(v string, w int, right bool) string {
	return padStyled(Fit(v, w), w, right)
}

// padStyled pads a (possibly styled) string to w cells.
func padStyled(v string, w int, right bool) string { return Pad(v, w, right) }
