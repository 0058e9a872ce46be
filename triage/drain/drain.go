package drain

import (
	"strings"
	"time"
)

// MinerOptions tune and bound the template miner. Zero fields take the
// defaults.
type MinerOptions struct {
	// MaxClusters caps the patterns kept, and so the memory; lines that fit
	// none once the cap is reached are counted in the other bucket.
	MaxClusters int // default 1000
	// Similarity is the share of a line's words that must agree with a
	// pattern for the line to join it.
	Similarity float64 // default 0.6
	// TreeDepth is how many leading words the prefix tree routes on.
	TreeDepth int // default 2
	// MaxChildren caps the branches of a tree node; further words share a
	// placeholder branch.
	MaxChildren int // default 100
	// MaxLeafClusters caps the patterns that share a leaf of the tree, and
	// so the patterns a line is compared with; lines that fit none of a
	// full leaf go to the other bucket.
	MaxLeafClusters int // default 32
	// MaxTokens caps the words of a line; the rest is one placeholder.
	MaxTokens int // default 100
	// MaxSamples caps the distinct trace ids kept per pattern.
	MaxSamples int // default 5
}

// WithDefaults fills the zero fields with the defaults.
func (o MinerOptions) WithDefaults() MinerOptions {
	if o.MaxClusters <= 0 {
		o.MaxClusters = 1000
	}
	if o.Similarity <= 0 || o.Similarity > 1 {
		o.Similarity = 0.6
	}
	if o.TreeDepth <= 0 {
		o.TreeDepth = 2
	}
	if o.MaxChildren <= 0 {
		o.MaxChildren = 100
	}
	if o.MaxLeafClusters <= 0 {
		o.MaxLeafClusters = 32
	}
	if o.MaxTokens < 2 {
		o.MaxTokens = 100
	}
	if o.MaxSamples <= 0 {
		o.MaxSamples = 5
	}
	return o
}

// Miner groups log lines into patterns, Drain-style: a fixed-depth prefix
// tree keyed by service, level, word count and the leading words finds the
// candidate patterns, and the most similar one above the threshold takes
// the line, its differing words becoming placeholders. The result depends
// only on the order of the lines. A Miner is not safe for concurrent use.
type Miner struct {
	opts     MinerOptions
	roots    map[drainRoot]*drainNode
	clusters []*drainCluster
	other    *drainCluster
	toks     []drainToken
	keyBuf   []byte
}

type drainRoot struct {
	service, level string
	n              int
}

type drainNode struct {
	children map[string]*drainNode
	leaf     []*drainCluster
}

type drainCluster struct {
	id              int // index in creation order; -1 for the other bucket
	service, level  string
	tmpl            []tmplToken
	count, baseline int
	first, last     time.Time
	samples         []traceSample
	services        map[string]bool // the other bucket only
}

// traceSample is a trace id and when its line was logged: samples of
// patterns merged across services are the earliest of them all.
type traceSample struct {
	id string
	at time.Time
}

// Template word states, from most to least specific; a word only ever
// moves down the list, so a pattern keeps matching every line it took.
const (
	tsExact  uint8 = iota // text is the word every line had
	tsMasked              // text is the word with its variable part replaced
	tsKey                 // text is "key=<_>"
	tsWild                // text is "<_>"
)

type tmplToken struct {
	text  string
	mask  string
	key   string
	kind  uint8
	state uint8
	glued bool // shown without a space before the next word
}

// maxOtherServices bounds the service list of the other bucket.
const maxOtherServices = 100

// Line is one log line as the miner takes it.
type Line struct {
	Time    time.Time
	Service string
	// Level is the line's normalised level: LevelError or LevelWarn lines
	// are mined, any other level is skipped.
	Level   string
	Text    string
	TraceID string
}

// The levels the miner takes.
const (
	LevelError = "error"
	LevelWarn  = "warn"
)

// NewMiner returns an empty miner.
func NewMiner(opts MinerOptions) *Miner {
	return &Miner{opts: opts.WithDefaults(), roots: map[drainRoot]*drainNode{}}
}

