package tui

import (
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// Which overlay a panel is.
const (
	panelHelp = iota
	panelSources
)

// panel is an overlay taller than the screen may be (help, the sources
// panel): a title row that stays, and a body that scrolls in bubbles'
// viewport. The sources panel also has a cursor on one of its queries,
// which y copies.
type panel struct {
	kind      int
	title     string
	vp        viewport.Model
	body      panelBody
	cur       int  // the selected target, an index into body.targets
	sec       int  // the section tab went to last
	toSection bool // tab was pressed: scroll to sec again once laid out
	moved     bool // the cursor moved since the last layout: bring it into view
}

// panelBody is a panel's content at one width: its rows, the rows that
// hold a copyable target, and where each section begins.
type panelBody struct {
	lines   []string
	targets []panelTarget
	starts  []int // the first row of each section (a source)
}

// panelTarget is a row the cursor can be on and what y copies from it;
// rows is how many rows it takes (a selected query is drawn whole).
type panelTarget struct {
	row, rows int
	label     string
	text      string
}

func newPanel(kind int, keys *KeyMap) *panel {
	vp := viewport.New()
	// The console's own keys move it (remappable as everywhere else); the
	// viewport's pager keys (space, f, b, d, u) would shadow page keys.
	vp.KeyMap = viewport.KeyMap{}
	return &panel{kind: kind, vp: vp, moved: true}
}

// layout sets the panel's body and size; the rows stay scrolled where
// they were unless the cursor moved out of view.
func (p *panel) layout(title string, b panelBody, w, h int) {
	p.title = title
	p.body = b
	p.vp.SetWidth(w)
	p.vp.SetHeight(max(h-1, 1))
	p.vp.SetContentLines(b.lines)
	if p.toSection && p.sec < len(b.starts) {
		// Again on the new rows: the selected query's may have moved it.
		p.vp.SetYOffset(max(b.starts[p.sec]-1, 0))
	}
	p.toSection = false
	if len(b.targets) > 0 {
		p.cur = min(max(p.cur, 0), len(b.targets)-1)
		if p.moved {
			t := b.targets[p.cur]
			p.ensureVisible(t.row, t.row+t.rows-1)
		}
	}
	p.moved = false
}

// ensureVisible scrolls the least that shows rows from..to, from first
// when they do not all fit.
func (p *panel) ensureVisible(from, to int) {
	top, h := p.vp.YOffset(), p.vp.Height()
	switch {
	case from < top || to-from+1 > h:
		p.vp.SetYOffset(from)
	case to >= top+h:
		p.vp.SetYOffset(to - h + 1)
	}
}

// View is the title row and the rows in view, exactly h rows.
func (p *panel) View(s *Styles, w int) string {
	n, h := p.vp.TotalLineCount(), p.vp.Height()
	pos := ""
	if n > h {
		first := p.vp.YOffset() + 1
		pos = s.Faint.Render(" · rows " + strconv.Itoa(first) + "–" + strconv.Itoa(min(first+h-1, n)) + " of " + strconv.Itoa(n))
	}
	rows := strings.Split(p.vp.View(), "\n")
	return Truncate(p.title+pos, w, "…") + "\n" + strings.Join(rows, "\n")
}

// key moves the panel; it reports whether k was one of its keys.
func (p *panel) key(keys *KeyMap, k tea.KeyPressMsg) bool {
	if p.kind == panelSources && len(p.body.targets) > 0 {
		return p.cursorKey(keys, k)
	}
	switch {
	case key.Matches(k, keys.Up):
		p.vp.ScrollUp(1)
	case key.Matches(k, keys.Down):
		p.vp.ScrollDown(1)
	case key.Matches(k, keys.PageUp):
		p.vp.PageUp()
	case key.Matches(k, keys.PageDown):
		p.vp.PageDown()
	case key.Matches(k, keys.Top):
		p.vp.GotoTop()
	case key.Matches(k, keys.Bottom):
		p.vp.GotoBottom()
	case key.Matches(k, keys.Tab):
		p.nextSection()
	default:
		return false
	}
	return true
}

// cursorKey moves the cursor among the targets; past the first or last,
// the rows above or below it still scroll into view.
func (p *panel) cursorKey(keys *KeyMap, k tea.KeyPressMsg) bool {
	t := p.body.targets
	switch {
	case key.Matches(k, keys.Up):
		if p.cur == 0 {
			p.vp.ScrollUp(1)
			return true
		}
		p.cur--
	case key.Matches(k, keys.Down):
		if p.cur == len(t)-1 {
			p.vp.ScrollDown(1)
			return true
		}
		p.cur++
	case key.Matches(k, keys.PageUp):
		p.vp.PageUp()
		p.cur = p.firstInView()
		return true
	case key.Matches(k, keys.PageDown):
		p.vp.PageDown()
		p.cur = p.firstInView()
		return true
	case key.Matches(k, keys.Top):
		p.vp.GotoTop()
		p.cur = 0
		return true
	case key.Matches(k, keys.Bottom):
		p.vp.GotoBottom()
		p.cur = len(t) - 1
		return true
	case key.Matches(k, keys.Tab):
		p.nextSection()
		p.cur = p.firstInSection()
		p.toSection = true
		return true
	default:
		return false
	}
	p.moved = true
	return true
}

// firstInView is the first target at or below the top row, else the last.
func (p *panel) firstInView() int {
	top := p.vp.YOffset()
	for i, t := range p.body.targets {
		if t.row >= top {
			return i
		}
	}
	return len(p.body.targets) - 1
}

// nextSection scrolls to the next section (after the one the cursor is
// in, or the one at the top), its first row at the top where the rows
// below allow it; from the last, back to the first.
func (p *panel) nextSection() {
	starts := p.body.starts
	if len(starts) == 0 {
		return
	}
	at := p.vp.YOffset()
	if t, ok := p.target(); ok && t.row >= at && t.row < at+p.vp.Height() {
		at = t.row
	}
	p.sec = 0
	for i, s := range starts {
		if s <= at {
			p.sec = i
		}
	}
	p.sec = (p.sec + 1) % len(starts)
	p.vp.SetYOffset(max(starts[p.sec]-1, 0))
}

// firstInSection is the first target of the section nextSection went to;
// the cursor stays where it is when that section has none.
func (p *panel) firstInSection() int {
	from, to := p.body.starts[p.sec], 1<<30
	if p.sec+1 < len(p.body.starts) {
		to = p.body.starts[p.sec+1]
	}
	for i, t := range p.body.targets {
		if t.row >= from && t.row < to {
			return i
		}
	}
	return p.cur
}

// target is what y copies: the query under the cursor.
func (p *panel) target() (panelTarget, bool) {
	if p.kind != panelSources || p.cur < 0 || p.cur >= len(p.body.targets) {
		return panelTarget{}, false
	}
	return p.body.targets[p.cur], true
}

// wrapRows wraps a sanitised string into rows of at most w cells, words
// kept whole where they fit, at most limit rows (the last one cut with …).
func wrapRows(s string, w, limit int) []string {
	rows := strings.Split(ansi.Wrap(s, max(w, 1), ""), "\n")
	if len(rows) > limit {
		rows = rows[:limit]
		rows[limit-1] = Truncate(rows[limit-1]+"…", w, "…")
	}
	for i := range rows {
		rows[i] = Truncate(rows[i], w, "…")
	}
	return rows
}
