package triage

import (
	"math"
	"slices"
)

// IncidentKind says what the incident is about, which decides whether
// errors or latency name the culprit.
type IncidentKind string

// Incident kinds.
const (
	KindAuto    IncidentKind = ""        // latency when failing traces are few against slow ones
	KindErrors  IncidentKind = "errors"  // failing traces name the culprit
	KindLatency IncidentKind = "latency" // slow traces' critical paths name it
)

// RankOptions tune RankServices.
type RankOptions struct {
	Kind IncidentKind
	// MinCulpritShare: a service is a culprit only with at least this share
	// of the top culprit's attributed traces, so a stray origin in one trace
	// does not share the verdict. Default 0.1.
	MinCulpritShare float64
	MaxEvidence     int // trace ids kept per service, default 5
}

// Per-trace attribution weights. A failing trace gives its culprit 1 and
// its entry 0.2; services propagating the error get 0.3 far from the
// culprit up to 0.6 next to it. Errors the request survived and latency in
// an error incident only ever make a service impacted.
const (
	weightCulprit   = 1.0
	weightPropFar   = 0.3
	weightPropNear  = 0.6
	weightEntry     = 0.2
	weightImpacted  = 0.05
	weightTolerated = 0.02
)

type roleIndex uint8

const (
	idxCulprit roleIndex = iota
	idxPropagating
	idxEntry
	idxImpacted
	roleCount
)

func roleOf(i roleIndex) Role {
	return [roleCount]Role{RoleCulprit, RolePropagating, RoleEntry, RoleImpacted}[i]
}

type serviceTally struct {
	name     string
	weight   [roleCount]float64
	failing  int
	slow     int
	peer     bool // named by a caller's client span
	evidence [roleCount][]string
	trace    int // the last trace that counted, so each counts once
}

// ranker accumulates one trace at a time.
type ranker struct {
	opts   RankOptions
	byName map[string]*serviceTally
	// instrumented holds the services seen on spans of their own.
	instrumented map[string]bool
	list         []*serviceTally
	cur          int       // index of the trace being counted
	roles        []tracked // the roles given in the current trace
	entries      []string  // scratch: the current trace's upstream entries
}

type tracked struct {
	name string
	role roleIndex
}

// RankServices gives every service involved in the analysed traces one role
// and a score, highest first, ties by name.
//
// A failing trace (its root errored) credits its fatal error origins as
// culprits, the services between them and the root as propagating, and its
// root service as the entry; when JoinLinked found the producer trace of a
// failing consumer, that trace's root service is an entry too. Errors whose
// request still succeeded never make a culprit: they only mark the service
// impacted. Slow traces credit the service with the most critical-path time:
// as culprit in a latency incident, as impacted otherwise.
//
// A service's role is the strongest it earned: culprit, then propagating,
// entry, impacted. Its score is the sum of its weights, multiplied by one
// plus the rise in its error ratio over the baseline when red knows it.
func RankServices(analyses []TraceAnalysis, red map[string]RED, opts RankOptions) []ServiceRank {
	if opts.MinCulpritShare <= 0 {
		opts.MinCulpritShare = 0.1
	}
	if opts.MaxEvidence <= 0 {
		opts.MaxEvidence = 5
	}
	r := &ranker{opts: opts, byName: map[string]*serviceTally{}, instrumented: map[string]bool{}, cur: -1}
	latency := opts.Kind == KindLatency
	if opts.Kind == KindAuto {
		latency = detectKind(analyses) == KindLatency
	}
	for k := range analyses {
		a := &analyses[k]
		r.cur = k
		r.roles = r.roles[:0]
		switch {
		case a.Failing:
			r.failing(a)
		case a.Slow:
			r.slowTrace(a, latency)
		}
		r.tolerated(a)
		r.close(a)
	}
	return r.result(red)
}

func (r *ranker) tally(name string) *serviceTally {
	t := r.byName[name]
	if t == nil {
		t = &serviceTally{name: name, trace: -1}
		r.byName[name] = t
		r.list = append(r.list, t)
	}
	return t
}

