package logview

import (
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/triagectl/triage/internal/safe"
	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
)

// entry is one log line, made ready to draw once, when the lines arrive:
// View then only cuts and pads the rows it shows.
type entry struct {
	at      time.Time
	service string // sanitised
	level   string // normalised: error, warn, info, debug or ""
	label   string // the level column, sanitised
	text    string // sanitised, on one line
	key     string // lower-cased service, level and text: what the filter searches
	spanID  string // compared, never drawn
	traceID string // lower-cased; drawn short, when the viewer shows traces
	mark    bool   // a line of the focused span
}

// index is the immutable part of a Viewer; filter scans read it off the UI
// loop.
type index struct {
	entries     []entry
	services    int
	svcWidth    int
	first, last time.Time
}

func buildIndex(lines []triage.LogLine) *index {
	ix := &index{entries: make([]entry, len(lines))}
	svcs := map[string]string{}
	type level struct{ label, word string }
	levels := map[string]level{}
	// Sources answer newest first: filling from the back makes the usual
	// input already sorted, and keeps equal times in their source order.
	for i, l := range lines {
		svc, ok := svcs[l.Service]
		if !ok {
			svc = safe.Line(l.Service)
			svcs[l.Service] = svc
			ix.svcWidth = max(ix.svcWidth, tui.Width(svc))
		}
		norm := triage.NormalizeLogLevel(l.Level)
		lv, ok := levels[l.Level]
		if !ok {
			raw := safe.Line(l.Level)
			lv = level{levelLabel(norm, raw), norm}
			if norm == "" {
				lv.word = strings.ToLower(raw)
			}
			levels[l.Level] = lv
		}
		text := safe.Line(l.Line)
		ix.entries[len(lines)-1-i] = entry{
			at: l.Time, service: svc, level: norm, label: lv.label, text: text,
			key:    strings.ToLower(svc + " " + lv.word + " " + text),
			spanID: l.SpanID, traceID: strings.ToLower(l.TraceID),
		}
	}
	slices.SortStableFunc(ix.entries, func(a, b entry) int { return a.at.Compare(b.at) })
	ix.services = len(svcs)
	if n := len(ix.entries); n > 0 {
		ix.first, ix.last = ix.entries[0].at, ix.entries[n-1].at
	}
	return ix
}

// Viewer is the logs page's core: time-ordered lines, sanitised once and
// drawn a window at a time, with a filter, wrapping and a cursor. Its
// cost per key and per View depends on the window, not on the line count.
type Viewer struct {
	c      *tui.Common
	route  tui.PageID // the page whose filter scans come back here
	ix     *index
	f      filterState
	input  tui.FilterInput
	wrap   bool
	traces bool // a column with each line's trace
	cursor int  // among the lines shown
	offset int  // first line drawn
	width  int
	height int
}

// NewViewer orders lines by time, oldest first, and prepares them to draw.
func NewViewer(c *tui.Common, lines []triage.LogLine) *Viewer {
	return &Viewer{c: c, ix: buildIndex(lines), f: filterState{latest: new(atomic.Uint64)}, input: tui.NewFilterInput(c.Keys), width: 80, height: 20}
}

// FocusSpan marks the lines of a span and puts the cursor on the first
// one. It returns how many lines the span has.
func (v *Viewer) FocusSpan(spanID string) int {
	n, first := 0, -1
	for i := range v.ix.entries {
		e := &v.ix.entries[i]
		e.mark = spanID != "" && strings.EqualFold(e.spanID, spanID)
		if e.mark {
			if first < 0 {
				first = i
			}
			n++
		}
	}
	if first >= 0 {
		v.ClearFilter()
		v.cursor = first
		// Show the lines just before it too: what led to the span.
		v.offset = max(first-v.bodyHeight()/3, 0)
		v.scrollToCursor()
	}
	return n
}

// ShowTraces adds a column with each line's trace id, for lines of many
// traces (a pattern's); those already opened are marked.
func (v *Viewer) ShowTraces() { v.traces = true }

// Traces is the number of distinct traces the lines carry, and the number
// of lines that carry none.
func (v *Viewer) Traces() (traces, without int) {
	seen := map[string]bool{}
	for i := range v.ix.entries {
		switch id := v.ix.entries[i].traceID; {
		case id == "":
			without++
		case !seen[id]:
			seen[id] = true
		}
	}
	return len(seen), without
}

// SelectedTrace is the trace and span of the line under the cursor; ok is
// false when there is no line, and id empty when the line carries none.
func (v *Viewer) SelectedTrace() (traceID, spanID string, ok bool) {
	_, i, ok := v.Selected()
	if !ok {
		return "", "", false
	}
	e := &v.ix.entries[i]
	return e.traceID, e.spanID, true
}

