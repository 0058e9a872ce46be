package triage

import (
	"github.com/triagectl/triage/triage/drain"

	"slices"
	"strings"
	"time"
)

// PatternsFromLoki turns the patterns Loki's /patterns detected in the
// incident window into ranked log patterns counted against those of the
// baseline window. Loki counts the lines; the incident's own error and
// warning lines give each pattern its services, a level when Loki has
// none, and its sample trace ids. Loki keeps no pattern for rare lines, so
// the lines that fit no pattern are mined here and merged in.
//
// A baseline pattern missing from Loki's answer is counted from the
// baseline lines. Nil baseline patterns and nil baseline lines leave the
// baseline unknown.
func PatternsFromLoki(incident, baseline []LokiPattern, lines, baselineLines []LogLine, opts PatternOptions) []LogPattern {
	w := opts.Window
	aggs := lokiAggregates(incident, w.Start, w.End, opts.LokiStep)
	baseByKey, baseByText := map[lokiKey]int{}, map[string]int{}
	for _, p := range baseline {
		n := sampleSum(p.Samples, w.BaselineStart, w.BaselineEnd, opts.LokiStep)
		text := drain.NormalizePattern(p.Pattern)
		baseByKey[lokiKey{text, NormalizeLogLevel(p.Level)}] += n
		baseByText[text] += n
	}

	maxSamples := opts.Miner.WithDefaults().MaxSamples
	var rest, restBase []LogLine
	for _, i := range timeOrder(lines) {
		l := lines[i]
		lv := logLevelOf(l)
		if lv != levelError && lv != levelWarn {
			continue
		}
		a := matchAggregate(aggs, l.Line, lv)
		if a == nil {
			rest = append(rest, l)
			continue
		}
		a.level = lv
		a.lines++
		a.first = earlierTime(a.first, l.Time)
		if !slices.Contains(a.services, l.Service) {
			a.services = append(a.services, l.Service)
		}
		if l.TraceID != "" && len(a.samples) < maxSamples && !slices.Contains(a.samples, l.TraceID) {
			a.samples = append(a.samples, l.TraceID)
		}
	}
	for _, i := range timeOrder(baselineLines) {
		l := baselineLines[i]
		lv := logLevelOf(l)
		if lv != levelError && lv != levelWarn {
			continue
		}
		if a := matchAggregate(aggs, l.Line, lv); a != nil {
			a.baseLines++
			continue
		}
		restBase = append(restBase, l)
	}

	cmp := newComparison(opts)
	for _, a := range aggs {
		if a.level == "" {
			continue // neither Loki, the pattern nor any line says it is an error or a warning
		}
		base, ok := baseByKey[lokiKey{a.pattern, a.level}]
		if !ok {
			base, ok = baseByText[a.pattern]
		}
		if !ok && baselineLines != nil {
			base = a.baseLines
		}
		slices.Sort(a.services)
		cmp.add(Cluster{
			Pattern: a.pattern, Level: a.level, Count: max(a.count, a.lines), BaselineCount: base,
			Services: a.services, SampleTraceIDs: a.samples, FirstSeen: a.first,
		}, PatternSourceLoki, baseline != nil || baselineLines != nil)
	}
	if len(rest) > 0 {
		m := drain.NewMiner(opts.Miner)
		for _, l := range rest {
			m.Add(minerLine(l))
		}
		for _, l := range restBase {
			m.AddBaseline(minerLine(l))
		}
		for _, c := range m.Clusters() {
			cmp.add(c, PatternSourceMiner, baselineLines != nil)
		}
	}
	return cmp.ranked()
}

type lokiKey struct{ pattern, level string }

// lokiAggregate is one incident pattern, merged over Loki's answers.
type lokiAggregate struct {
	pattern   string
	level     string // "" while unknown
	count     int    // Loki's count in the window
	lines     int    // incident lines that fit it
	first     time.Time
	baseLines int // baseline lines that fit it
	services  []string
	samples   []string
	m         drain.Matcher
}

// lokiAggregates keeps the error and warning patterns, and those of no
// known level, merged by text and level, most specific first so that a
// line goes to the narrowest pattern it fits.
func lokiAggregates(ps []LokiPattern, start, end time.Time, step time.Duration) []*lokiAggregate {
	byKey := map[lokiKey]*lokiAggregate{}
	var out []*lokiAggregate
	for _, p := range ps {
		lv := NormalizeLogLevel(p.Level)
		if lv == "" {
			lv = drain.LevelInText(p.Pattern)
		}
		if lv != "" && lv != levelError && lv != levelWarn {
			continue
		}
		k := lokiKey{drain.NormalizePattern(p.Pattern), lv}
		a := byKey[k]
		if a == nil {
			a = &lokiAggregate{pattern: k.pattern, level: lv, services: []string{}, samples: []string{}, m: drain.NewMatcher(k.pattern)}
			byKey[k] = a
			out = append(out, a)
		}
		a.count += sampleSum(p.Samples, start, end, step)
	}
	slices.SortFunc(out, func(a, b *lokiAggregate) int {
		if a.m.Literal() != b.m.Literal() {
			return b.m.Literal() - a.m.Literal()
		}
		if c := strings.Compare(a.pattern, b.pattern); c != 0 {
			return c
		}
		return strings.Compare(a.level, b.level)
	})
	return out
}

// matchAggregate finds the first pattern of a compatible level that line
// fits.
func matchAggregate(aggs []*lokiAggregate, line, level string) *lokiAggregate {
	for _, a := range aggs {
		if (a.level == "" || a.level == level) && a.m.Match(line) {
			return a
		}
	}
	return nil
}

// sampleSum counts the samples whose step overlaps [start, end); zero
// bounds are open. The step is given, or the smallest gap between samples.
func sampleSum(ss []PatternSample, start, end time.Time, step time.Duration) int {
	if step <= 0 {
		for i := 1; i < len(ss); i++ {
			if d := ss[i].Time.Sub(ss[i-1].Time).Abs(); d > 0 && (step <= 0 || d < step) {
				step = d
			}
		}
		step = max(step, time.Nanosecond)
	}
	n := 0
	for _, s := range ss {
		if s.Count <= 0 {
			continue
		}
		if (end.IsZero() || s.Time.Before(end)) && (start.IsZero() || s.Time.Add(step).After(start)) {
			n += s.Count
		}
	}
	return n
}
