package triage

import "slices"

// DiffOptions tune Differences.
type DiffOptions struct {
	MinSupport int      // failing traces that must carry a value; default max(2, 5% of them)
	Top        int      // rows returned; default 10
	SkipKeys   []string // more keys to ignore, such as the user attribute keys
	// Keys, when not nil, are the only keys compared: the baseline came
	// as these keys' values (BaselineSearcher), so any other key would read
	// as absent from it.
	Keys []string
}

// Where a difference was found.
const (
	WhereEntry  = "entry"  // the root span and its resource
	WhereOrigin = "origin" // the error origins' spans and their resources
)

// Differences ranks the attribute values over-represented in failing traces
// against healthy ones, BubbleUp-style, on the two spans that matter: the
// entry (root) span and the error-origin spans, each with its resource.
//
// A failing trace carries key=value when its entry span, or one of its
// fatal origin spans, has it. In a baseline trace the counterparts are its
// root span, and for the origin the first span with the same service and
// name (for span attributes: the same call that succeeded) or, for resource
// attributes, any span of the same service (the same kind of process).
//
// Entry attributes are compared within the same entry point: each entry
// point's baseline share is weighted by its share of the failing traces,
// over the entry points with at least minStratum baseline traces. The entry
// point itself is reported in the impact, and comparing like with like
// keeps a route's own attributes from crowding out the cause. Only when no
// failing entry point has enough baseline traces are all of them pooled.
//
// With no failing trace but slow ones, the slow traces are compared, the
// span with the most critical-path time standing in for the origin.
//
// Values rank by failing share minus baseline share; they need MinSupport
// failing traces and a difference of two standard errors, so sampling noise
// is not listed. Ids are skipped: keys known to hold them (*.id,
// k8s.pod.name, ...) and keys with nearly one value per trace; so are keys
// describing the outcome (error.type, status codes) or naming the entry
// point (http.route, the method), which differ by construction. It returns
// nil when there is no baseline to compare with.
func Differences(failing, baseline []TraceAnalysis, opts DiffOptions) []Difference {
	inc := incidentSpans(failing)
	if len(inc) == 0 {
		return []Difference{}
	}
	base := make([]*TraceAnalysis, 0, len(baseline))
	for k := range baseline {
		if b := &baseline[k]; !b.Failing && b.tree != nil {
			base = append(base, b)
		}
	}
	if len(base) == 0 {
		return nil
	}
	if opts.MinSupport <= 0 {
		opts.MinSupport = max(2, (len(inc)+19)/20)
	}
	if opts.Top <= 0 {
		opts.Top = 10
	}
	d := &differ{opts: opts, stats: map[diffKey]*diffStat{}, strata: map[string]int32{}}
	d.countIncident(inc)
	d.prune()
	d.indexOriginSpan()
	d.countBaseline(base, inc)
	return d.rank()
}

// incidentTrace is a failing (or slow) trace and its origin spans.
type incidentTrace struct {
	a       *TraceAnalysis
	origins []int32
}

func incidentSpans(analyses []TraceAnalysis) []incidentTrace {
	var out []incidentTrace
	for k := range analyses {
		a := &analyses[k]
		if !a.Failing || a.tree == nil {
			continue
		}
		it := incidentTrace{a: a}
		for j := range a.Origins {
			if a.Origins[j].Fatal {
				it.origins = append(it.origins, a.Origins[j].span)
			}
		}
		out = append(out, it)
	}
	if len(out) > 0 {
		return out
	}
	for k := range analyses {
		a := &analyses[k]
		if !a.Slow || a.tree == nil || len(a.SelfTime) == 0 {
			continue
		}
		it := incidentTrace{a: a}
		best := -1
		for j := range a.CriticalPath {
			p := &a.CriticalPath[j]
			if p.Blamed() == a.SelfTime[0].Service && (best < 0 || p.Critical > a.CriticalPath[best].Critical) {
				best = j
			}
		}
		if best >= 0 {
			it.origins = append(it.origins, int32(a.CriticalPath[best].Index))
		}
		out = append(out, it)
	}
	return out
}

