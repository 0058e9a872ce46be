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
	if p.input.Editing() {
		if _, changed := p.input.Update(k); changed {
			p.setFilter(p.input.Value())
		}
		return nil
	}
	keys := p.c.Keys
	switch {
	case key.Matches(k, p.keys.refresh) && p.c.Data.Sources.Traces != nil:
		return p.fetch()
	case key.Matches(k, p.keys.compare) && p.c.Nav.Compare != nil:
		return tui.Push(p.c.Nav.Compare(p.in, p.id))
	case key.Matches(k, keys.Filter) && p.d != nil:
		p.input.Start()
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
	case p.cur.Move(keys, k, len(p.f.rows), p.rowsHeight()):
		p.dOffset = 0
		p.clamp()
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

func (p *page) move(n int) {
	p.cur.Pos += n
	p.dOffset = 0
	p.clamp()
}

// clamp keeps the cursor on a row and the row in view.
func (p *page) clamp() {
	if p.f == nil {
		return
	}
	p.cur.Clamp(len(p.f.rows), p.rowsHeight())
}

// refold rebuilds the rows after a fold, keeping the cursor on its span.
func (p *page) refold(cur int32) {
	p.f.rebuild(p.d)
	p.cur.Pos = p.f.find(p.d, cur)
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
		p.cur.Pos = p.f.find(p.d, par)
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
	if p.cur.Pos+1 < len(p.f.rows) && p.d.parent(p.f.rows[p.cur.Pos+1]) == i {
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
				p.input.Clear() // the filter hides the target: drop it
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
	dw, dh := p.detailsBox()
	body := max(dh-1, 1)
	lines := 0
	if i, ok := p.selected(); ok {
		lines = len(p.detailLines(i, dw))
	}
	// The panel scrolls by its top line: the last top is lines-body.
	top := tui.Cursor{Pos: p.dOffset}
	if !top.Move(p.c.Keys, k, lines-body+1, body) {
		return false
	}
	p.dOffset = max(min(top.Pos, lines-body), 0)
	return true
}