// give credits name with w in role, unless it already has a role in this
// trace; a trace gives each service one role only.
func (r *ranker) give(name string, role roleIndex, w float64) *serviceTally {
	if name == "" {
		return nil
	}
	for _, have := range r.roles {
		if have.name == name {
			return nil
		}
	}
	r.roles = append(r.roles, tracked{name, role})
	t := r.tally(name)
	t.weight[role] += w
	return t
}

func (r *ranker) failing(a *TraceAnalysis) {
	var culprits []string
	for k := range a.Origins {
		if o := &a.Origins[k]; o.Fatal && !slices.Contains(culprits, o.Service) {
			culprits = append(culprits, o.Service)
		}
	}
	for _, c := range culprits {
		r.give(c, idxCulprit, weightCulprit/float64(len(culprits)))
	}
	for k := range a.Origins {
		if o := &a.Origins[k]; o.Fatal && o.Peer && o.Service != "" {
			r.tally(o.Service).peer = true
		}
	}
	for j, s := range a.Propagating {
		w := weightPropFar + (weightPropNear-weightPropFar)*float64(j+1)/float64(len(a.Propagating))
		r.give(s, idxPropagating, w)
	}
	r.give(a.RootService, idxEntry, weightEntry)
	r.upstream(a)
}

// upstream credits the entries of the requests whose messages the trace
// failed on (or was slow on), and the services on their way to the hop.
func (r *ranker) upstream(a *TraceAnalysis) {
	entries := r.entries[:0]
	for k := range a.Upstream {
		if u := &a.Upstream[k]; u.Affected() && u.EntryService != "" && !slices.Contains(entries, u.EntryService) {
			entries = append(entries, u.EntryService)
		}
	}
	for _, e := range entries {
		r.give(e, idxEntry, weightEntry/float64(len(entries)))
	}
	r.entries = entries
	for k := range a.Upstream {
		if u := &a.Upstream[k]; u.Affected() {
			for _, s := range u.Path {
				r.give(s, idxImpacted, weightImpacted)
			}
		}
	}
}

// slowTrace credits the service dominating the critical path, and in a
// latency incident the services between it and the root.
func (r *ranker) slowTrace(a *TraceAnalysis, latency bool) {
	if len(a.SelfTime) == 0 {
		return
	}
	dom := a.SelfTime[0].Service
	if !latency {
		r.give(dom, idxImpacted, weightImpacted)
		return
	}
	r.give(dom, idxCulprit, weightCulprit)
	path := latencyPath(a, dom)
	for _, p := range a.CriticalPath {
		if p.Peer == dom {
			r.tally(dom).peer = true
		}
	}
	if len(path) > 2 {
		mid := path[1 : len(path)-1]
		for j, s := range mid {
			r.give(s, idxPropagating, weightPropFar+(weightPropNear-weightPropFar)*float64(j+1)/float64(len(mid)))
		}
	}
	r.give(a.RootService, idxEntry, weightEntry)
}

// latencyPath is the services from the root down to the critical span with
// the most critical time blamed on dom.
func latencyPath(a *TraceAnalysis, dom string) []string {
	best := -1
	for k := range a.CriticalPath {
		p := &a.CriticalPath[k]
		if p.Blamed() == dom && (best < 0 || p.Critical > a.CriticalPath[best].Critical) {
			best = k
		}
	}
	if best < 0 || a.tree == nil {
		return nil
	}
	tr := a.tree
	var path []string
	if a.CriticalPath[best].Peer != "" {
		path = append(path, dom)
	}
	for j, steps := int32(a.CriticalPath[best].Index), 0; j >= 0 && steps <= len(tr.parent); j, steps = tr.parent[j], steps+1 {
		if svc := tr.spans[j].Service(); len(path) == 0 || path[len(path)-1] != svc {
			path = append(path, svc)
		}
	}
	slices.Reverse(path)
	return path
}

// tolerated marks the services whose errors the request survived.
func (r *ranker) tolerated(a *TraceAnalysis) {
	for k := range a.Origins {
		if o := &a.Origins[k]; !o.Fatal {
			if t := r.give(o.Service, idxImpacted, weightTolerated); t != nil && o.Peer {
				t.peer = true
			}
		}
	}
}

