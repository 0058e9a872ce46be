package triage

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// JaegerSearch is a Jaeger search in the fields of Jaeger's search form,
// which Grafana's Jaeger query editor shares: how the report writes a
// search Jaeger was asked, and what an Explore link to it opens.
type JaegerSearch struct {
	Service   string
	Operation string
	// Tags are exact span tag (attribute) values; error=true asks for
	// failed spans.
	Tags                     map[string]string
	MinDuration, MaxDuration time.Duration
	Limit                    int
}

// String writes the search as logfmt: service=payments tags="error=true"
// minDuration=1s limit=200, the tags themselves logfmt, sorted by key.
func (s JaegerSearch) String() string {
	var parts []string
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+"="+logfmtValue(v))
		}
	}
	add("service", s.Service)
	add("operation", s.Operation)
	add("tags", s.tagsText())
	if s.MinDuration > 0 {
		add("minDuration", s.MinDuration.String())
	}
	if s.MaxDuration > 0 {
		add("maxDuration", s.MaxDuration.String())
	}
	if s.Limit > 0 {
		add("limit", strconv.Itoa(s.Limit))
	}
	return strings.Join(parts, " ")
}

// tagsText writes the tags as logfmt, sorted by key, as the search form
// takes them.
func (s JaegerSearch) tagsText() string {
	keys := make([]string, 0, len(s.Tags))
	for k := range s.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	tags := make([]string, len(keys))
	for i, k := range keys {
		tags[i] = logfmtValue(k) + "=" + logfmtValue(s.Tags[k])
	}
	return strings.Join(tags, " ")
}

// logfmtValue quotes v when it is empty or holds a space, a quote or =.
func logfmtValue(v string) string {
	if v == "" || strings.ContainsFunc(v, func(r rune) bool { return r == '"' || r == '=' || unicode.IsSpace(r) || !unicode.IsPrint(r) }) {
		return strconv.Quote(v)
	}
	return v
}

// ParseJaegerSearch reads a search String wrote.
func ParseJaegerSearch(text string) (JaegerSearch, error) {
	var s JaegerSearch
	fields, err := parseLogfmt(text)
	if err != nil {
		return s, err
	}
	for _, f := range fields {
		switch f[0] {
		case "service":
			s.Service = f[1]
		case "operation":
			s.Operation = f[1]
		case "tags":
			tags, err := parseLogfmt(f[1])
			if err != nil {
				return s, fmt.Errorf("tags: %w", err)
			}
			s.Tags = map[string]string{}
			for _, t := range tags {
				s.Tags[t[0]] = t[1]
			}
		case "minDuration", "maxDuration":
			d, err := time.ParseDuration(f[1])
			if err != nil {
				return s, fmt.Errorf("%s: %w", f[0], err)
			}
			if f[0] == "minDuration" {
				s.MinDuration = d
			} else {
				s.MaxDuration = d
			}
		case "limit":
			n, err := strconv.Atoi(f[1])
			if err != nil {
				return s, fmt.Errorf("limit: %w", err)
			}
			s.Limit = n
		default:
			return s, fmt.Errorf("unknown field %q", f[0])
		}
	}
	if s.Service == "" {
		return s, errors.New("no service")
	}
	return s, nil
}

// parseLogfmt splits key=value pairs separated by spaces; a value may be
// a Go-quoted string.
func parseLogfmt(text string) ([][2]string, error) {
	var out [][2]string
	rest := strings.TrimSpace(text)
	for rest != "" {
		var key string
		if strings.HasPrefix(rest, `"`) {
			q, err := strconv.QuotedPrefix(rest)
			if err != nil || !strings.HasPrefix(rest[len(q):], "=") {
				return nil, fmt.Errorf("%q: want key=value", rest)
			}
			key, _ = strconv.Unquote(q)
			rest = rest[len(q)+1:]
		} else {
			eq := strings.IndexByte(rest, '=')
			if eq <= 0 || strings.ContainsFunc(rest[:eq], unicode.IsSpace) {
				return nil, fmt.Errorf("%q: want key=value", rest)
			}
			key, rest = rest[:eq], rest[eq+1:]
		}
		var val string
		if strings.HasPrefix(rest, `"`) {
			q, err := strconv.QuotedPrefix(rest)
			if err != nil {
				return nil, fmt.Errorf("%q: unterminated quote", rest)
			}
			val, _ = strconv.Unquote(q)
			rest = rest[len(q):]
		} else {
			end := strings.IndexFunc(rest, unicode.IsSpace)
			if end < 0 {
				end = len(rest)
			}
			val, rest = rest[:end], rest[end:]
		}
		out = append(out, [2]string{key, val})
		rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
	}
	return out, nil
}
