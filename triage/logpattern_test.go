package triage

import (
	"github.com/triagectl/triage/triage/drain"

	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"
)

func TestFormatRatio(t *testing.T) {
	tests := []struct {
		r    float64
		want string
	}{
		{1, "×1.0"}, {0.5, "×0.5"}, {2.34, "×2.3"}, {9.94, "×9.9"}, {9.96, "×10"},
		{10, "×10"}, {12.5, "×13"}, {1832, "×1832"}, {0.04, "×<0.1"}, {0.06, "×0.1"},
	}
	for _, tt := range tests {
		if got := formatRatio(tt.r); got != tt.want {
			t.Errorf("formatRatio(%v) = %q, want %q", tt.r, got, tt.want)
		}
	}
}

// linesOf makes n error lines of one template, a second apart.
func patternTestLines(n int, service, level, format string) []LogLine {
	at := time.Date(2026, 3, 14, 3, 10, 0, 0, time.UTC)
	out := make([]LogLine, n)
	for i := range out {
		out[i] = LogLine{Time: at.Add(time.Duration(i) * time.Second), Service: service, Level: level, Line: fmt.Sprintf(format, i), TraceID: fmt.Sprintf("%032x", i+1)}
	}
	return out
}

func TestComparePatternsTags(t *testing.T) {
	at := time.Date(2026, 3, 14, 3, 0, 0, 0, time.UTC)
	sameLength := Window{Start: at.Add(time.Hour), End: at.Add(time.Hour + 15*time.Minute), BaselineStart: at, BaselineEnd: at.Add(15 * time.Minute)}
	halfLength := Window{Start: at.Add(time.Hour), End: at.Add(time.Hour + 10*time.Minute), BaselineStart: at, BaselineEnd: at.Add(20 * time.Minute)}
	const tmpl = "db timeout after attempt=%d"
	tests := []struct {
		name           string
		incident, base int
		nilBase        bool
		window         Window
		want           string
	}{
		{"new", 40, 0, false, sameLength, "new"},
		{"tripled", 30, 10, false, sameLength, "×3.0"},
		{"steady", 10, 10, false, sameLength, "pre-existing"},
		{"halved", 5, 10, false, sameLength, "pre-existing"},
		{"grew by under half", 14, 10, false, sameLength, "pre-existing"},
		{"grew by half", 15, 10, false, sameLength, "×1.5"},
		{"large", 500, 4, false, sameLength, "×125"},
		{"no window counts as equal lengths", 30, 10, false, Window{}, "×3.0"},
		// The incident is half as long as the baseline: the same count is
		// twice the rate.
		{"scaled by window lengths", 10, 10, false, halfLength, "×2.0"},
		{"unknown baseline", 10, 0, true, sameLength, "no baseline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var base []LogLine
			if !tt.nilBase {
				base = patternTestLines(tt.base, "db", "error", tmpl)
			}
			got := ComparePatterns(patternTestLines(tt.incident, "db", "error", tmpl), base, PatternOptions{Window: tt.window})
			if len(got) != 1 {
				t.Fatalf("%d patterns, want 1: %+v", len(got), got)
			}
			p := got[0]
			if p.Tag != tt.want || p.Count != tt.incident || p.BaselineCount != tt.base || p.Source != PatternSourceMiner {
				t.Errorf("got %+v, want tag %q, count %d, baseline %d", p, tt.want, tt.incident, tt.base)
			}
		})
	}
}

func TestComparePatternsRanking(t *testing.T) {
	var incident, baseline []LogLine
	add := func(dst *[]LogLine, n int, svc, level, format string) {
		*dst = append(*dst, patternTestLines(n, svc, level, format)...)
	}
	add(&incident, 50, "payments", "error", "pool timeout waiters=%d")                // new error
	add(&incident, 400, "inventory", "warn", "slow request duration_ms=%d")           // new warning, more lines
	add(&incident, 300, "recs", "error", "feature store returned 503 latency_ms=%d")  // steady noise
	add(&baseline, 300, "recs", "error", "feature store returned 503 latency_ms=%d")  //
	add(&incident, 60, "checkout", "error", "retrying order attempt=%d")              // tripled
	add(&baseline, 20, "checkout", "error", "retrying order attempt=%d")              //
	add(&incident, 10, "cart", "error", "decode cart failed cart_id=c-%d")            // halved
	add(&baseline, 20, "cart", "error", "decode cart failed cart_id=c-%d")            //
	add(&baseline, 90, "auth", "error", "jwks refresh timed out kid=k%d")             // gone: not reported
	add(&incident, 5, "storefront", "warn", "render took longer than expected ms=%d") // steady warning
	add(&baseline, 5, "storefront", "warn", "render took longer than expected ms=%d")

	got := ComparePatterns(incident, baseline, PatternOptions{})
	var order []string
	for _, p := range got {
		order = append(order, p.Services[0]+" "+p.Tag)
	}
	// An error weighs ten warnings: 400 new warnings outrank 40 extra errors,
	// not 50 new ones. Steady and falling patterns come last, by volume.
	want := []string{"payments new", "inventory new", "checkout ×3.0", "recs pre-existing", "cart pre-existing", "storefront pre-existing"}
	if !reflect.DeepEqual(order, want) {
		t.Errorf("ranked %q, want %q", order, want)
	}

	if capped := ComparePatterns(incident, baseline, PatternOptions{MaxPatterns: 2}); len(capped) != 2 || capped[0].Services[0] != "payments" {
		t.Errorf("MaxPatterns 2 gave %+v", capped)
	}
}