// close counts the trace once for every service it gave a role.
func (r *ranker) close(a *TraceAnalysis) {
	for _, g := range r.roles {
		t := r.byName[g.name]
		if t.trace == r.cur {
			continue
		}
		t.trace = r.cur
		if a.Failing {
			t.failing++
		}
		if a.Slow {
			t.slow++
		}
		if len(t.evidence[g.role]) < r.opts.MaxEvidence {
			t.evidence[g.role] = append(t.evidence[g.role], a.TraceID)
		}
	}
	r.markInstrumented(a)
}

// markInstrumented notes the services seen on spans of their own, so a name
// only ever seen through callers' client spans is reported uninstrumented.
func (r *ranker) markInstrumented(a *TraceAnalysis) {
	mark := func(name string) { r.instrumented[name] = true }
	mark(a.RootService)
	for k := range a.Origins {
		o := &a.Origins[k]
		mark(o.Caller)
		path := o.Path
		if o.Peer && len(path) > 0 {
			path = path[:len(path)-1]
		}
		for _, s := range path {
			mark(s)
		}
	}
	for k := range a.CriticalPath {
		mark(a.CriticalPath[k].Service)
	}
}

func (r *ranker) result(red map[string]RED) []ServiceRank {
	top := 0.0
	for _, t := range r.list {
		top = max(top, t.weight[idxCulprit])
	}
	out := make([]ServiceRank, 0, len(r.list))
	for _, t := range r.list {
		role := idxImpacted
		switch {
		case t.weight[idxCulprit] > 0 && t.weight[idxCulprit] >= r.opts.MinCulpritShare*top:
			role = idxCulprit
		case t.weight[idxPropagating] > 0:
			role = idxPropagating
		case t.weight[idxEntry] > 0:
			role = idxEntry
		}
		score := 0.0
		for _, w := range t.weight {
			score += w
		}
		sr := ServiceRank{
			Name: t.name, Role: roleOf(role), FailingTraces: t.failing, SlowTraces: t.slow,
			Uninstrumented: t.peer && !r.instrumented[t.name],
		}
		if m, ok := red[t.name]; ok {
			sr.ErrorRatio, sr.ErrorRatioBaseline = copyFloat(m.ErrorRatio), copyFloat(m.ErrorRatioBaseline)
			sr.FailedPerS, sr.P99MS = copyFloat(m.FailedPerS), copyFloat(m.P99MS)
			if m.ErrorRatio != nil && m.ErrorRatioBaseline != nil {
				if rise := *m.ErrorRatio - *m.ErrorRatioBaseline; rise > 0 {
					score *= 1 + math.Min(rise, 1)
				}
				sr.PreExisting = preExisting(*m.ErrorRatio, *m.ErrorRatioBaseline)
			}
		}
		sr.Score = math.Round(score*1000) / 1000
		sr.Evidence = evidenceFor(t, role, r.opts.MaxEvidence)
		out = append(out, sr)
	}
	slices.SortFunc(out, func(a, b ServiceRank) int {
		// What failed as much in the baseline is noise: it ranks below
		// what is new or grew, whatever its score.
		if a.PreExisting != b.PreExisting {
			if b.PreExisting {
				return -1
			}
			return 1
		}
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return compareStrings(a.Name, b.Name)
	})
	return out
}

// evidenceFor prefers the traces where the service played its role.
func evidenceFor(t *serviceTally, role roleIndex, limit int) []string {
	out := make([]string, 0, limit)
	out = append(out, t.evidence[role]...)
	for i := range t.evidence {
		for _, id := range t.evidence[i] {
			if len(out) < limit && !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}

func copyFloat(p *float64) *float64 {
	if p == nil || math.IsNaN(*p) || math.IsInf(*p, 0) {
		return nil
	}
	v := *p
	return &v
}

// preExisting reports an error ratio that was already there at about the
// same rate in the baseline: a real share of errors then, and less than
// half as much again now.
func preExisting(now, baseline float64) bool {
	return baseline >= 0.005 && now < baseline*1.5
}
