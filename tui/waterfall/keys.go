package waterfall

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/triagectl/triage/tui"
)

// key handles a key press: the filter prompt takes every key while it is
// open; otherwise the movement keys go to the waterfall or, when it has
// the focus, to the details panel.
func (p *page) key(k tea.KeyPressMsg) tea.Cmd {
	if p.filtering {
		p.filterKey(k)
		return nil
	}
	keys := p.c.Keys
	switch {
	case key.Matches(k, p.keys.refresh) && p.c.Data.Sources.Traces != nil:
		return p.fetch()
	case key.Matches(k, keys.Filter) && p.d != nil:
		p.filtering = true
		return nil
	case key.Matches(k, p.keys.tab) && p.d != nil:
		p.details = (p.details + 1) % 3
		p.dOffset = 0
		p.clamp()
		return nil
	}
	if p.d == nil {
		return nil
	}
	if p.details == detailsFocused && p.scrollDetails(k) {
		return nil
	}
	switch {
	case key.Matches(k, keys.Up):
		p.move(-1)
	case key.Matches(k, keys.Down):
		p.move(1)
	case key.Matches(k, keys.PageUp):
		p.move(-p.rowsHeight())
	case key.Matches(k, keys.PageDown):
		p.move(p.rowsHeight())
	case key.Matches(k, keys.Top):
		p.move(-len(p.f.rows))
	case key.Matches(k, keys.Bottom):
		p.move(len(p.f.rows))
	case key.Matches(k, p.keys.toggle):
		p.toggle()
	case key.Matches(k, keys.Left):
		p.left()
	case key.Matches(k, keys.Right):
		p.right()
	case key.Matches(k, p.keys.enter):
		return p.openLogs()
	case key.Matches(k, p.keys.link):
		return p.openLink()
	}
	return nil
}

// filterKey edits the filter as text: keys are not bindings here, so a
// service name may contain j, k or q.
func (p *page) filterKey(k tea.KeyPressMsg) {
	switch k.String() {
	case "enter":
		p.filtering = false
	case "esc":
		p.ClearFilter()
	case "backspace":
		if r := []rune(p.filter); len(r) > 0 {
			p.setFilter(string(r[:len(r)-1]))
		}
	default:
		if k.Text != "" {
			p.setFilter(p.filter + k.Text)
		}
	}
}

func (p *page) move(n int) {
	p.cursor += n
	p.dOffset = 0
	p.clamp()
}

// clamp keeps the cursor on a row and the row in view.
func (p *page) clamp() {
	if p.f == nil {
		return
	}
	p.cursor = min(max(p.cursor, 0), max(len(p.f.rows)-1, 0))
	rh := p.rowsHeight()
	if p.cursor < p.offset {
		p.offset = p.cursor
	}
	if p.cursor >= p.offset+rh {
		p.offset = p.cursor - rh + 1
	}
	p.offset = max(min(p.offset, len(p.f.rows)-rh), 0)
}

// refold rebuilds the rows after a fold, keeping the cursor on its span.
func (p *page) refold(cur int32) {
	p.f.rebuild(p.d)
	p.cursor = p.f.find(p.d, cur)
	p.clamp()
}

func (p *page) toggle() {
	i, ok := p.selected()
	if !ok || !p.d.hasKids(i) {
		return
	}
	p.f.collapsed[i] = !p.f.collapsed[i]
	p.refold(i)
}

// left collapses an open span, else goes to its parent.
func (p *page) left() {
	i, ok := p.selected()
	if !ok {
		return
	}
	if p.d.hasKids(i) && !p.f.collapsed[i] {
		p.f.collapsed[i] = true
		p.refold(i)
		return
	}
	if par := p.d.parent(i); par >= 0 {
		p.cursor = p.f.find(p.d, par)
		p.clamp()
	}
}

// right expands a collapsed span, else goes to its first child.
func (p *page) right() {
	i, ok := p.selected()
	if !ok || !p.d.hasKids(i) {
		return
	}
	if p.f.collapsed[i] {
		p.f.collapsed[i] = false
		p.refold(i)
		return
	}
	if p.cursor+1 < len(p.f.rows) && p.d.parent(p.f.rows[p.cursor+1]) == i {
		p.move(1)
	}
}

// openLogs drills into the trace's logs, positioned at the span.
func (p *page) openLogs() tea.Cmd {
	s, ok := p.spanRef()
	if !ok {
		return nil
	}
	if p.c.Nav.Logs == nil {
		return tui.Status("logs are not available here: no log source is wired", true)
	}
	return tui.Push(p.c.Nav.Logs(p.in, p.id, s.SpanID, p.d.trace))
}

// openLink follows the selected span's link: within this trace it moves
// the cursor; to another trace it pushes that trace's page; with several
// links it lists them.
func (p *page) openLink() tea.Cmd {
	s, ok := p.spanRef()
	if !ok {
		return nil
	}
	switch len(s.Links) {
	case 0:
		return tui.Status("this span has no links", true)
	case 1:
		return p.follow(s.Links[0].TraceID, s.Links[0].SpanID)
	}
	return tui.Push(newLinksPage(p, s))
}

// follow goes to a linked span: in this trace, the cursor moves to it,
// unfolding what hides it; in another, that trace's page is pushed.
func (p *page) follow(traceID, spanID string) tea.Cmd {
	if traceID == "" || traceID == p.id {
		if i, ok := p.d.byID[spanID]; ok {
			if p.f.pass != nil && !p.f.pass[i] {
				p.filter = "" // the filter hides the target: drop it
				p.f.setFilter(p.d, "")
			}
			for a := p.d.parent(i); a >= 0; a = p.d.parent(a) {
				p.f.collapsed[a] = false
			}
			p.refold(i)
			return nil
		}
		return tui.Status("the linked span is not in this trace", true)
	}
	if p.c.Nav.Trace == nil {
		return tui.Status("linked traces are not available here", true)
	}
	return tui.Push(p.c.Nav.Trace(p.in, traceID))
}

// scrollDetails moves the focused details panel; it reports whether the
// key was a movement key.
func (p *page) scrollDetails(k tea.KeyPressMsg) bool {
	keys := p.c.Keys
	_, dh := p.detailsBox()
	body := max(dh-1, 1)
	switch {
	case key.Matches(k, keys.Up):
		p.dOffset--
	case key.Matches(k, keys.Down):
		p.dOffset++
	case key.Matches(k, keys.PageUp):
		p.dOffset -= body
	case key.Matches(k, keys.PageDown):
		p.dOffset += body
	case key.Matches(k, keys.Top):
		p.dOffset = 0
	case key.Matches(k, keys.Bottom):
		p.dOffset = 1 << 30
	default:
		return false
	}
	if i, ok := p.selected(); ok {
		dw, _ := p.detailsBox()
		p.dOffset = min(p.dOffset, len(p.detailLines(i, dw))-body)
	}
	p.dOffset = max(p.dOffset, 0)
	return true
}
