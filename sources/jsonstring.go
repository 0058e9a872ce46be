package sources

import (
	"unicode/utf16"
	"unicode/utf8"
)

// AppendUnquoted appends the value of the JSON string token tok (quotes
// included) to dst, as encoding/json decodes it: invalid UTF-8 and lone
// surrogates become U+FFFD. It makes one pass over bytes a decoder has
// already checked, which matters where strings are most of the input (Loki
// lines, bundle bodies). ok is false when tok is not a JSON string.
func AppendUnquoted(dst, tok []byte) ([]byte, bool) {
	if len(tok) < 2 || tok[0] != '"' || tok[len(tok)-1] != '"' {
		return dst, false
	}
	s := tok[1 : len(tok)-1]
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 >= len(s) {
				return dst, false
			}
			switch e := s[i+1]; e {
			case '"', '\\', '/':
				dst = append(dst, e)
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				r, ok := hex4(s, i+2)
				if !ok {
					return dst, false
				}
				i += 6
				if utf16.IsSurrogate(r) {
					r2, ok2 := rune(-1), false
					if i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
						r2, ok2 = hex4(s, i+2)
					}
					if dec := utf16.DecodeRune(r, r2); ok2 && dec != utf8.RuneError {
						r = dec
						i += 6
					} else {
						r = utf8.RuneError
					}
				}
				dst = utf8.AppendRune(dst, r)
				continue
			default:
				return dst, false
			}
			i += 2
		case c < 0x20:
			return dst, false
		case c < utf8.RuneSelf:
			// Runs of plain ASCII are copied at once.
			j := i + 1
			for j < len(s) && s[j] >= 0x20 && s[j] < utf8.RuneSelf && s[j] != '\\' {
				j++
			}
			dst = append(dst, s[i:j]...)
			i = j
		default:
			r, size := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = utf8.AppendRune(dst, utf8.RuneError)
			} else {
				dst = append(dst, s[i:i+size]...)
			}
			i += size
		}
	}
	return dst, true
}

// NeedsUnescape reports whether a JSON string's bytes (without quotes)
// differ from its value.
func NeedsUnescape(s []byte) bool {
	ascii := true
	for _, c := range s {
		switch {
		case c == '\\' || c < 0x20:
			return true
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return !ascii && !utf8.Valid(s)
}

func hex4(s []byte, i int) (rune, bool) {
	if i < 0 || i+4 > len(s) {
		return -1, false
	}
	var r rune
	for _, c := range s[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
