package loki

import (
	"errors"
	"fmt"
	"strings"

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

// unquote decodes a JSON string token the way encoding/json does (see
// sources.AppendUnquoted). Loki escapes <, > and & in every line, so the
// escape path is the common one.
func unquote(tok []byte) (string, bool) {
	if len(tok) >= 2 && tok[0] == '"' && tok[len(tok)-1] == '"' && !sources.NeedsUnescape(tok[1:len(tok)-1]) {
		return string(tok[1 : len(tok)-1]), true
	}
	b, ok := sources.AppendUnquoted(make([]byte, 0, len(tok)), tok)
	return string(b), ok
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
