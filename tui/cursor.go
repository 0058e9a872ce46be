package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// Cursor is the selected row of a list drawn a window at a time: Pos is
// the row, Offset the first row in view.
type Cursor struct{ Pos, Offset int }

// Clamp keeps Pos on one of n rows and in a window of h rows.
func (c *Cursor) Clamp(n, h int) {
	h = max(h, 1)
	c.Pos = min(max(c.Pos, 0), max(n-1, 0))
	if c.Pos < c.Offset {
		c.Offset = c.Pos
	}
	if c.Pos >= c.Offset+h {
		c.Offset = c.Pos - h + 1
	}
	c.Offset = max(min(c.Offset, n-h), 0)
}

// Move applies a movement key (up, down, page up and down, top, bottom)
// over n rows shown h at a time, leaving Pos unclamped for the caller's
// own rule; it reports whether k was one.
func (c *Cursor) Move(keys *KeyMap, k tea.KeyPressMsg, n, h int) bool {
	switch {
	case key.Matches(k, keys.Up):
		c.Pos--
	case key.Matches(k, keys.Down):
		c.Pos++
	case key.Matches(k, keys.PageUp):
		c.Pos -= max(h, 1)
	case key.Matches(k, keys.PageDown):
		c.Pos += max(h, 1)
	case key.Matches(k, keys.Top):
		c.Pos = 0
	case key.Matches(k, keys.Bottom):
		c.Pos = n - 1
	default:
		return false
	}
	return true
}
