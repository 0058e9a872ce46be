package tui

import (
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/triagectl/triage/internal/safe"
)

// FilterInput is the "/" filter every list shares: bubbles' textinput does
// the editing (cursor keys, word deletion, paste), the console's keys
// apply it (filter_apply) and clear it (filter_clear). While editing it
// takes every key as text, so a filter may contain j, k or q.
type FilterInput struct {
	keys    *KeyMap
	ti      textinput.Model
	editing bool
}

// NewFilterInput is an empty filter.
func NewFilterInput(keys *KeyMap) FilterInput {
	ti := textinput.New()
	ti.Prompt = ""
	ti.SetVirtualCursor(false)
	ti.KeyMap.DeleteCharacterBackward = keys.FilterDelete
	return FilterInput{keys: keys, ti: ti}
}

// Start begins editing, keeping the text there is.
func (f *FilterInput) Start() {
	f.editing = true
	f.ti.Focus()
	f.ti.CursorEnd()
}

// Editing reports whether the filter has the keys.
func (f *FilterInput) Editing() bool { return f.editing }

// Value is the filter's text.
func (f *FilterInput) Value() string { return f.ti.Value() }

// Active reports whether the filter is being typed or applied.
func (f *FilterInput) Active() bool { return f.editing || f.ti.Value() != "" }

// Set replaces the text, as if typed.
func (f *FilterInput) Set(s string) { f.ti.SetValue(s) }

// Clear drops the filter and ends the editing; it reports whether there
// was one.
func (f *FilterInput) Clear() bool {
	had := f.Active()
	f.ti.SetValue("")
	f.stop()
	return had
}

func (f *FilterInput) stop() {
	f.editing = false
	f.ti.Blur()
}

// Update edits the filter while editing: filter_apply ends the editing and
// keeps the text, filter_clear drops it, anything else is text. It reports
// whether the message was the filter's and whether the text changed.
func (f *FilterInput) Update(msg tea.Msg) (used, changed bool) {
	if !f.editing {
		return false, false
	}
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch {
		case key.Matches(k, f.keys.FilterApply):
			f.stop()
			return true, false
		case key.Matches(k, f.keys.FilterClear):
			changed := f.ti.Value() != ""
			f.Clear()
			return true, changed
		}
	} else if _, ok := msg.(tea.PasteMsg); !ok {
		return false, false
	}
	before := f.ti.Value()
	f.ti, _ = f.ti.Update(msg)
	return true, f.ti.Value() != before
}

// SetPlaceholder sets what an empty field shows, faint: the value taken
// when nothing is typed, for the prompts that have one.
func (f *FilterInput) SetPlaceholder(p string) { f.ti.Placeholder = p }

// Placeholder is the empty field's text.
func (f *FilterInput) Placeholder() string { return f.ti.Placeholder }

// Prompt is the filter line's text: "/" and the text, sanitised, with a
// block where the cursor is while editing, in at most w cells; a long
// text is cut where it keeps the cursor in view.
func (f *FilterInput) Prompt(s *Styles, w int) string {
	return s.Accent.Render("/") + f.Field(s, max(w-1, 2))
}

// Field is the text alone, as Prompt draws it, in at most w cells; an
// empty field shows its placeholder, faint, after the cursor.
func (f *FilterInput) Field(s *Styles, w int) string {
	v := []rune(f.ti.Value())
	if len(v) == 0 && f.ti.Placeholder != "" {
		cursor := ""
		if f.editing {
			cursor = "█"
		}
		return Truncate(cursor+s.Faint.Render(safe.Line(f.ti.Placeholder)), max(w, 2), "…")
	}
	text := safe.Line(string(v))
	if f.editing {
		pos := min(f.ti.Position(), len(v))
		text = safe.Line(string(v[:pos])) + "█" + safe.Line(string(v[pos:]))
		if over := Width(text) - max(w, 2); over > 0 {
			text = ansi.TruncateLeft(text, over+1, "…")
		}
	}
	return Truncate(text, max(w, 2), "…")
}
