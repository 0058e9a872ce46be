package tui

import (
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"

	"github.com/triagectl/triage/internal/safe"
)

// Terminals disagree on the width of some grapheme clusters. One that
// segments text into clusters (mode 2027: kitty, WezTerm, foot, Ghostty)
// draws 👩‍💻 in two cells; one that measures each code point (xterm,
// VTE, tmux, most SSH clients' terminals) draws 👩 and 💻 side by side, in
// four. The renderer asks the terminal and follows its answer, but a page
// is laid out before the answer comes and on terminals that never give
// one. So every cluster is counted at the wider of the two widths, both
// measured by x/ansi: a row never runs past the edge, and at worst ends a
// cell or two short on a clustering terminal.

// Width is the number of cells s takes on any terminal: escape sequences
// take none, and each grapheme cluster counts as the wider of its two
// measures.
func Width(s string) int {
	if s == "" {
		return 0
	}
	if strings.IndexByte(s, 0x1b) >= 0 {
		s = ansi.Strip(s)
	}
	w := 0
	for i := 0; i < len(s); {
		n, cw := clusterWidth(s[i:])
		w += cw
		i += n
	}
	return w
}

// clusterWidth measures the first grapheme cluster of s: its length in
// bytes and the cells it may take.
func clusterWidth(s string) (n, width int) {
	// An ASCII byte followed by another is a one-cell cluster of its own:
	// the common case, and much cheaper than segmenting.
	if s[0] < utf8.RuneSelf && (len(s) == 1 || s[1] < utf8.RuneSelf) {
		if s[0] < 0x20 || s[0] == 0x7f {
			return 1, 0
		}
		return 1, 1
	}
	cl, gw := ansi.FirstGraphemeCluster(s, ansi.GraphemeWidth)
	if cl == "" {
		return 1, 1
	}
	// The wcwidth of a cluster is the sum of its code points'.
	return len(cl), max(gw, ansi.StringWidthWc(cl))
}

// Truncate cuts a possibly styled string to at most w cells as Width
// counts them, ending it with tail when cut. Clusters are kept whole.
func Truncate(s string, w int, tail string) string {
	if w <= 0 {
		return ""
	}
	if Width(s) <= w {
		return s
	}
	// ansi.Truncate keeps the styling; it counts some clusters narrower
	// than Width, so cut again by what it overshot until the result fits.
	limit := w
	for {
		out := ansi.Truncate(s, limit, tail)
		over := Width(out) - w
		if over <= 0 || limit <= 0 {
			return out
		}
		limit -= over
	}
}

// Fit makes an external string safe and at most w cells wide, marking a cut
// with "…". Grapheme clusters are measured as Width measures them and cut
// whole, so an emoji sequence is shown entire or not at all, and a row
// never runs past the edge on any terminal.
func Fit(v string, w int) string {
	if w <= 0 {
		return ""
	}
	s := safe.Line(v)
	total, cut := 0, -1
	for i := 0; i < len(s); {
		n, cw := clusterWidth(s[i:])
		if cut < 0 && total+cw > w-1 {
			cut = i // where "…" goes if the rest does not fit
		}
		total += cw
		if total > w {
			return s[:cut] + "…"
		}
		i += n
	}
	return s
}

// Pad fits a possibly styled string to exactly w cells, padding with
// spaces on the right, or on the left when right is set.
func Pad(v string, w int, right bool) string {
	v = Truncate(v, w, "…")
	pad := w - Width(v)
	if pad <= 0 {
		return v
	}
	if right {
		return strings.Repeat(" ", pad) + v
	}
	return v + strings.Repeat(" ", pad)
}
