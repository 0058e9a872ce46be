package drain

import (
	"slices"
	"strings"
	"time"
)

// OtherPattern is the pattern of the bucket that counts the lines which fit
// no pattern once MaxClusters patterns are mined.
const OtherPattern = "(other lines: pattern limit reached)"

// Cluster is one mined pattern and the lines it stands for.
type Cluster struct {
	Pattern        string
	Level          string // "error" or "warn"
	Count          int    // lines of the incident window
	BaselineCount  int    // lines of the baseline window
	Services       []string
	FirstSeen      time.Time // of the incident lines
	LastSeen       time.Time
	SampleTraceIDs []string // distinct, of the earliest lines
	Other          bool     // the bucket of lines beyond MaxClusters
}

func (c *drainCluster) pattern() string { return joinTemplate(c.tmpl, (*tmplToken).shown) }

// maskedPattern is the pattern with every variable masked, whether or not
// its lines agreed on it: patterns of two services that match here differ
// only in constants that vary in the other service.
func (c *drainCluster) maskedPattern() string {
	return joinTemplate(c.tmpl, (*tmplToken).maskedText)
}

func (t *tmplToken) shown() string { return t.text }

func (t *tmplToken) maskedText() string {
	if t.state == tsExact {
		return t.mask
	}
	return t.text
}

func joinTemplate(tmpl []tmplToken, text func(*tmplToken) string) string {
	var b strings.Builder
	for i := range tmpl {
		b.WriteString(text(&tmpl[i]))
		if !tmpl[i].glued && i < len(tmpl)-1 {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// Clusters returns the patterns mined so far, most lines first. Patterns of
// several services that differ at most in numbers and ids are one, listing
// every service. The other bucket, if any line fell into it, comes last.
func (m *Miner) Clusters() []Cluster {
	type key struct{ masked, level string }
	type group struct {
		tmpl    []tmplToken
		samples []traceSample
		out     Cluster
	}
	idx := map[key]int{}
	groups := make([]*group, 0, len(m.clusters))
	for _, c := range m.clusters {
		k := key{c.maskedPattern(), c.level}
		i, ok := idx[k]
		if !ok {
			i = len(groups)
			idx[k] = i
			groups = append(groups, &group{
				tmpl: slices.Clone(c.tmpl),
				out:  Cluster{Level: c.level, Services: []string{}, SampleTraceIDs: []string{}},
			})
		}
		g := groups[i]
		for j := range g.tmpl {
			if g.tmpl[j].text != c.tmpl[j].text {
				g.tmpl[j].text = c.tmpl[j].maskedText()
			}
		}
		o := &g.out
		o.Count += c.count
		o.BaselineCount += c.baseline
		if !slices.Contains(o.Services, c.service) {
			o.Services = append(o.Services, c.service)
		}
		o.FirstSeen, o.LastSeen = earlierTime(o.FirstSeen, c.first), laterTime(o.LastSeen, c.last)
		g.samples = append(g.samples, c.samples...)
	}
	out := make([]Cluster, 0, len(groups)+1)
	for _, g := range groups {
		g.out.Pattern = joinTemplate(g.tmpl, (*tmplToken).shown)
		slices.Sort(g.out.Services)
		g.out.SampleTraceIDs = sampleIDs(g.samples, m.opts.MaxSamples)
		out = append(out, g.out)
	}
	slices.SortStableFunc(out, func(a, b Cluster) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		if c := strings.Compare(a.Pattern, b.Pattern); c != 0 {
			return c
		}
		return strings.Compare(a.Level, b.Level)
	})
	if o := m.other; o != nil {
		svcs := make([]string, 0, len(o.services))
		for s := range o.services {
			svcs = append(svcs, s)
		}
		slices.Sort(svcs)
		out = append(out, Cluster{
			Pattern: OtherPattern, Level: o.level, Count: o.count, BaselineCount: o.baseline,
			Services: svcs, FirstSeen: o.first, LastSeen: o.last,
			SampleTraceIDs: sampleIDs(slices.Clone(o.samples), m.opts.MaxSamples), Other: true,
		})
	}
	return out
}

// sampleIDs are the distinct ids of the earliest samples.
func sampleIDs(ss []traceSample, n int) []string {
	slices.SortStableFunc(ss, func(a, b traceSample) int { return a.at.Compare(b.at) })
	out := make([]string, 0, min(n, len(ss)))
	for _, s := range ss {
		if len(out) < n && !slices.Contains(out, s.id) {
			out = append(out, s.id)
		}
	}
	return out
}

func earlierTime(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

func laterTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