// Add mines one line of the incident window. Lines that are neither errors
// nor warnings are skipped and Add reports false; every other line is
// counted exactly once, in a pattern or in the other bucket.
func (m *Miner) Add(l Line) bool {
	return m.add(l, false) != nil
}

// AddBaseline counts one line of the baseline window against the patterns
// mined so far; it never starts a pattern, since a pattern absent from the
// incident is not reported. It reports whether a pattern took the line.
func (m *Miner) AddBaseline(l Line) bool {
	return m.add(l, true) != nil
}

// What Join reports of a line that no pattern took.
const (
	OtherID   = -1 // the line went to the other bucket
	SkippedID = -2 // the line is neither an error nor a warning
)

// Join is Add, reporting which pattern took the line: its number in the
// order patterns were started, OtherID or SkippedID.
func (m *Miner) Join(l Line) int {
	c := m.add(l, false)
	if c == nil {
		return SkippedID
	}
	return c.id
}

// PatternOf is the current pattern of the id Join reported.
func (m *Miner) PatternOf(id int) string {
	if id == OtherID {
		return OtherPattern
	}
	if id < 0 || id >= len(m.clusters) {
		return ""
	}
	return m.clusters[id].pattern()
}

// Len is the number of patterns mined, the other bucket aside.
func (m *Miner) Len() int { return len(m.clusters) }

func (m *Miner) add(l Line, baseline bool) *drainCluster {
	level := l.Level
	if level != LevelError && level != LevelWarn {
		return nil
	}
	m.toks = tokenizeLine(l.Text, m.opts.MaxTokens, m.toks)
	root := drainRoot{service: l.Service, level: level, n: len(m.toks)}
	c := m.search(root, m.toks)
	switch {
	case c != nil:
		c.merge(m.toks)
	case baseline:
		return nil
	case len(m.clusters) < m.opts.MaxClusters:
		c = m.create(root, l.Text, m.toks)
	}
	if c == nil {
		if m.other == nil {
			m.other = &drainCluster{id: OtherID, level: level, services: map[string]bool{}}
		}
		c = m.other
		if level == LevelError {
			c.level = LevelError
		}
		if len(c.services) < maxOtherServices && !c.services[l.Service] {
			c.services[strings.Clone(l.Service)] = true
		}
	}
	if baseline {
		c.baseline++
		return c
	}
	c.count++
	if c.first.IsZero() || l.Time.Before(c.first) {
		c.first = l.Time
	}
	if l.Time.After(c.last) {
		c.last = l.Time
	}
	if l.TraceID != "" && len(c.samples) < m.opts.MaxSamples && !hasSample(c.samples, l.TraceID) {
		c.samples = append(c.samples, traceSample{strings.Clone(l.TraceID), l.Time})
	}
	return c
}

// routeKey is the branch a word takes in the prefix tree: variables take
// their masked form, so ids and numbers do not split the tree. The key is
// only valid until the next call.
func (m *Miner) routeKey(t *drainToken) []byte {
	m.keyBuf = t.appendMask(m.keyBuf[:0])
	return m.keyBuf
}

func (m *Miner) search(root drainRoot, toks []drainToken) *drainCluster {
	n := m.roots[root]
	for i := 0; n != nil && i < min(m.opts.TreeDepth, len(toks)); i++ {
		next := n.children[string(m.routeKey(&toks[i]))]
		if next == nil {
			next = n.children[Placeholder]
		}
		n = next
	}
	if n == nil {
		return nil
	}
	var best *drainCluster
	bestSim, bestWild := m.opts.Similarity, -1
	for _, c := range n.leaf {
		sim, wild, ok := c.similarity(toks, bestSim)
		if ok && (sim > bestSim || (sim == bestSim && wild > bestWild)) {
			best, bestSim, bestWild = c, sim, wild
		}
	}
	return best
}

