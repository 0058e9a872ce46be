package triage

import (
	"github.com/triagectl/triage/triage/drain"

	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// PatternOptions configure the log pattern analysis. Zero fields take the
// defaults.
type PatternOptions struct {
	Miner MinerOptions
	// Window bounds the incident and its baseline: counts are compared per
	// unit of time, and Loki's samples outside a window are left out. With
	// zero times both windows count as equally long and every sample counts.
	Window Window
	// MaxPatterns caps the patterns reported, the other bucket aside.
	MaxPatterns int // default 50
	// LokiStep is the step /patterns was asked with; 0 infers it from the
	// samples.
	LokiStep time.Duration
	// BaselineServices are the services that logged anything at all in
	// the baseline window. A pattern is compared only when one of its
	// services did: with no lines to compare with, nothing is "new". Nil:
	// every service counts as having logged, when the baseline answered.
	BaselineServices map[string]bool
}

// The values of LogPattern.Source.
const (
	PatternSourceLoki  = "loki_patterns"
	PatternSourceMiner = "client_miner"
)

// The values of LogPattern.Tag besides "×N".
const (
	TagNew         = "new"
	TagOther       = "other"
	TagPreExisting = "pre-existing" // about the baseline's rate: noise
	TagNoBaseline  = "no baseline"  // nothing to compare with
)

// preExistingRatio is the growth below which a pattern was already there.
const preExistingRatio = 1.5

func (o PatternOptions) maxPatterns() int {
	if o.MaxPatterns <= 0 {
		return 50
	}
	return o.MaxPatterns
}

// LogPatternInput is what the log source answered for the incident window
// and its baseline. A nil baseline is unknown, an empty one known to be
// empty; nil Patterns mean the server detects none, so lines are mined.
type LogPatternInput struct {
	Lines, BaselineLines       []LogLine
	Patterns, BaselinePatterns []LokiPattern
}

// FindLogPatterns groups the error and warning lines into patterns counted
// against the baseline: with the server's patterns when it has them, else
// with the miner.
func FindLogPatterns(in LogPatternInput, opts PatternOptions) []LogPattern {
	if in.Patterns != nil {
		return PatternsFromLoki(in.Patterns, in.BaselinePatterns, in.Lines, in.BaselineLines, opts)
	}
	return ComparePatterns(in.Lines, in.BaselineLines, opts)
}

// MinePatterns mines the error and warning lines into patterns, most lines
// first. Lines are taken in time order whatever order they come in, so the
// result depends only on the set of lines.
func MinePatterns(lines []LogLine, opts MinerOptions) []Cluster {
	m := drain.NewMiner(opts)
	for _, i := range timeOrder(lines) {
		m.Add(minerLine(lines[i]))
	}
	return m.Clusters()
}

// ComparePatterns mines the incident's error and warning lines and counts
// the baseline's lines against the same patterns, so both windows are
// judged by one set of templates. The result is ranked: new patterns and
// large increases first, errors above warnings. A nil baseline is unknown:
// the counts are then not compared and the tags are empty.
func ComparePatterns(incident, baseline []LogLine, opts PatternOptions) []LogPattern {
	m := drain.NewMiner(opts.Miner)
	for _, i := range timeOrder(incident) {
		m.Add(minerLine(incident[i]))
	}
	for _, i := range timeOrder(baseline) {
		m.AddBaseline(minerLine(baseline[i]))
	}
	cmp := newComparison(opts)
	for _, c := range m.Clusters() {
		cmp.add(c, PatternSourceMiner, baseline != nil)
	}
	return cmp.ranked()
}

// timeOrder sorts line indices by time, then by content, so that mining
// does not depend on the order the source or a merge of queries gave.
func timeOrder(lines []LogLine) []int32 {
	idx := make([]int32, len(lines))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(a, b int32) int {
		la, lb := &lines[a], &lines[b]
		if c := la.Time.Compare(lb.Time); c != 0 {
			return c
		}
		if c := strings.Compare(la.Service, lb.Service); c != 0 {
			return c
		}
		if c := strings.Compare(la.Line, lb.Line); c != 0 {
			return c
		}
		if c := strings.Compare(la.TraceID, lb.TraceID); c != 0 {
			return c
		}
		return int(a - b)
	})
	return idx
}

// comparison tags and ranks patterns against the baseline.
type comparison struct {
	scale  float64 // incident window length ÷ baseline window length
	max    int
	logged map[string]bool // services with baseline lines; nil: all
	rows   []scored
	other  []LogPattern
}

