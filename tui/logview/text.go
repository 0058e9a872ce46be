package logview

import (
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
// rows; more reports whether text was left over. A cluster wider than w
// (an emoji in a one-cell column) takes a row of its own.
func wrapLine(s string, w, limit int) (rows []segment, more bool) {
	w = max(w, 1)
	for len(rows) < limit {
		head, hw, rest := cut(s, w)
		if head == "" && s != "" {
			n, cw := cluster(s)
			head, hw, rest = s[:n], cw, s[n:]
		}
		rows = append(rows, segment{head, hw})
		s = rest
		if s == "" {
			return rows, false
		}
	}
	return rows, true
}

// wrappedRows counts the rows wrapLine would produce, without building them.
func wrappedRows(s string, w, limit int) int {
	w = max(w, 1)
	n := 0
	for n < limit {
		head, _, rest := cut(s, w)
		if head == "" && s != "" {
			c, _ := cluster(s)
			rest = s[c:]
		}
		n++
		if s = rest; s == "" {
			break
		}
	}
	return max(n, 1)
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
