// Package safe neutralises external strings before they reach a terminal.
// Alert annotations, log lines, span attributes and error bodies can carry
// escape sequences (clipboard writes, title changes, cursor moves), C1
// controls, bidi overrides and invisible characters; here they become
// visible, inert text.
package safe

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// Text makes s safe to print, keeping newlines and tabs. Every other
// control, escape sequence, invalid byte, bidi control and invisible
// character is rendered as a visible Go-style escape such as \x1b, \u202e
// or \u200b.
func Text(s string) string { return clean(s, true) }

// Line makes s safe to print on one line: newlines and tabs become visible
// too, so a value cannot forge extra rows.
func Line(s string) string { return clean(s, false) }

// Needs reports whether s contains anything Text or Line would change.
func Needs(s string) bool {
	if !suspect(s) {
		return false
	}
	return clean(s, false) != s
}

// suspect reports whether s holds a rune that may need escaping; most
// strings hold none and are returned as they are.
func suspect(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || unsafeRune(r) || invisible(r) {
			return true
		}
		i += size
	}
	return false
}

// unsafeRune reports the runes that are escaped wherever they appear:
// controls, bidi controls, and the line and paragraph separators.
func unsafeRune(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || isBidi(r) || r == 0x2028 || r == 0x2029
}

// isBidi reports the bidirectional formatting characters that can reorder
// what a reader sees (Trojan Source).
func isBidi(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c
}

func clean(s string, multiline bool) string {
	if !suspect(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		// Whether an invisible rune is kept depends on its grapheme
		// cluster: a joiner inside 👩‍💻 is part of the emoji, one between
		// two letters only hides a difference.
		cl, _ := ansi.FirstGraphemeCluster(s[i:], ansi.GraphemeWidth)
		if cl == "" {
			cl = s[i : i+1]
		}
		n, stop := cleanCluster(&b, s, i, len(cl), multiline)
		if stop {
			i = n
			continue
		}
		i += len(cl)
	}
	return b.String()
}

// cleanCluster writes the cluster s[at:at+n]. An escape sequence runs past
// its cluster: then it returns where the text resumes and stop.
func cleanCluster(b *strings.Builder, s string, at, n int, multiline bool) (int, bool) {
	cl := s[at : at+n]
	base, _ := utf8.DecodeRuneInString(cl)
	if base == utf8.RuneError {
		base = -1 // an invalid byte (or U+FFFD) carries no emoji
	}
	for j := 0; j < len(cl); {
		r, size := utf8.DecodeRuneInString(cl[j:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(b, `\x%02x`, cl[j])
		case r == '\n' && multiline:
			b.WriteByte('\n')
		case r == '\t' && multiline:
			b.WriteByte('\t')
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == 0x1b:
			// Show the whole sequence as text, so the reader sees what was
			// attempted, but without the ESC that would make it act.
			b.WriteString(`\x1b`)
			k := at + j + size
			m := sequenceLen(s[k:])
			b.WriteString(clean(s[k:k+m], false))
			return k + m, true
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(b, `\u%04x`, r)
		case invisible(r) && !partOfEmoji(cl, j, base, r):
			if r > 0xffff {
				fmt.Fprintf(b, `\U%08x`, r)
			} else {
				fmt.Fprintf(b, `\u%04x`, r)
			}
		default:
			b.WriteString(cl[j : j+size])
		}
		j += size
	}
	return 0, false
}

// sequenceLen measures the escape sequence that follows an ESC: CSI up to
// its final byte, OSC/DCS/APC/PM/SOS up to BEL or ST, or one character.
func sequenceLen(s string) int {
	if s == "" {
		return 0
	}
	switch s[0] {
	case '[':
		for i := 1; i < len(s); i++ {
			if s[i] >= 0x40 && s[i] <= 0x7e {
				return i + 1
			}
			if s[i] < 0x20 || s[i] > 0x7e {
				return i
			}
		}
		return len(s)
	case ']', 'P', '_', '^', 'X':
		for i := 1; i < len(s); i++ {
			if s[i] == 0x07 {
				return i + 1
			}
			if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
		}
		return len(s)
	}
	_, size := utf8.DecodeRuneInString(s)
	return size
}

// Truncate cuts s to at most max runes, marking the cut with "…". It cuts
// between grapheme clusters, so an emoji sequence is kept whole or left
// out, never split into its parts.
func Truncate(s string, max int) string {
	if max <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	runes, i := 0, 0
	for i < len(s) {
		cl, _ := ansi.FirstGraphemeCluster(s[i:], ansi.GraphemeWidth)
		if cl == "" {
			cl = s[i : i+1]
		}
		n := utf8.RuneCountInString(cl)
		if runes+n > max-1 {
			break
		}
		runes += n
		i += len(cl)
	}
	return s[:i] + "…"
}