func TestComparePatternsEmpty(t *testing.T) {
	for _, base := range [][]LogLine{nil, {}} {
		got := ComparePatterns(nil, base, PatternOptions{})
		if got == nil || len(got) != 0 {
			t.Errorf("no lines gave %#v, want a known empty list", got)
		}
	}
	info := patternTestLines(10, "a", "info", "started n=%d")
	if got := ComparePatterns(info, info, PatternOptions{}); got == nil || len(got) != 0 {
		t.Errorf("info lines gave %+v, want none", got)
	}
}

func TestComparePatternsOtherBucket(t *testing.T) {
	var incident []LogLine
	for i := range 6 {
		incident = append(incident, patternTestLines(3, "svc", "error", fmt.Sprintf("failure kind%c%c words%c n=%%d", 'a'+i, 'a'+i, 'a'+i))...)
	}
	got := ComparePatterns(incident, []LogLine{}, PatternOptions{Miner: MinerOptions{MaxClusters: 4}})
	if len(got) != 5 {
		t.Fatalf("%d patterns, want 4 and the other bucket", len(got))
	}
	last := got[len(got)-1]
	if last.Pattern != drain.OtherPattern || last.Tag != TagOther || last.Count != 6 || last.Source != PatternSourceMiner {
		t.Errorf("other bucket %+v", last)
	}
}

// TestComparePatternsSimAccuracy checks the miner against the simulator's
// ground truth: each error template the culprit logs lands whole in one
// pattern that holds nothing else, is tagged new, and the most frequent
// leads the ranking; the noise service's steady errors never lead.
func TestComparePatternsSimAccuracy(t *testing.T) {
	for _, name := range simLogPresets {
		t.Run(name, func(t *testing.T) {
			fx := loadSimFixture(t, name)
			m := drain.NewMiner(MinerOptions{})
			joined := map[int][]int{}
			for _, i := range timeOrder(fx.incident) {
				if c := m.Join(minerLine(fx.incident[i])); c != drain.SkippedID {
					joined[c] = append(joined[c], int(i))
				}
			}
			ranked := ComparePatterns(fx.incident, fx.baseline, PatternOptions{Window: fx.window()})
			rank := map[string]int{}
			for i, p := range ranked {
				rank[p.Pattern] = i
			}
			truths := make([]drain.Matcher, len(fx.meta.TruthPatterns))
			for i, p := range fx.meta.TruthPatterns {
				truths[i] = drain.NewMatcher(p)
			}
			for ti, truth := range truths {
				home := drain.SkippedID
				n := 0
				for c, idx := range joined {
					for _, i := range idx {
						if !truth.Match(fx.incident[i].Line) {
							continue
						}
						n++
						if home != drain.SkippedID && home != c {
							t.Fatalf("truth %q is split between %q and %q", fx.meta.TruthPatterns[ti], m.PatternOf(home), m.PatternOf(c))
						}
						home = c
					}
				}
				if home == drain.SkippedID {
					t.Fatalf("no line of truth %q", fx.meta.TruthPatterns[ti])
				}
				for _, i := range joined[home] {
					if !slices.ContainsFunc(truths, func(m drain.Matcher) bool { return m.Match(fx.incident[i].Line) }) {
						t.Errorf("pattern %q of truth %q also holds %q", m.PatternOf(home), fx.meta.TruthPatterns[ti], fx.incident[i].Line)
					}
				}
				r, ok := rank[m.PatternOf(home)]
				if !ok {
					t.Fatalf("pattern %q of truth %q is not reported", m.PatternOf(home), fx.meta.TruthPatterns[ti])
				}
				if ranked[r].Tag != TagNew {
					t.Errorf("pattern %q tagged %q, want new", ranked[r].Pattern, ranked[r].Tag)
				}
				if ti == 0 && r != 0 {
					t.Errorf("the culprit's main pattern %q ranks %d, want first", m.PatternOf(home), r+1)
				}
				t.Logf("truth %q: %d lines in %q, rank %d", fx.meta.TruthPatterns[ti], n, m.PatternOf(home), r+1)
			}
			if slices.Contains(ranked[0].Services, fx.meta.NoiseService) {
				t.Errorf("the noise service %s leads: %+v", fx.meta.NoiseService, ranked[0])
			}
			for _, p := range ranked {
				if slices.Equal(p.Services, []string{fx.meta.NoiseService}) && (p.Tag == TagNew || p.BaselineCount == 0) {
					t.Errorf("noise pattern %q tagged %q, want a ratio", p.Pattern, p.Tag)
				}
			}
		})
	}
}
