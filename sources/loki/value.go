package loki

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/triagectl/triage/sources"
)

var (
	errNotArray  = errors.New("value is not an array")
	errTruncated = errors.New("value array is cut short")
)

// UnmarshalJSON is handed a complete, already validated JSON value by
// encoding/json; it still checks every index so that no input can panic.
func (v *wireValue) UnmarshalJSON(b []byte) error {
	*v = wireValue{}
	i := skipSpace(b, 0)
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil
	}
	if i >= len(b) || b[i] != '[' {
		return errNotArray
	}
	i++
	for n := 0; ; n++ {
		i = skipSpace(b, i)
		if i >= len(b) {
			return errTruncated
		}
		if b[i] == ']' {
			if n < 2 {
				return fmt.Errorf("value has %d elements, want 2 or 3", n)
			}
			v.ok = true
			return nil
		}
		if n > 0 {
			if b[i] != ',' {
				return fmt.Errorf("unexpected %q in value", b[i])
			}
			i = skipSpace(b, i+1)
		}
		end, err := valueEnd(b, i)
		if err != nil {
			return err
		}
		tok := b[i:end]
		switch n {
		case 0:
			v.t, err = parseTime(tok)
		case 1:
			v.text, err = parseText(tok)
		case 2:
			err = v.parseMeta(tok)
		}
		if err != nil {
			return err
		}
		i = end
	}
}

func (v *wireValue) parseMeta(tok []byte) error {
	if string(tok) == "null" {
		return nil
	}
	if len(tok) == 0 || tok[0] != '{' {
		return errors.New("third element of a value is not an object")
	}
	v.meta = true
	var flat map[string]string
	categorized := false
	err := eachMember(tok, func(key string, val []byte) error {
		var err error
		switch {
		case key == "structuredMetadata":
			categorized = true
			v.sm, err = parseStringMap(val)
		case key == "parsed":
			categorized = true
			v.parsed, err = parseStringMap(val)
		case len(val) > 0 && val[0] == '"':
			// The push form: the object is the structured metadata itself.
			var s string
			if s, err = parseText(val); err == nil {
				if flat == nil {
					flat = map[string]string{}
				}
				flat[key] = s
			}
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("entry metadata: %w", err)
	}
	if !categorized {
		v.sm = flat
	}
	return nil
}

// parseTime reads a string as integer nanoseconds (log entries) and a
// number as seconds with a fraction (samples).
func parseTime(tok []byte) (time.Time, error) {
	if len(tok) > 0 && tok[0] == '"' {
		s, err := parseText(tok)
		if err != nil {
			return time.Time{}, err
		}
		if ns, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(0, ns), nil
		}
		t, err := parseSeconds(s)
		if err != nil {
			return time.Time{}, fmt.Errorf("timestamp %q: not nanoseconds or seconds", sources.Truncate(s, 64))
		}
		return t, nil
	}
	return parseSeconds(string(tok))
}

// parseSeconds reads "1711839260.123" exactly, without a float's rounding.
func parseSeconds(s string) (time.Time, error) {
	if strings.ContainsAny(s, "eE") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.Abs(f) > 1e15 {
			return time.Time{}, fmt.Errorf("timestamp %q: not seconds", sources.Truncate(s, 64))
		}
		sec := math.Floor(f)
		return time.Unix(int64(sec), int64((f-sec)*1e9)), nil
	}
	whole, frac, _ := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("timestamp %q: not seconds", sources.Truncate(s, 64))
	}
	var ns int64
	if frac != "" {
		if len(frac) > 9 {
			frac = frac[:9]
		}
		for _, c := range frac {
			if c < '0' || c > '9' {
				return time.Time{}, fmt.Errorf("timestamp %q: not seconds", sources.Truncate(s, 64))
			}
		}
		n, _ := strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
		ns = n
		if strings.HasPrefix(whole, "-") {
			ns = -ns
		}
	}
	return time.Unix(sec, ns), nil
}
