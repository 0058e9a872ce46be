package logview

import (
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// These functions work on sanitised text only (no escape sequences, no
// controls), and stop as soon as they have the cells they need: a
// megabyte-long line costs no more to draw than a short one.

// cut splits s after at most w cells: the head, its width, and the rest.
// It measures grapheme clusters as tui.Width does, so wide runes count as
// two cells, an emoji sequence as wide as the widest terminal draws it,
// and none is ever split.
func cut(s string, w int) (head string, width int, rest string) {
	i := 0
	for i < len(s) {
		n, cw := cluster(s[i:])
		if width+cw > w {
			break
		}
		width += cw
		i += n
	}
	return s[:i], width, s[i:]
}

// cluster measures the first grapheme cluster of s: its length in bytes
// and its width in cells.
func cluster(s string) (n, width int) {
	// Two ASCII bytes in a row always bound a one-cell cluster; it is the
	// common case, and much cheaper than segmenting.
	if s[0] < utf8.RuneSelf && (len(s) == 1 || s[1] < utf8.RuneSelf) {
		return 1, 1
	}
	c, cw := ansi.FirstGraphemeCluster(s, ansi.GraphemeWidth)
	if len(c) == 0 {
		return 1, 1
	}
	if utf8.RuneCountInString(c) > 1 {
		// A code-point terminal draws each part of the cluster.
		cw = max(cw, ansi.StringWidthWc(c))
	}
	return len(c), cw
}

// fit cuts s to w cells, marking a cut with "…", and returns its width.
func fit(s string, w int) (string, int) {
	if w <= 0 {
		return "", 0
	}
	head, hw, rest := cut(s, w)
	if rest == "" {
		return head, hw
	}
	head, hw, _ = cut(s, w-1)
	return head + "…", hw + 1
}

// pad fits s to exactly w cells.
func pad(s string, w int) string {
	s, sw := fit(s, w)
	return s + spaces(w-sw)
}

func spaces(n int) string {
	const blank = "                                                                                "
	if n <= 0 {
		return ""
	}
	if n <= len(blank) {
		return blank[:n]
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = ' '
	}
	return string(b)
}

// segment is one wrapped row of a line.
type segment struct {
	text  string
	width int
}

// wrapLine splits s into rows of at most w cells, producing at most limit
// rows; more reports whether text was left over. Words are kept whole
// (x/ansi's word wrap: spaces and hyphens are where it breaks); a word
// wider than a row is cut, and a cluster wider than w (an emoji in a
// one-cell column) takes a row of its own.
func wrapLine(s string, w, limit int) (rows []segment, more bool) {
	w, limit = max(w, 1), max(limit, 1)
	// A row shows at most w cells of the text and a break drops at most
	// one space: what lies past limit·(w+1) cells cannot show, and a
	// megabyte-long line costs what a screenful does.
	head, _, rest := cut(s, limit*(w+1))
	for _, r := range strings.Split(ansi.Wrap(head, w, ""), "\n") {
		// x/ansi measures some clusters narrower than the widest terminal
		// draws them: cut again by the console's own measure.
		for {
			h, hw, r2 := cut(r, w)
			if h == "" && r != "" {
				n, cw := cluster(r)
				h, hw, r2 = r[:n], cw, r[n:]
			}
			if len(rows) == limit {
				return rows, true
			}
			rows = append(rows, segment{h, hw})
			if r = r2; r == "" {
				break
			}
		}
	}
	if len(rows) == 0 {
		rows = append(rows, segment{})
	}
	return rows, rest != ""
}

// wrappedRows counts the rows wrapLine would produce, at most limit.
func wrappedRows(s string, w, limit int) int {
	if _, _, rest := cut(s, max(w, 1)); rest == "" {
		return 1 // fits: nothing to wrap, nothing to build
	}
	rows, _ := wrapLine(s, w, limit)
	return max(len(rows), 1)
}

// levelLabel is a level as drawn: a symbol and the word, so the level
// reads without colour. raw is the source's own spelling, shown when it
// maps to no known level.
func levelLabel(norm, raw string) string {
	switch norm {
	case "error":
		return "✖ error"
	case "warn":
		return "▲ warn"
	case "info":
		return "● info"
	case "debug":
		return "· debug"
	}
	if raw == "" {
		return "  -"
	}
	return "? " + raw
}

// levelWidth is the level column's width: the widest label.
const levelWidth = 7
