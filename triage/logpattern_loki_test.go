package triage

import (
	"github.com/triagectl/triage/triage/drain"

	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"
)

// loadLokiPatterns decodes a recorded /loki/api/v1/patterns answer.
func loadLokiPatterns(t testing.TB, name string) []LokiPattern {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", "logpattern", name))
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Data []struct {
			Pattern string       `json:"pattern"`
			Level   string       `json:"level"`
			Samples [][2]float64 `json:"samples"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	var out []LokiPattern
	for _, d := range env.Data {
		p := LokiPattern{Pattern: d.Pattern, Level: d.Level}
		for _, s := range d.Samples {
			p.Samples = append(p.Samples, PatternSample{Time: time.Unix(int64(s[0]), 0).UTC(), Count: int(s[1])})
		}
		out = append(out, p)
	}
	return out
}

func TestPatternsFromLokiRecorded(t *testing.T) {
	ps := loadLokiPatterns(t, "loki-patterns.json")
	// The recorded samples are 60s apart from 1795566840 to 1795567380.
	t0 := time.Unix(1795566840, 0).UTC()
	w := Window{Start: t0.Add(5 * time.Minute), End: t0.Add(10 * time.Minute), BaselineStart: t0, BaselineEnd: t0.Add(5 * time.Minute)}
	lines := []LogLine{
		{Time: w.Start.Add(time.Second), Service: "payments", Line: `level=error msg="ledger-db: write failed: connection reset by peer" attempt=1 order=o-1`, TraceID: "aa01"},
		{Time: w.Start.Add(2 * time.Second), Service: "payments", Line: `level=error msg="ledger-db: write failed: connection reset by peer" attempt=2 order=o-1`, TraceID: "aa01"},
		{Time: w.Start.Add(3 * time.Second), Service: "orders", Line: `level=error msg="ledger-db: write failed: connection reset by peer" attempt=1 order=o-2`, TraceID: "aa02"},
		{Time: w.Start.Add(4 * time.Second), Service: "orders", Line: `level=info msg="payment captured" order=o-2 amount=12`},
		{Time: w.Start.Add(5 * time.Second), Service: "orders", Line: `level=warn msg="ledger slow" took=1.2s`, TraceID: "aa03"},
	}
	got := PatternsFromLoki(ps, ps, lines, nil, PatternOptions{Window: w})
	// The leftover warning's baseline is unknown (no baseline lines), so
	// it may be new; the error pattern is steady. Steady ranks last.
	want := []LogPattern{
		{
			Pattern: `level=warn msg="ledger slow" took=1.2s`, Level: "warn", Count: 1, Tag: TagNoBaseline,
			Services: []string{"orders"}, SampleTraceIDs: []string{"aa03"}, Source: PatternSourceMiner,
		},
		{
			Pattern: `level=error msg="ledger-db: write failed: connection reset by peer" attempt=<_> order=<_>`,
			Level:   "error", Count: 15, BaselineCount: 15, Tag: TagPreExisting,
			Services: []string{"orders", "payments"}, SampleTraceIDs: []string{"aa01", "aa02"}, Source: PatternSourceLoki,
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

// lokiAnswer emulates /patterns over lines: each line counts in the
// narrowest pattern it fits, per minute, and patterns of fewer than
// minLines lines are left out as Loki does.
func lokiAnswer(lines []LogLine, patterns []string, minLines int) []LokiPattern {
	patterns = slices.Clone(patterns)
	slices.SortStableFunc(patterns, func(a, b string) int {
		return drain.NewMatcher(b).Literal() - drain.NewMatcher(a).Literal()
	})
	ms := make([]drain.Matcher, len(patterns))
	for i, p := range patterns {
		ms[i] = drain.NewMatcher(p)
	}
	counts := make([]map[time.Time]int, len(patterns))
	levels := make([]string, len(patterns))
	total := make([]int, len(patterns))
	for _, l := range lines {
		for i, m := range ms {
			if m.Match(l.Line) {
				if counts[i] == nil {
					counts[i] = map[time.Time]int{}
				}
				counts[i][l.Time.Truncate(time.Minute)]++
				levels[i] = l.Level
				total[i]++
				break
			}
		}
	}
	out := []LokiPattern{}
	for i, p := range patterns {
		if total[i] < minLines {
			continue
		}
		lp := LokiPattern{Pattern: p, Level: levels[i]}
		for at, n := range counts[i] {
			lp.Samples = append(lp.Samples, PatternSample{Time: at, Count: n})
		}
		slices.SortFunc(lp.Samples, func(a, b PatternSample) int { return a.Time.Compare(b.Time) })
		out = append(out, lp)
	}
	return out
}

func TestPatternsFromLokiSim(t *testing.T) {
	for _, name := range simLogPresets {
		t.Run(name, func(t *testing.T) {
			fx := loadSimFixture(t, name)
			var templates []string
			for _, c := range MinePatterns(append(slices.Clone(fx.incident), fx.baseline...), MinerOptions{}) {
				templates = append(templates, c.Pattern)
			}
			const minLines = 30
			incP, baseP := lokiAnswer(fx.incident, templates, minLines), lokiAnswer(fx.baseline, templates, minLines)
			opts := PatternOptions{Window: fx.window()}
			got := PatternsFromLoki(incP, baseP, fx.incident, fx.baseline, opts)

			counted := 0
			for _, p := range got {
				counted += p.Count
				m := drain.NewMatcher(p.Pattern)
				traces := map[string]bool{}
				for _, l := range fx.incident {
					if m.Match(l.Line) && l.TraceID != "" {
						traces[l.TraceID] = true
					}
				}
				if len(p.SampleTraceIDs) > 5 || (len(p.SampleTraceIDs) == 0) != (len(traces) == 0) {
					t.Errorf("%q has %d sample traces", p.Pattern, len(p.SampleTraceIDs))
				}
				for _, id := range p.SampleTraceIDs {
					if !traces[id] {
						t.Errorf("sample trace %s has no line of %q", id, p.Pattern)
					}
				}
				if p.Source == PatternSourceLoki && p.Count < minLines {
					t.Errorf("loki pattern %q counts %d lines, below what Loki keeps", p.Pattern, p.Count)
				}
			}
			if counted != len(fx.incident) {
				t.Errorf("patterns count %d lines, the incident has %d", counted, len(fx.incident))
			}
			truth := drain.NewMatcher(fx.meta.TruthPatterns[0])
			if !truth.Match(firstLineFitting(fx.incident, got[0].Pattern)) || got[0].Tag != TagNew {
				t.Errorf("top pattern %+v is not the culprit's %q", got[0], fx.meta.TruthPatterns[0])
			}
			mined := ComparePatterns(fx.incident, fx.baseline, opts)
			if got[0].Pattern != mined[0].Pattern || got[0].Count != mined[0].Count {
				t.Errorf("loki path leads with %q ×%d, the miner with %q ×%d", got[0].Pattern, got[0].Count, mined[0].Pattern, mined[0].Count)
			}
		})
	}
}

// lineOf is the first line that fits pattern.
func firstLineFitting(lines []LogLine, pattern string) string {
	m := drain.NewMatcher(pattern)
	for _, l := range lines {
		if m.Match(l.Line) {
			return l.Line
		}
	}
	return ""
}

func TestPatternsFromLokiLevelsAndBaselines(t *testing.T) {
	at := time.Date(2026, 3, 14, 3, 10, 0, 0, time.UTC)
	samples := func(n int) []PatternSample { return []PatternSample{{Time: at, Count: n}} }
	line := func(level, text, trace string) LogLine {
		return LogLine{Time: at, Service: "api", Level: level, Line: text, TraceID: trace}
	}
	tests := []struct {
		name                 string
		incident, baseline   []LokiPattern
		lines, baselineLines []LogLine
		want                 []string // pattern level count/baseline tag source
	}{
		{
			name:     "unknown level read from the pattern",
			incident: []LokiPattern{{Pattern: "level=warn msg=slow took=<_>", Level: "unknown", Samples: samples(40)}},
			baseline: []LokiPattern{},
			want:     []string{"level=warn msg=slow took=<_> warn 40/0 new loki_patterns"},
		},
		{
			name:     "unknown level taken from the lines",
			incident: []LokiPattern{{Pattern: "db down host=<_>", Samples: samples(40)}},
			baseline: []LokiPattern{{Pattern: "db down host=<_>", Samples: samples(20)}},
			lines:    []LogLine{line("error", "db down host=a", "t1")},
			want:     []string{"db down host=<_> error 40/20 ×2.0 loki_patterns t1"},
		},
		{
			name:     "unknown level and no line: left out",
			incident: []LokiPattern{{Pattern: "db down host=<_>", Samples: samples(40)}},
			want:     []string{},
		},
		{
			name:     "info patterns are left out and their error lines mined",
			incident: []LokiPattern{{Pattern: "db down host=<_>", Level: "info", Samples: samples(40)}},
			lines:    []LogLine{line("error", "db down host=a", "t1")},
			want:     []string{"db down host=a error 1/0 no baseline client_miner t1"},
		},
		{
			name:          "baseline missing from Loki is counted from the lines",
			incident:      []LokiPattern{{Pattern: "db down host=<_>", Level: "error", Samples: samples(40)}},
			baseline:      []LokiPattern{},
			baselineLines: []LogLine{line("error", "db down host=a", ""), line("error", "db down host=b", ""), line("error", "other", "")},
			want:          []string{"db down host=<_> error 40/2 ×20 loki_patterns"},
		},
		{
			name:     "baseline unknown",
			incident: []LokiPattern{{Pattern: "db down host=<_>", Level: "error", Samples: samples(40)}},
			want:     []string{"db down host=<_> error 40/0 no baseline loki_patterns"},
		},
		{
			name: "a line goes to the narrowest pattern",
			incident: []LokiPattern{
				{Pattern: "db <_>", Level: "error", Samples: samples(50)},
				{Pattern: "db down host=<_>", Level: "error", Samples: samples(40)},
			},
			baseline: []LokiPattern{},
			lines:    []LogLine{line("error", "db down host=a", "t1"), line("error", "db slow", "t2")},
			want:     []string{"db <_> error 50/0 new loki_patterns t2", "db down host=<_> error 40/0 new loki_patterns t1"},
		},
		{
			name: "one pattern from two answers is one",
			incident: []LokiPattern{
				{Pattern: "db down <_><_>", Level: "error", Samples: samples(10)},
				{Pattern: "db down <_>", Level: "ERROR", Samples: samples(15)},
			},
			baseline: []LokiPattern{{Pattern: "db down <_>", Level: "error", Samples: samples(5)}},
			want:     []string{"db down <_> error 25/5 ×5.0 loki_patterns"},
		},
		{
			name:     "more lines than Loki counted",
			incident: []LokiPattern{{Pattern: "db down <_>", Level: "error", Samples: samples(1)}},
			baseline: []LokiPattern{},
			lines:    []LogLine{line("ERROR", "db down 1", "t1"), line("ERROR", "db down 2", "t2")},
			want:     []string{"db down <_> error 2/0 new loki_patterns t1 t2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PatternsFromLoki(tt.incident, tt.baseline, tt.lines, tt.baselineLines, PatternOptions{})
			out := []string{}
			for _, p := range got {
				s := fmt.Sprintf("%s %s %d/%d %s %s", p.Pattern, p.Level, p.Count, p.BaselineCount, p.Tag, p.Source)
				for _, id := range p.SampleTraceIDs {
					s += " " + id
				}
				out = append(out, s)
			}
			if !reflect.DeepEqual(out, tt.want) {
				t.Errorf("got  %q\nwant %q", out, tt.want)
			}
		})
	}
}

func TestSampleSum(t *testing.T) {
	t0 := time.Date(2026, 3, 14, 3, 0, 0, 0, time.UTC)
	min := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	ss := []PatternSample{{min(0), 1}, {min(1), 2}, {min(2), 4}, {min(3), 8}, {min(4), -16}}
	tests := []struct {
		name       string
		ss         []PatternSample
		start, end time.Time
		step       time.Duration
		want       int
	}{
		{"open bounds", ss, time.Time{}, time.Time{}, 0, 15},
		{"inside", ss, min(1), min(3), 0, 6},
		// The step that begins at 0:00 covers 0:30.
		{"a step overlapping the start counts", ss, min(0).Add(30 * time.Second), min(2), 0, 3},
		{"a step beginning at the end does not", ss, min(0), min(3), 0, 7},
		{"explicit step", ss, min(0).Add(150 * time.Second), time.Time{}, 2 * time.Minute, 14},
		{"one sample", []PatternSample{{min(2), 5}}, min(2), min(3), 0, 5},
		{"one sample before the window", []PatternSample{{min(1), 5}}, min(2), min(3), 0, 0},
		{"negative counts are ignored", ss, min(4), min(5), 0, 0},
		{"unordered samples", []PatternSample{{min(2), 4}, {min(0), 1}, {min(1), 2}}, min(1), time.Time{}, 0, 6},
		{"none", nil, min(0), min(1), 0, 0},
	}
	for _, tt := range tests {
		if got := sampleSum(tt.ss, tt.start, tt.end, tt.step); got != tt.want {
			t.Errorf("%s: sampleSum = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestFindLogPatterns(t *testing.T) {
	lines := patternTestLines(3, "api", "error", "db down n=%d")
	mined := FindLogPatterns(LogPatternInput{Lines: lines, BaselineLines: []LogLine{}}, PatternOptions{})
	if len(mined) != 1 || mined[0].Source != PatternSourceMiner || mined[0].Tag != TagNew {
		t.Errorf("without server patterns: %+v", mined)
	}
	server := []LokiPattern{{Pattern: "db down n=<_>", Level: "error", Samples: []PatternSample{{Time: lines[0].Time, Count: 3}}}}
	loki := FindLogPatterns(LogPatternInput{Lines: lines, Patterns: server, BaselinePatterns: []LokiPattern{}}, PatternOptions{})
	if len(loki) != 1 || loki[0].Source != PatternSourceLoki || loki[0].Count != 3 || len(loki[0].SampleTraceIDs) != 3 {
		t.Errorf("with server patterns: %+v", loki)
	}
}