// The places compared; both origin places report as WhereOrigin.
const (
	atEntry          uint8 = iota // root span and resource attributes
	atOriginSpan                  // origin span attributes
	atOriginResource              // origin resource attributes
	places
)

type diffKey struct {
	at      uint8
	stratum int32 // the entry point for atEntry, -1 pooled
	key     string
	value   string
}

type diffStat struct {
	fail, base int
	lastTrace  int32 // the last trace counted, so each trace counts once
}

type differ struct {
	opts   DiffOptions
	stats  map[diffKey]*diffStat
	strata map[string]int32 // entry point → stratum
	failBy []int            // failing traces by stratum
	baseBy []int            // baseline traces by stratum
	// failN and baseN count the traces each place was seen in.
	failN, baseN [places]int
	trace        int32
	// resources remembers each resource's stats by place.
	resources map[resourceAt][]*diffStat
	// values counts each key's distinct values in failing traces.
	values map[placeKey]int
	// spanKeys holds the origin span attributes' values by key.
	spanKeys map[string][]valueStat
}

type placeKey struct {
	at  uint8
	key string
}

func (d *differ) stratum(entry string, add bool) int32 {
	s, ok := d.strata[entry]
	if !ok {
		if !add {
			return -1
		}
		s = int32(len(d.strata))
		d.strata[entry] = s
		d.failBy = append(d.failBy, 0)
		d.baseBy = append(d.baseBy, 0)
	}
	return s
}

// attrsOf calls fn for span i's attributes (resource false) or its
// resource's (resource true).
func attrsOf(tr *Tree, i int32, resource bool, fn func(key, value string)) {
	s := &tr.spans[i]
	attrs := s.Attrs
	if resource {
		if s.Resource == nil {
			return
		}
		attrs = s.Resource.Attrs
	}
	for _, kv := range attrs {
		fn(kv.Key, kv.Value)
	}
}

func (d *differ) countIncident(inc []incidentTrace) {
	for k := range inc {
		it := &inc[k]
		d.trace = int32(k)
		st := d.stratum(it.a.Entry, true)
		d.failBy[st]++
		tr := it.a.tree
		entry := func(key, value string) {
			if !d.skip(key) && !entryPointKey(key) {
				d.addFail(diffKey{atEntry, -1, key, value})
				d.addFail(diffKey{atEntry, st, key, value})
			}
		}
		attrsOf(tr, it.a.root, false, entry)
		attrsOf(tr, it.a.root, true, entry)
		d.failN[atEntry]++
		for _, o := range it.origins {
			attrsOf(tr, o, false, func(key, value string) {
				if !d.skip(key) {
					d.addFail(diffKey{atOriginSpan, -1, key, value})
				}
			})
			attrsOf(tr, o, true, func(key, value string) {
				if !d.skip(key) {
					d.addFail(diffKey{atOriginResource, -1, key, value})
				}
			})
		}
		if len(it.origins) > 0 {
			d.failN[atOriginSpan]++
			d.failN[atOriginResource]++
		}
	}
}

// skip reports whether key is never compared: ids and outcomes, the
// caller's extra keys, and keys the baseline was not asked for.
func (d *differ) skip(key string) bool {
	return skipKey(key, d.opts.SkipKeys) || d.opts.Keys != nil && !slices.Contains(d.opts.Keys, key)
}

func (d *differ) addFail(k diffKey) {
	s := d.stats[k]
	if s == nil {
		s = &diffStat{lastTrace: -1}
		d.stats[k] = s
	}
	if s.lastTrace != d.trace {
		s.lastTrace = d.trace
		s.fail++
	}
}

// addBase counts a baseline trace for k. Values no failing trace carries
// cannot rank, so they are not counted at all.
func (d *differ) addBase(k diffKey) {
	if s := d.stats[k]; s != nil && s.lastTrace != d.trace {
		s.lastTrace = d.trace
		s.base++
	}
}

