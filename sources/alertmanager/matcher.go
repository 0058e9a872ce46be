package alertmanager

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Matcher selects alerts by one label. IsEqual false negates it (!= or !~);
// API v2 defaults it to true, Go's zero value is false, so build matchers
// with Equal or MatchersForAlert unless a negation is meant.
type Matcher struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	IsRegex bool   `json:"isRegex"`
	IsEqual bool   `json:"isEqual"`
}

// Equal is the matcher name="value".
func Equal(name, value string) Matcher {
	return Matcher{Name: name, Value: value, IsEqual: true}
}

// String renders the matcher in Alertmanager's filter syntax, quoted so
// that it round-trips through the API's filter parameter.
func (m Matcher) String() string {
	op := "="
	switch {
	case m.IsRegex && m.IsEqual:
		op = "=~"
	case m.IsRegex:
		op = "!~"
	case !m.IsEqual:
		op = "!="
	}
	return m.Name + op + quote(m.Value)
}

// quote escapes like Alertmanager's parser expects: only \, " and newline.
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// Matches reports whether a label value (empty when the label is absent)
// satisfies the matcher. A regex that does not compile matches nothing.
func (m Matcher) Matches(value string) bool {
	ok := m.Value == value
	if m.IsRegex {
		re, err := regexp.Compile("^(?:" + m.Value + ")$")
		if err != nil {
			return false
		}
		ok = re.MatchString(value)
	}
	return ok == m.IsEqual
}

// MatchesLabels reports whether every matcher holds for the label set.
func MatchesLabels(ms []Matcher, labels map[string]string) bool {
	for _, m := range ms {
		if !m.Matches(labels[m.Name]) {
			return false
		}
	}
	return true
}

// MatchersForAlert returns exact matchers on every non-empty label, sorted
// by name: the silence that holds this one alert and nothing broader.
func MatchersForAlert(labels map[string]string) []Matcher {
	names := make([]string, 0, len(labels))
	for k, v := range labels {
		if k != "" && v != "" {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	out := make([]Matcher, 0, len(names))
	for _, k := range names {
		out = append(out, Equal(k, labels[k]))
	}
	return out
}

// ParseMatcher reads one matcher in Alertmanager's filter syntax:
// name="value", name!="value", name=~"regex" or name!~"regex". The value
// may be left unquoted.
func ParseMatcher(s string) (Matcher, error) {
	s = strings.TrimSpace(s)
	i := strings.IndexAny(s, "=!")
	if i < 0 {
		return Matcher{}, fmt.Errorf("matcher %q has no operator (=, !=, =~, !~)", clip(s))
	}
	m := Matcher{Name: strings.TrimSpace(s[:i])}
	rest := s[i:]
	switch {
	case strings.HasPrefix(rest, "=~"):
		m.IsRegex, m.IsEqual, rest = true, true, rest[2:]
	case strings.HasPrefix(rest, "!~"):
		m.IsRegex, rest = true, rest[2:]
	case strings.HasPrefix(rest, "!="):
		rest = rest[2:]
	case strings.HasPrefix(rest, "="):
		m.IsEqual, rest = true, rest[1:]
	default:
		return Matcher{}, fmt.Errorf("matcher %q has no operator (=, !=, =~, !~)", clip(s))
	}
	if m.Name == "" {
		return Matcher{}, fmt.Errorf("matcher %q has no label name", clip(s))
	}
	rest = strings.TrimSpace(rest)
	if strings.HasPrefix(rest, `"`) {
		v, err := strconv.Unquote(rest)
		if err != nil {
			return Matcher{}, fmt.Errorf("matcher %q: bad quoted value", clip(s))
		}
		rest = v
	}
	m.Value = rest
	if m.IsRegex {
		if _, err := regexp.Compile("^(?:" + m.Value + ")$"); err != nil {
			return Matcher{}, fmt.Errorf("matcher %q: bad regexp: %v", clip(s), err)
		}
	}
	return m, nil
}
