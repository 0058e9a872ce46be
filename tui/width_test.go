package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/triagectl/triage/internal/safe"
)

// tricky are strings whose width terminals measure differently, or whose
// characters are invisible; each with its width as Width counts it.
var tricky = []struct {
	name  string
	in    string
	width int // of safe.Line(in)
}{
	{"ascii", "checkout", 8},
	{"zero-width space", "check\u200bout", 14},       // check\u200bout
	{"joiner between letters", "check\u200dout", 14}, // check\u200dout
	{"soft hyphen", "pay\u00adments", 14},            // pay\u00adments
	{"line separator", "a\u2028b", 8},                // a\u2028b
	{"technologist", "👩\u200d💻", 4},                  // two cells clustered, four per code point
	{"family", "👨\u200d👩\u200d👧\u200d👦", 8},          // four pictographs per code point
	{"skin tone", "👍🏽", 4},                           // 👍 and 🏽 per code point
	{"flag", "🇫🇷", 2},                                // one cell per regional indicator, two clustered
	{"keycap", "1\ufe0f\u20e3", 2},                   // one cell per code point, two clustered
	{"heart", "❤\ufe0f", 2},                          // one per code point, two clustered
	{"flag of scotland", "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", 2},
	{"wide", "東京", 4},
	{"combining", "e\u0301e\u0301", 2},
	{"mixed", "x👩\u200d💻y🇫🇷z1\ufe0f\u20e3", 11},
}

// Width never counts fewer cells than either kind of terminal draws.
func TestWidth(t *testing.T) {
	for _, c := range tricky {
		s := safe.Line(c.in)
		got := Width(s)
		if got != c.width {
			t.Errorf("%s: Width(%q) = %d, want %d", c.name, s, got, c.width)
		}
		if g, wc := ansi.StringWidth(s), ansi.StringWidthWc(s); got < g || got < wc {
			t.Errorf("%s: Width %d below a terminal's: %d clustered, %d per code point", c.name, got, g, wc)
		}
		if styled := "\x1b[1m" + s + "\x1b[0m"; Width(styled) != got {
			t.Errorf("%s: styling changed the width", c.name)
		}
	}
}

// Fit cuts between clusters, never inside one, and its result fits on
// both kinds of terminal at every width.
func TestFitCutsClustersWhole(t *testing.T) {
	for _, c := range tricky {
		s := safe.Line(c.in)
		for w := 1; w <= c.width+2; w++ {
			got := Fit(c.in, w)
			if n := max(ansi.StringWidth(got), ansi.StringWidthWc(got), Width(got)); n > w {
				t.Errorf("%s: Fit(%q, %d) = %q is %d cells", c.name, c.in, w, got, n)
			}
			if Width(s) <= w {
				if got != s {
					t.Errorf("%s: Fit(%q, %d) = %q, want it whole", c.name, c.in, w, got)
				}
				continue
			}
			head, ok := strings.CutSuffix(got, "…")
			if !ok || !strings.HasPrefix(s, head) {
				t.Fatalf("%s: Fit(%q, %d) = %q is not a prefix and …", c.name, c.in, w, got)
			}
			if !clusterBoundary(s, len(head)) {
				t.Errorf("%s: Fit(%q, %d) = %q cuts inside a cluster", c.name, c.in, w, got)
			}
		}
	}
}

func clusterBoundary(s string, at int) bool {
	for i := 0; i < len(s); {
		if i == at {
			return true
		}
		n, _ := clusterWidth(s[i:])
		i += n
	}
	return at == len(s)
}

func TestFitExamples(t *testing.T) {
	for _, c := range []struct {
		in   string
		w    int
		want string
	}{
		{"👩\u200d💻 dev", 3, "…"},
		{"👩\u200d💻 dev", 5, "👩\u200d💻…"},
		{"👩\u200d💻 dev", 8, "👩\u200d💻 dev"},
		{"check\u200bout", 14, `check\u200bout`},
		{"check\u200bout", 8, `check\u…`},
		{"ab🇫🇷cd", 4, "ab…"},
		{"ab🇫🇷cd", 5, "ab🇫🇷…"},
		{"1\ufe0f\u20e3 2\ufe0f\u20e3", 4, "1\ufe0f\u20e3 …"},
		{"1\ufe0f\u20e3 2\ufe0f\u20e3", 3, "1\ufe0f\u20e3…"},
	} {
		if got := Fit(c.in, c.w); got != c.want {
			t.Errorf("Fit(%q, %d) = %q, want %q", c.in, c.w, got, c.want)
		}
	}
}

// Truncate and Pad keep styling and fit styled rows to the cell.
func TestTruncateAndPadStyled(t *testing.T) {
	row := "\x1b[31m" + "ab👩\u200d💻cd" + "\x1b[0m" + "ef"
	for w := 1; w <= 12; w++ {
		got := Truncate(row, w, "…")
		if n := max(Width(got), ansi.StringWidth(got), ansi.StringWidthWc(got)); n > w {
			t.Errorf("Truncate(row, %d) = %q is %d cells", w, got, n)
		}
		if p := Pad(row, w, false); Width(p) != w {
			t.Errorf("Pad(row, %d) = %q is %d cells", w, p, Width(p))
		}
		if p := Pad(row, w, true); Width(p) != w {
			t.Errorf("Pad(row, %d, right) = %q is %d cells", w, p, Width(p))
		}
	}
}