func (m *Miner) create(root drainRoot, line string, toks []drainToken) *drainCluster {
	n := m.roots[root]
	if n == nil {
		n = &drainNode{}
		m.roots[root] = n
	}
	for i := 0; i < min(m.opts.TreeDepth, len(toks)); i++ {
		next := n.children[string(m.routeKey(&toks[i]))]
		if next == nil {
			key := string(m.keyBuf)
			if n.children == nil {
				n.children = map[string]*drainNode{}
			}
			if len(n.children) >= m.opts.MaxChildren {
				key = Placeholder
			}
			if next = n.children[key]; next == nil {
				next = &drainNode{}
				n.children[key] = next
			}
		}
		n = next
	}
	if len(n.leaf) >= m.opts.MaxLeafClusters {
		return nil
	}
	// One copy of the line holds every word of the pattern, so the caller's
	// buffers are not kept alive.
	own := strings.Clone(line[:min(len(line), maxLineBytes)])
	c := &drainCluster{id: len(m.clusters), service: strings.Clone(root.service), level: root.level, tmpl: make([]tmplToken, len(toks))}
	for i, t := range toks {
		raw := own[t.off : t.off+len(t.raw)]
		tt := tmplToken{text: raw, mask: raw, key: raw[:t.keyEnd], kind: t.kind, glued: t.glued}
		if t.kind != kindLiteral {
			tt.mask = string(t.appendMask(nil))
		}
		if t.kind == kindStrong {
			tt.text, tt.state = tt.mask, tsMasked
		}
		c.tmpl[i] = tt
	}
	n.leaf = append(n.leaf, c)
	m.clusters = append(m.clusters, c)
	return c
}

// similarity is the share of words that agree with the pattern, a word
// agreeing on its key alone counting half; placeholders agree with
// anything but count for nothing, so over-general patterns stop growing.
// It gives up, reporting !ok, once the share cannot reach floor.
func (c *drainCluster) similarity(toks []drainToken, floor float64) (sim float64, wild int, ok bool) {
	n := len(toks)
	if n == 0 {
		return 1, 0, floor <= 1
	}
	need := floor*float64(n) - 1e-9 // 0.6 of 10 words is 6, not 6.000000000000001
	same := 0.0
	for i := range c.tmpl {
		if same+float64(n-i) < need {
			return 0, 0, false
		}
		t, w := &c.tmpl[i], &toks[i]
		switch t.state {
		case tsWild:
			wild++
		case tsExact:
			switch {
			case w.raw == t.text || w.maskIs(t.text) || (t.kind != kindLiteral && w.maskIs(t.mask)):
				same++
			case t.key != "" && w.keyEnd > 0 && w.key() == t.key:
				same += 0.5
			}
		case tsMasked:
			switch {
			case w.maskIs(t.text):
				same++
			case t.key != "" && w.keyEnd > 0 && w.key() == t.key:
				same += 0.5
			}
		case tsKey:
			if w.keyEnd > 0 && w.key() == t.key {
				same++
			}
		}
	}
	return same / float64(n), wild, same >= need
}

// merge widens the pattern just enough to cover the line.
func (c *drainCluster) merge(toks []drainToken) {
	for i := range c.tmpl {
		t, w := &c.tmpl[i], &toks[i]
		switch t.state {
		case tsWild:
			continue
		case tsExact:
			if w.raw == t.text || w.maskIs(t.text) {
				continue
			}
			if t.kind != kindLiteral && w.maskIs(t.mask) {
				t.state, t.text = tsMasked, t.mask
				continue
			}
		case tsMasked:
			if w.maskIs(t.text) {
				continue
			}
		case tsKey:
			if w.keyEnd > 0 && w.key() == t.key {
				continue
			}
		}
		if t.state != tsKey && t.key != "" && w.keyEnd > 0 && w.key() == t.key {
			t.state, t.text = tsKey, t.key+Placeholder
			continue
		}
		t.state, t.text = tsWild, Placeholder
	}
}

func hasSample(ss []traceSample, id string) bool {
	for _, s := range ss {
		if s.id == id {
			return true
		}
	}
	return false
}
