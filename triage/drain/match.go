package drain

import "strings"

// Matcher tells whether a line fits a pattern, each "<_>" standing
// for any text, the empty text included. The literal pieces between
// placeholders are found left to right, each at its first place: with no
// other operator that choice is never wrong, so there is no backtracking,
// and a match costs at most the line's length times the number of pieces.
type Matcher struct {
	pieces  []string // literal text around and between the placeholders
	literal int      // total length of the pieces
}

// NewMatcher compiles pattern.
func NewMatcher(pattern string) Matcher {
	pieces := strings.Split(pattern, Placeholder)
	// Adjacent placeholders mean no more than one.
	out := pieces
	if n := len(pieces); n > 2 {
		out = append(make([]string, 0, n), pieces[0])
		for _, p := range pieces[1 : n-1] {
			if p != "" {
				out = append(out, p)
			}
		}
		out = append(out, pieces[n-1])
	}
	m := Matcher{pieces: out}
	for _, p := range out {
		m.literal += len(p)
	}
	return m
}

// Literal is the number of literal bytes in the pattern: the more, the more
// specific it is.
func (m Matcher) Literal() int { return m.literal }

// Match reports whether line fits the pattern.
func (m Matcher) Match(line string) bool {
	if len(m.pieces) == 1 {
		return line == m.pieces[0]
	}
	if len(line) < m.literal {
		return false
	}
	first, last := m.pieces[0], m.pieces[len(m.pieces)-1]
	if !strings.HasPrefix(line, first) || !strings.HasSuffix(line, last) {
		return false
	}
	pos, end := len(first), len(line)-len(last)
	for _, p := range m.pieces[1 : len(m.pieces)-1] {
		i := strings.Index(line[pos:end], p)
		if i < 0 {
			return false
		}
		pos += i + len(p)
	}
	return true
}

// NormalizePattern folds adjacent placeholders, so that one template read
// from two answers compares equal.
func NormalizePattern(p string) string {
	for strings.Contains(p, Placeholder+Placeholder) {
		p = strings.ReplaceAll(p, Placeholder+Placeholder, Placeholder)
	}
	return p
}
