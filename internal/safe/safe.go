// Package safe neutralises external strings before they reach a terminal.
// Alert annotations, log lines, span attributes and error bodies can carry
// escape sequences (clipboard writes, title changes, cursor moves), C1
// controls and bidi overrides; here they become visible, inert text.
package safe

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Text makes s safe to print, keeping newlines and tabs. Every other
// control, escape sequence, invalid byte and bidi control is rendered as a
// visible Go-style escape such as \x1b or \u202e.
func Text(s string) string { return clean(s, true) }

// Line makes s safe to print on one line: newlines and tabs become visible
// too, so a value cannot forge extra rows.
func Line(s string) string { return clean(s, false) }

// Needs reports whether s contains anything Text or Line would change.
func Needs(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || unsafeRune(r) {
			return true
		}
		i += size
	}
	return false
}

func unsafeRune(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || isBidi(r) || r == 0xfeff
}

// isBidi reports the bidirectional formatting characters that can reorder
// what a reader sees (Trojan Source).
func isBidi(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c
}

func clean(s string, multiline bool) string {
	if !Needs(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
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
			i += size
			n := sequenceLen(s[i:])
			b.WriteString(clean(s[i:i+n], false))
			i += n
			continue
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r <= 0x9f, isBidi(r), r == 0xfeff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
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

// Truncate cuts s to at most max runes, marking the cut with "…".
func Truncate(s string, max int) string {
	if max <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	runes := []rune(s)
	return string(runes[:max-1]) + "…"
}