type scored struct {
	p     LogPattern
	score float64
	first time.Time // the pattern's first line: among equals, the first symptom leads
}

func newComparison(opts PatternOptions) *comparison {
	return &comparison{scale: windowScale(opts.Window), max: opts.maxPatterns(), logged: opts.BaselineServices}
}

// comparable reports whether the baseline can say anything of a pattern of
// these services: it answered, and one of them logged in it.
func (cmp *comparison) comparable(known bool, services []string) bool {
	if !known || cmp.logged == nil {
		return known
	}
	for _, s := range services {
		if cmp.logged[s] {
			return true
		}
	}
	return false
}

func windowScale(w Window) float64 {
	inc, base := w.End.Sub(w.Start), w.BaselineEnd.Sub(w.BaselineStart)
	if inc <= 0 || base <= 0 {
		return 1
	}
	return float64(inc) / float64(base)
}

// add takes one pattern; known says whether its baseline count is known.
func (cmp *comparison) add(c Cluster, source string, known bool) {
	p := LogPattern{
		Pattern: c.Pattern, Level: c.Level, Count: c.Count, BaselineCount: c.BaselineCount,
		Services: nonNilStrings(c.Services), SampleTraceIDs: nonNilStrings(c.SampleTraceIDs), Source: source,
	}
	if c.Other {
		p.Tag = TagOther
		cmp.other = append(cmp.other, p)
		return
	}
	if p.Count <= 0 {
		return
	}
	known = cmp.comparable(known, p.Services)
	p.Tag = cmp.tag(p.Count, p.BaselineCount, known)
	cmp.rows = append(cmp.rows, scored{p, cmp.score(p, known), c.FirstSeen})
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// tag is "new"; "pre-existing" for a rate within preExistingRatio of the
// baseline's or lower; "×N", the incident's rate over the baseline's, one
// decimal under 10; or "no baseline".
func (cmp *comparison) tag(count, baseline int, known bool) string {
	switch {
	case !known:
		return TagNoBaseline
	case baseline == 0:
		return TagNew
	}
	r := float64(count) / (float64(baseline) * cmp.scale)
	if r < preExistingRatio {
		return TagPreExisting
	}
	return formatRatio(r)
}

func formatRatio(r float64) string {
	r1 := math.Round(r*10) / 10
	switch {
	case r1 >= 10:
		return "×" + strconv.FormatFloat(math.Round(r), 'f', 0, 64)
	case r1 < 0.1:
		return "×<0.1"
	}
	return "×" + strconv.FormatFloat(r1, 'f', 1, 64)
}

// score favours the lines a pattern has beyond what the baseline predicts,
// weighted by how much of the pattern they make: (O−E)²/O, which is the
// count itself for a new pattern and near nothing for a steady one. New
// patterns count double; the volume breaks ties among unchanged patterns.
// Errors weigh ten warnings: a burst of slow-request warnings is a symptom
// more often than the cause.
const errorWeight = 10

func (cmp *comparison) score(p LogPattern, known bool) float64 {
	obs := float64(p.Count)
	exp := 0.0
	if known {
		exp = float64(p.BaselineCount) * cmp.scale
	}
	s := 0.0
	if obs > exp {
		s = (obs - exp) * (obs - exp) / obs
	}
	if known && p.BaselineCount == 0 {
		s *= 2
	}
	s += obs / 1000
	if p.Level == levelError {
		s *= errorWeight
	}
	return s
}

// ranked returns the patterns best first, at most max of them, then the
// other buckets. It is never nil: no pattern is a known empty result.
func (cmp *comparison) ranked() []LogPattern {
	slices.SortFunc(cmp.rows, func(a, b scored) int {
		switch {
		case a.score != b.score:
			if a.score > b.score {
				return -1
			}
			return 1
		case !a.first.Equal(b.first):
			switch {
			case b.first.IsZero():
				return -1
			case a.first.IsZero(), b.first.Before(a.first):
				return 1
			}
			return -1
		case a.p.Count != b.p.Count:
			return b.p.Count - a.p.Count
		}
		if c := strings.Compare(a.p.Pattern, b.p.Pattern); c != 0 {
			return c
		}
		if c := strings.Compare(a.p.Level, b.p.Level); c != 0 {
			return c
		}
		return strings.Compare(a.p.Source, b.p.Source)
	})
	out := make([]LogPattern, 0, min(len(cmp.rows), cmp.max)+len(cmp.other))
	for i := 0; i < len(cmp.rows) && i < cmp.max; i++ {
		out = append(out, cmp.rows[i].p)
	}
	return append(out, cmp.other...)
}
