package drain

import (
	"strings"
	"testing"
)

func TestMatcher(t *testing.T) {
	tests := []struct {
		name, pattern, line string
		want                bool
	}{
		{"literal equal", "db down", "db down", true},
		{"literal differs", "db down", "db down!", false},
		{"empty pattern", "", "", true},
		{"empty pattern, line", "", "x", false},
		{"only a placeholder", "<_>", "anything at all", true},
		{"only a placeholder, empty line", "<_>", "", true},
		{"variable", "took <_> ms", "took 12 ms", true},
		{"empty variable", "took <_> ms", "took  ms", true},
		{"empty variable between words", "a=<_> b", "a= b", true},
		{"variable spans words", "err=<_> end", "err=connection reset by peer end", true},
		{"anchored start", "took <_> ms", "it took 12 ms", false},
		{"anchored end", "took <_> ms", "took 12 ms later", false},
		{"leading placeholder", "<_> failed", "charge failed", true},
		{"leading placeholder, anchored end", "<_> failed", "failed twice", false},
		{"trailing placeholder", "failed <_>", "failed twice", true},
		{"adjacent placeholders", "a <_><_> b", "a x b", true},
		{"adjacent placeholders, empty", "a <_><_><_> b", "a  b", true},
		{"pieces in order", "<_>a<_>b<_>", "xxbyyazz", false},
		{"pieces in order, found", "<_>a<_>b<_>", "xxayybzz", true},
		{"repeated piece", "a<_>a<_>a", "aaa", true},
		{"repeated piece, too short", "a<_>a<_>a", "aa", false},
		{"prefix and suffix must not overlap", "ab<_>ba", "aba", false},
		{"prefix and suffix meet", "ab<_>ba", "abba", true},
		{"first fit of a middle piece is enough", "x<_>ab<_>ab", "xab-ab", true},
		{"quoted logfmt", `level=error msg="<_>" n=<_>`, `level=error msg="db \"down\"" n=3`, true},
		{"invalid utf-8", "bad <_> bytes", "bad \xff\xfe bytes", true},
		{"escape sequences", "\x1b[31m<_>\x1b[0m", "\x1b[31mERROR\x1b[0m", true},
		{"placeholder text in the line", "a <_> b", "a <_> b", true},
		{"partial placeholder is literal", "a <_ b", "a <_ b", true},
		{"partial placeholder does not vary", "a <_ b", "a x b", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NewMatcher(tt.pattern).Match(tt.line); got != tt.want {
				t.Errorf("%q matches %q = %v, want %v", tt.pattern, tt.line, got, tt.want)
			}
		})
	}
}

// A pattern built to make a backtracking matcher explode costs this one
// one scan per piece.
func TestMatcherHasNoBlowup(t *testing.T) {
	pattern := strings.Repeat("<_>a", 200) + "<_>b"
	line := strings.Repeat("a", 200_000)
	m := NewMatcher(pattern)
	for range 100 {
		if m.Match(line) {
			t.Fatal("matched a line without the final b")
		}
	}
	if !m.Match(line + "b") {
		t.Fatal("missed a line with the final b")
	}
}

func TestMatcherLiteral(t *testing.T) {
	if got := NewMatcher("ab<_>cd<_><_>e").Literal(); got != 5 {
		t.Errorf("Literal() = %d, want 5", got)
	}
}

func TestNormalizePattern(t *testing.T) {
	for in, want := range map[string]string{
		"a <_><_> b":        "a <_> b",
		"<_><_><_>":         "<_>",
		"a <_> <_> b":       "a <_> <_> b",
		"no placeholder":    "no placeholder",
		"<_<_>>":            "<_<_>>",
		"x=<_><_><_><_>end": "x=<_>end",
	} {
		if got := NormalizePattern(in); got != want {
			t.Errorf("NormalizePattern(%q) = %q, want %q", in, got, want)
		}
	}
}
