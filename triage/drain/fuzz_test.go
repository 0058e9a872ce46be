package drain

import (
	"math/rand/v2"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// fuzzSeedLines are real lines: the simulator's and the benchmark's
// formats, and patterns mined from them.
func fuzzSeedLines(f *testing.F) []string {
	var out []string
	lines := minerTestLines(f)
	for i := 0; i < len(lines); i += 97 {
		out = append(out, lines[i].Text)
	}
	for _, c := range Mine(lines, MinerOptions{MaxClusters: 20}) {
		out = append(out, c.Pattern)
	}
	return out
}

// FuzzMine mines the newline-separated lines of text: it must never
// panic, count every line exactly once, give every line a pattern it fits,
// and give the same result twice.
func FuzzMine(f *testing.F) {
	seeds := fuzzSeedLines(f)
	for i := 0; i < len(seeds); i += 3 {
		f.Add(strings.Join(seeds[i:min(i+3, len(seeds))], "\n"), uint8(i))
	}
	f.Add("a b\na c\n\n \t\na b", uint8(1))
	f.Add("level=error \xff\xfe\x00 \x1b[31m <_> <_><_> =\"\" '' \"", uint8(2))
	f.Fuzz(func(t *testing.T, text string, knobs uint8) {
		opts := MinerOptions{MaxClusters: 1 + int(knobs%5), MaxTokens: 2 + int(knobs/5%8), TreeDepth: 1 + int(knobs%3), MaxChildren: 1 + int(knobs%4)}
		at := time.Date(2026, 3, 14, 3, 10, 0, 0, time.UTC)
		raw := strings.Split(text, "\n")
		lines := make([]Line, len(raw))
		for i, l := range raw {
			lines[i] = Line{
				Time: at.Add(time.Duration(i%7) * time.Second), Service: []string{"a", "b", ""}[i%3],
				Level: []string{LevelError, LevelWarn}[i%2], Text: l, TraceID: []string{"t1", "", "t2", "t1"}[i%4],
			}
		}
		m := NewMiner(opts)
		joined := make([]*drainCluster, len(lines))
		for i, l := range lines {
			if joined[i] = m.add(l, false); joined[i] == nil {
				t.Fatalf("line %q of level %s was not counted", l.Text, l.Level)
			}
		}
		if m.Len() > opts.MaxClusters {
			t.Fatalf("%d patterns, cap %d", m.Len(), opts.MaxClusters)
		}
		for i, c := range joined {
			if c == m.other {
				continue
			}
			if p := c.pattern(); !NewMatcher(withoutSpace(p)).Match(withoutSpace(lines[i].Text)) {
				t.Fatalf("line %q does not fit its pattern %q", lines[i].Text, p)
			}
		}
		cs := m.Clusters()
		total := 0
		for _, c := range cs {
			total += c.Count
			if len(c.SampleTraceIDs) > 5 {
				t.Fatalf("%d samples", len(c.SampleTraceIDs))
			}
		}
		if total != len(lines) {
			t.Fatalf("counted %d lines, got %d", total, len(lines))
		}
		for _, l := range lines {
			m.AddBaseline(l)
		}
		a, b := Mine(lines, opts), Mine(lines, opts)
		if !reflect.DeepEqual(a, b) {
			t.Fatal("two runs disagree")
		}
	})
}

// stripSpace drops whitespace: patterns join words with single spaces, and
// JSON fields with none.
func withoutSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x80 && isLineSpace(byte(r)) {
			return -1
		}
		return r
	}, s)
}

// FuzzMatcher checks the matcher against a regular expression and
// against lines built by filling the placeholders.
func FuzzMatcher(f *testing.F) {
	seeds := fuzzSeedLines(f)
	for i, s := range seeds {
		f.Add(s, seeds[(i+1)%len(seeds)], uint64(i))
	}
	f.Add("a<_>a<_>a", "aaa", uint64(1))
	f.Add("<_><_>x<_>", "", uint64(2))
	f.Add("ab<_>ba", "aba", uint64(3))
	f.Fuzz(func(t *testing.T, pattern, line string, seed uint64) {
		m := NewMatcher(pattern)
		// The regexp works on UTF-8 text, the matcher on bytes: compare them
		// where both are valid UTF-8, and small enough for the regexp's
		// automaton to stay quick.
		if utf8.ValidString(line) && utf8.ValidString(pattern) && len(pattern)*len(line) < 1<<16 {
			re := regexp.MustCompile("^(?s:" + strings.ReplaceAll(regexp.QuoteMeta(pattern), regexp.QuoteMeta(Placeholder), ".*") + ")$")
			if got, want := m.Match(line), re.MatchString(line); got != want {
				t.Fatalf("%q matches %q = %v, the regexp says %v", pattern, line, got, want)
			}
		}
		r := rand.New(rand.NewPCG(seed, 1))
		pieces := strings.Split(pattern, Placeholder)
		var b strings.Builder
		for i, p := range pieces {
			if i > 0 && len(line) > 0 {
				lo := r.IntN(len(line))
				b.WriteString(line[lo : lo+r.IntN(min(len(line)-lo, 64)+1)])
			}
			b.WriteString(p)
		}
		if filled := b.String(); !m.Match(filled) {
			t.Fatalf("%q does not match %q, its placeholders filled", pattern, filled)
		}
	})
}