func (d *differ) countBaseline(base []*TraceAnalysis, inc []incidentTrace) {
	// The failing origin spans' names by service, to find counterparts.
	type call struct {
		name  string
		trace int32 // the last trace it was counted in
	}
	names := map[string][]call{}
	for k := range inc {
		tr := inc[k].a.tree
		for _, o := range inc[k].origins {
			s := &tr.spans[o]
			have := names[s.Service()]
			if !slices.ContainsFunc(have, func(c call) bool { return c.name == s.Name }) {
				names[s.Service()] = append(have, call{s.Name, -1})
			}
		}
	}
	byRes := map[*Resource][]call{}
	offset := int32(len(inc))
	for k, b := range base {
		d.trace = offset + int32(k)
		tr := b.tree
		root := &tr.spans[b.root]
		st := d.stratum(b.Entry, false)
		if st >= 0 {
			d.baseBy[st]++
		}
		for _, kv := range root.Attrs {
			d.addBase(diffKey{atEntry, -1, kv.Key, kv.Value})
			if st >= 0 {
				d.addBase(diffKey{atEntry, st, kv.Key, kv.Value})
			}
		}
		d.addResource(root.Resource, atEntry, -1)
		if st >= 0 {
			d.addResource(root.Resource, atEntry, st)
		}
		d.baseN[atEntry]++

		same, service := false, false
		for _, i := range tr.order {
			s := &tr.spans[i]
			// Spans of a process share its resource: look the service up once.
			calls, ok := byRes[s.Resource]
			if !ok {
				calls = names[s.Service()]
				byRes[s.Resource] = calls
			}
			if calls == nil {
				continue
			}
			service = true
			d.addResource(s.Resource, atOriginResource, -1)
			// The first call of each kind stands for the trace, as the
			// failing side's origin is one call.
			c := slices.IndexFunc(calls, func(c call) bool { return c.name == s.Name })
			if c < 0 || calls[c].trace == d.trace {
				continue
			}
			calls[c].trace = d.trace
			same = true
			for _, kv := range s.Attrs {
				d.addOriginSpanBase(kv)
			}
		}
		if same {
			d.baseN[atOriginSpan]++
		}
		if service {
			d.baseN[atOriginResource]++
		}
	}
}

// valueStat is one value of a key and its counts.
type valueStat struct {
	value string
	stat  *diffStat
}

// maxScanValues is how many values of a key are compared one by one
// rather than hashed: most keys have a handful, and comparing a short
// string beats hashing two.
const maxScanValues = 16

// indexOriginSpan indexes the origin span attributes by key, so the
// baseline's many counterpart spans hash only the key.
func (d *differ) indexOriginSpan() {
	d.spanKeys = map[string][]valueStat{}
	for k, s := range d.stats {
		if k.at == atOriginSpan {
			d.spanKeys[k.key] = append(d.spanKeys[k.key], valueStat{k.value, s})
		}
	}
}

func (d *differ) addOriginSpanBase(kv Attr) {
	vals, ok := d.spanKeys[kv.Key]
	if !ok {
		return
	}
	var s *diffStat
	if len(vals) > maxScanValues {
		s = d.stats[diffKey{atOriginSpan, -1, kv.Key, kv.Value}]
	} else {
		for _, v := range vals {
			if v.value == kv.Value {
				s = v.stat
				break
			}
		}
	}
	if s != nil && s.lastTrace != d.trace {
		s.lastTrace = d.trace
		s.base++
	}
}

type resourceAt struct {
	res     *Resource
	at      uint8
	stratum int32
}

// addResource counts a baseline trace for a resource's attributes. Spans
// share their process's *Resource, so its attributes are looked up once
// per place and remembered by pointer.
func (d *differ) addResource(res *Resource, at uint8, stratum int32) {
	if res == nil {
		return
	}
	key := resourceAt{res, at, stratum}
	stats, ok := d.resources[key]
	if !ok {
		for _, kv := range res.Attrs {
			if s := d.stats[diffKey{at, stratum, kv.Key, kv.Value}]; s != nil {
				stats = append(stats, s)
			}
		}
		if d.resources == nil {
			d.resources = map[resourceAt][]*diffStat{}
		}
		d.resources[key] = stats
	}
	for _, s := range stats {
		if s.lastTrace != d.trace {
			s.lastTrace = d.trace
			s.base++
		}
	}
}