// SetSize sets the viewer's area: column titles, lines and filter row.
func (v *Viewer) SetSize(w, h int) {
	v.width, v.height = max(w, 1), max(h, 1)
	v.scrollToCursor()
}

// Total is the number of lines; Len the number shown through the filter.
func (v *Viewer) Total() int { return len(v.ix.entries) }

// Len is the number of lines that pass the filter.
func (v *Viewer) Len() int {
	if v.f.shown == nil {
		return len(v.ix.entries)
	}
	return len(v.f.shown)
}

// Services is the number of services the lines come from.
func (v *Viewer) Services() int { return v.ix.services }

// Range is the time of the oldest and of the newest line.
func (v *Viewer) Range() (first, last time.Time) { return v.ix.first, v.ix.last }

// Wrapped reports whether long lines wrap.
func (v *Viewer) Wrapped() bool { return v.wrap }

// Filtering reports whether the filter prompt has the keys.
func (v *Viewer) Filtering() bool { return v.input.Editing() }

// Filter is the filter typed so far.
func (v *Viewer) Filter() string { return v.f.text }

// Cursor is the cursor's position among the lines shown.
func (v *Viewer) Cursor() int { return v.cursor }

// line maps a position among the lines shown to the line's index.
func (v *Viewer) line(i int) int {
	if v.f.shown == nil {
		return i
	}
	return int(v.f.shown[i])
}

// Selected is the sanitised text of the line under the cursor and its
// index in time order.
func (v *Viewer) Selected() (text string, index int, ok bool) {
	if v.cursor < 0 || v.cursor >= v.Len() {
		return "", -1, false
	}
	i := v.line(v.cursor)
	return v.ix.entries[i].text, i, true
}

// ClearFilter drops the filter; it reports whether there was one.
func (v *Viewer) ClearFilter() bool {
	had := v.input.Clear() || v.f.text != ""
	v.setFilter("")
	return had
}

func (v *Viewer) bodyHeight() int {
	h := v.height - 1 // column titles
	if v.input.Editing() || v.f.text != "" {
		h--
	}
	return max(h, 1)
}

// Update moves the cursor, edits the filter and takes filter results. It
// reports whether the message was the viewer's.
func (v *Viewer) Update(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case filteredMsg:
		if msg.owner == v {
			v.filtered(msg)
			return nil, true
		}
		return nil, false
	case tea.PasteMsg, tea.KeyPressMsg:
		if v.input.Editing() {
			return v.typeKey(msg), true
		}
		if k, ok := msg.(tea.KeyPressMsg); ok {
			return nil, v.moveKey(k)
		}
	}
	return nil, false
}

// typeKey edits the filter: the prompt takes every key as text.
func (v *Viewer) typeKey(msg tea.Msg) tea.Cmd {
	_, changed := v.input.Update(msg)
	if !v.input.Editing() {
		v.scrollToCursor()
	}
	if !changed {
		return nil
	}
	return v.setFilter(v.input.Value())
}

func (v *Viewer) moveKey(k tea.KeyPressMsg) bool {
	keys := v.c.Keys
	cur := tui.Cursor{Pos: v.cursor}
	switch {
	case cur.Move(keys, k, v.Len(), v.bodyHeight()):
		v.cursor = cur.Pos
	case key.Matches(k, keys.Filter):
		v.input.Start()
	case key.Matches(k, keys.Wrap):
		v.wrap = !v.wrap
	default:
		return false
	}
	v.scrollToCursor()
	return true
}

// scrollToCursor keeps the cursor's line on screen. When wrapping, it
// measures only the lines between the window's top and the cursor, at
// most a screenful.
func (v *Viewer) scrollToCursor() {
	n, bh := v.Len(), v.bodyHeight()
	if n == 0 {
		v.cursor, v.offset = 0, 0
		return
	}
	v.cursor = min(max(v.cursor, 0), n-1)
	v.offset = min(max(v.offset, 0), n-1)
	if v.cursor < v.offset {
		v.offset = v.cursor
	}
	if !v.wrap {
		if v.cursor >= v.offset+bh {
			v.offset = v.cursor - bh + 1
		}
		v.offset = max(min(v.offset, n-bh), 0)
		return
	}
	textW := v.layout().textW
	used := 0
	for i := v.cursor; i >= v.offset; i-- {
		used += wrappedRows(v.ix.entries[v.line(i)].text, textW, bh)
		if used > bh {
			v.offset = min(i+1, v.cursor)
			return
		}
	}
}
