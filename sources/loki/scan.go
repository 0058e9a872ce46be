package loki

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/triagectl/triage/sources"
)

// parseText returns a JSON string's value; numbers are kept as written and
// null is empty.
func parseText(tok []byte) (string, error) {
	if len(tok) == 0 {
		return "", errTruncated
	}
	switch c := tok[0]; {
	case c == '"':
		s, ok := unquote(tok)
		if !ok {
			return "", fmt.Errorf("invalid string %q", sources.Truncate(string(tok), 64))
		}
		return s, nil
	case c == '-' || (c >= '0' && c <= '9'):
		return string(tok), nil
	case string(tok) == "null":
		return "", nil
	}
	return "", fmt.Errorf("unexpected %q where a string was expected", tok[0])
}

// unquote decodes a JSON string token the way encoding/json does, invalid
// UTF-8 and lone surrogates becoming U+FFFD, without a second validation
// pass over bytes encoding/json has already checked. Loki escapes <, > and
// & in every line, so the escape path is the common one.
func unquote(tok []byte) (string, bool) {
	if len(tok) < 2 || tok[0] != '"' || tok[len(tok)-1] != '"' {
		return "", false
	}
	s := tok[1 : len(tok)-1]
	if !needsUnescape(s) {
		return string(s), true
	}
	buf := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 >= len(s) {
				return "", false
			}
			switch e := s[i+1]; e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := hex4(s, i+2)
				if !ok {
					return "", false
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
				buf = utf8.AppendRune(buf, r)
				continue
			default:
				return "", false
			}
			i += 2
		case c < 0x20:
			return "", false
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			i++
		default:
			r, size := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && size == 1 {
				buf = utf8.AppendRune(buf, utf8.RuneError)
			} else {
				buf = append(buf, s[i:i+size]...)
			}
			i += size
		}
	}
	return string(buf), true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// valueEnd returns the index just past the JSON value starting at b[i].
func valueEnd(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errTruncated
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, err := stringEnd(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errTruncated
	}
	j := i
	for j < len(b) && !strings.ContainsRune(",]} \t\r\n", rune(b[j])) {
		j++
	}
	if j == i {
		return 0, fmt.Errorf("unexpected %q in value", b[i])
	}
	return j, nil
}

func stringEnd(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, errTruncated
}

// needsUnescape reports whether a string's bytes differ from its value.
func needsUnescape(s []byte) bool {
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

// eachMember calls f with every key and raw value of a JSON object.
func eachMember(obj []byte, f func(key string, val []byte) error) error {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return errors.New("not an object")
	}
	i++
	for n := 0; ; n++ {
		i = skipSpace(obj, i)
		if i >= len(obj) {
			return errTruncated
		}
		if obj[i] == '}' {
			return nil
		}
		if n > 0 {
			if obj[i] != ',' {
				return fmt.Errorf("unexpected %q in object", obj[i])
			}
			i = skipSpace(obj, i+1)
		}
		if i >= len(obj) || obj[i] != '"' {
			return errors.New("object key is not a string")
		}
		end, err := stringEnd(obj, i)
		if err != nil {
			return err
		}
		key, ok := unquote(obj[i:end])
		if !ok {
			return errors.New("invalid object key")
		}
		i = skipSpace(obj, end)
		if i >= len(obj) || obj[i] != ':' {
			return errors.New("object key without value")
		}
		i = skipSpace(obj, i+1)
		end, err = valueEnd(obj, i)
		if err != nil {
			return err
		}
		if err := f(key, obj[i:end]); err != nil {
			return err
		}
		i = end
	}
}

// parseStringMap reads an object of string values, as label sets are.
func parseStringMap(obj []byte) (map[string]string, error) {
	if string(obj) == "null" {
		return nil, nil
	}
	m := map[string]string{}
	err := eachMember(obj, func(key string, val []byte) error {
		if len(val) == 0 || (val[0] != '"' && string(val) != "null") {
			return fmt.Errorf("label %q is not a string", key)
		}
		s, err := parseText(val)
		m[key] = s
		return err
	})
	return m, err
}
