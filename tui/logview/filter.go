package logview

import (
	"slices"
	"strings"
	"sync/atomic"

	tea "charm.land/bubbletea/v2"
	"github.com/triagectl/triage/tui"
)

// A keystroke in the filter must not stall the UI, even over 100,000
// lines. Three things keep it cheap:
//   - narrowing: a filter that contains an earlier one only scans that
//     one's matches, so each letter typed scans less;
//   - a cache of recent results, so backspace is a lookup;
//   - past syncScan lines the scan runs as a command, off the UI loop; the
//     view keeps the previous matches meanwhile, and a scan stops early
//     once a newer keystroke has made it stale.

// syncScan is the most lines a keystroke scans inline: under a millisecond
// even for needles whose first letter is everywhere (about 80 ns a line).
const syncScan = 8192

// filterCache bounds the results kept for backspace and narrowing.
const filterCache = 16

type filterState struct {
	text    string  // as typed
	applied string  // the lower-cased filter that shown answers
	shown   []int32 // matching lines in time order; nil means every line
	pending bool    // a scan is running for text
	gen     uint64  // the newest filter request
	latest  *atomic.Uint64
	cache   []cachedFilter
}

type cachedFilter struct {
	needle string
	shown  []int32
}

// filteredMsg is a scan's result, for the viewer that asked.
type filteredMsg struct {
	to       tui.PageID
	owner    *Viewer
	gen      uint64
	needle   string
	shown    []int32
	complete bool // false: a newer filter made the scan stop
}

// setFilter applies text at once when it can, and otherwise returns the
// command that scans for it.
func (v *Viewer) setFilter(text string) tea.Cmd {
	f := &v.f
	f.text = text
	needle := strings.ToLower(text)
	f.gen++
	f.latest.Store(f.gen)
	f.pending = false
	if needle == "" {
		v.apply("", nil)
		return nil
	}
	if shown, ok := f.lookup(needle); ok {
		v.apply(needle, shown)
		return nil
	}
	base := f.base(needle)
	size := len(v.ix.entries)
	if base != nil {
		size = len(base)
	}
	if size <= syncScan {
		shown, _ := scan(v.ix.entries, base, needle, nil)
		f.remember(needle, shown)
		v.apply(needle, shown)
		return nil
	}
	f.pending = true
	to, owner, entries, gen, latest := v.route, v, v.ix.entries, f.gen, f.latest
	return func() tea.Msg {
		shown, ok := scan(entries, base, needle, func() bool { return latest.Load() != gen })
		return filteredMsg{to: to, owner: owner, gen: gen, needle: needle, shown: shown, complete: ok}
	}
}

func (v *Viewer) filtered(m filteredMsg) {
	if !m.complete {
		return
	}
	v.f.remember(m.needle, m.shown)
	if m.gen != v.f.gen {
		return
	}
	v.f.pending = false
	v.apply(m.needle, m.shown)
}

// apply shows a new set of lines, keeping the cursor on the same line, or
// the next one that passes, at the same row of the screen.
func (v *Viewer) apply(needle string, shown []int32) {
	cur, row := -1, v.cursor-v.offset
	if v.cursor >= 0 && v.cursor < v.Len() {
		cur = v.line(v.cursor)
	}
	v.f.applied, v.f.shown = needle, shown
	if cur >= 0 {
		v.cursor = cur
		if shown != nil {
			i, _ := slices.BinarySearch(shown, int32(cur))
			v.cursor = min(i, len(shown)-1)
		}
	}
	v.offset = v.cursor - row
	v.scrollToCursor()
}

func (f *filterState) lookup(needle string) ([]int32, bool) {
	for _, c := range f.cache {
		if c.needle == needle {
			return c.shown, true
		}
	}
	return nil, false
}

// base is the smallest known set that holds every match of needle: the
// cached result of a filter that needle contains.
func (f *filterState) base(needle string) []int32 {
	var best *cachedFilter
	for i := range f.cache {
		c := &f.cache[i]
		if strings.Contains(needle, c.needle) && (best == nil || len(c.shown) < len(best.shown)) {
			best = c
		}
	}
	if best == nil {
		return nil
	}
	return best.shown
}

func (f *filterState) remember(needle string, shown []int32) {
	if _, ok := f.lookup(needle); ok {
		return
	}
	if len(f.cache) == filterCache {
		f.cache = append(f.cache[:0], f.cache[1:]...)
	}
	f.cache = append(f.cache, cachedFilter{needle, shown})
}

// scan returns the lines among base (every line when base is nil) whose
// key contains needle. stale, when set, is polled every few thousand lines.
func scan(entries []entry, base []int32, needle string, stale func() bool) ([]int32, bool) {
	out := make([]int32, 0, 64)
	n := len(entries)
	if base != nil {
		n = len(base)
	}
	for j := 0; j < n; j++ {
		if stale != nil && j&4095 == 4095 && stale() {
			return nil, false
		}
		i := j
		if base != nil {
			i = int(base[j])
		}
		if strings.Contains(entries[i].key, needle) {
			out = append(out, int32(i))
		}
	}
	return out, true
}

// RoutedTo sends a scan's result to the page that asked.
func (m filteredMsg) RoutedTo() tui.PageID { return m.to }
