package sim

import (
	"slices"
	"sort"
	"strings"
	"time"
)

// Incident kinds, as GroundTruth.Kind reports them.
const (
	KindError   = "error"   // requests fail
	KindLatency = "latency" // no request fails, but some are slow
)

// GroundTruth is what a correct investigation of the incident must find. Every
// field is recounted from the generated traces and logs, not copied from the
// scenario.
//
// An incident is about its affected traces: the failing ones when any request
// fails (Kind "error"), otherwise the slow ones (Kind "latency"). Culprit,
// Path, Users, Difference and LogPatterns all describe the affected traces.
type GroundTruth struct {
	Scenario        Scenario
	Kind            string    // KindError, KindLatency, or "" when nothing went wrong
	Start, End      time.Time // the generated window
	IncidentStart   time.Time // first affected request
	Services        []string  // every instrumented service, sorted
	Uninstrumented  []string  // peers seen only through client spans, e.g. ["ledger-db"]
	Culprit         string    // where the affected traces' trouble starts: the error origin, else SlowCulprit
	CulpritCaller   string    // the instrumented service whose client span to it fails (or is slow)
	SlowCulprit     string    // the most blamed service of the slow traces, by self-time; "" without slow traces
	Path            []string  // entry → ... → culprit
	EntryService    string
	EntryRoutes     []string    // by request count, busiest first
	Users           []UserTruth // the affected users: with a failed request, or a slow one in a latency incident
	AffectedUsers   int         // len(Users): distinct affected users
	Difference      Difference  // the planted difference
	Traces          int         // generated traces, consumer traces included
	FailingTraceIDs []string    // traces whose root span failed; 32-hex, sorted
	SlowTraceIDs    []string    // traces not failing whose root took longer than SlowThreshold
	LogLines        int
	ErrorLogLines   int
	LogPatterns     []string // the culprit's templates in affected traces (errors, or warnings for latency), most frequent first
	Messaging       MessagingTruth

	EntryTraces   int      // traces rooted at an entry SERVER span
	NoiseTraceIDs []string // traces with errors whose root still succeeded, other than retried calls', sorted
	NoiseOrigins  []string // services where those tolerated errors originate: never the culprit
	// RecoveredTraceIDs are the traces whose root succeeded after a failed
	// call was retried successfully, sorted; RecoveredUsers those traces'
	// users who are not affected otherwise: a retry that worked hurt no one.
	RecoveredTraceIDs []string
	RecoveredUsers    []string
	SegmentDifference Difference // the fault's segment: affected vs healthy share on the entry span
	SlowThreshold     time.Duration
	AlertName         string  // the rule in RuleFile that fires on the incident: HighErrorRate or HighLatency
	AlertService      string  // the service the alert watches: the root service of the affected traces
	AlertThreshold    float64 // the alert's threshold: an error ratio, or p99 seconds
	AlertExpr         string  // the alert's expression in RuleFile
	ExemplarLabel     string  // the exemplar label carrying the trace id
}

// UserTruth is one affected user: Failed and Slow count the work of their
// requests that failed or was slow (entry requests, consumer traces, and
// each of their messages a batch consumer's trace processed), Requests
// their entry requests.
type UserTruth struct {
	ID, Tier, Region        string
	Failed, Slow, Requests  int
	TraceIDs                []string // failing traces, oldest first, one per failed piece of work
	SlowTraceIDs            []string // slow traces, oldest first, likewise
	FirstFailed, LastFailed time.Time
}

// Difference is an attribute value's share among affected traces against its
// share among healthy traces through the same service.
type Difference struct {
	Attribute, Value            string
	FailingShare, BaselineShare float64
}

const slowThreshold = time.Second

// Truth returns the ground truth; the slices are copies.
func (i *Incident) Truth() GroundTruth {
	t := i.truth
	t.Services = slices.Clone(t.Services)
	t.Uninstrumented = slices.Clone(t.Uninstrumented)
	t.Path = slices.Clone(t.Path)
	t.EntryRoutes = slices.Clone(t.EntryRoutes)
	t.FailingTraceIDs = slices.Clone(t.FailingTraceIDs)
	t.SlowTraceIDs = slices.Clone(t.SlowTraceIDs)
	t.NoiseTraceIDs = slices.Clone(t.NoiseTraceIDs)
	t.NoiseOrigins = slices.Clone(t.NoiseOrigins)
	t.RecoveredTraceIDs = slices.Clone(t.RecoveredTraceIDs)
	t.RecoveredUsers = slices.Clone(t.RecoveredUsers)
	t.LogPatterns = slices.Clone(t.LogPatterns)
	t.Messaging.FailingLinks = slices.Clone(t.Messaging.FailingLinks)
	t.Users = slices.Clone(t.Users)
	for k := range t.Users {
		t.Users[k].TraceIDs = slices.Clone(t.Users[k].TraceIDs)
		t.Users[k].SlowTraceIDs = slices.Clone(t.Users[k].SlowTraceIDs)
	}
	return t
}

func (i *Incident) svcOf(s *span) string { return i.fleet.pods[s.pod].svc }

// errorOrigins are the failed spans with no failed child.
func errorOrigins(tr *traceRec) []int {
	failedChild := map[spanID]bool{}
	for k := range tr.spans {
		if tr.spans[k].failed {
			failedChild[tr.spans[k].parent] = true
		}
	}
	var out []int
	for k := range tr.spans {
		if tr.spans[k].failed && !failedChild[tr.spans[k].id] {
			out = append(out, k)
		}
	}
	return out
}

// retried reports whether the error at span k was retried away: a failed
// CLIENT span on its way up to the root has a later sibling of the same
// name that succeeded.
func retried(tr *traceRec, k int) bool {
	byID := make(map[spanID]int, len(tr.spans))
	for j := range tr.spans {
		byID[tr.spans[j].id] = j
	}
	for j, ok, steps := k, true, 0; ok && steps <= len(tr.spans); j, ok = byID[tr.spans[j].parent] {
		steps++
		c := &tr.spans[j]
		if !c.failed || c.kind != kindClient {
			continue
		}
		for x := range tr.spans {
			s := &tr.spans[x]
			if s.parent == c.parent && s.kind == kindClient && s.name == c.name && s.start > c.start && !s.failed {
				return true
			}
		}
	}
	return false
}

// originName names the service an origin span blames: the uninstrumented
// peer for a client span to one, its own service otherwise.
func (i *Incident) originName(s *span) string {
	if p := s.strAttr("peer.service"); p != "" && s.kind == kindClient {
		return p
	}
	return i.svcOf(s)
}

// chain lists the services from the root down to span k, then the peer.
func (i *Incident) chain(tr *traceRec, k int) []string {
	byID := make(map[spanID]int, len(tr.spans))
	for j := range tr.spans {
		byID[tr.spans[j].id] = j
	}
	var rev []string
	for j, ok := k, true; ok; j, ok = byID[tr.spans[j].parent] {
		if svc := i.svcOf(&tr.spans[j]); len(rev) == 0 || rev[len(rev)-1] != svc {
			rev = append(rev, svc)
		}
	}
	slices.Reverse(rev)
	if name := i.originName(&tr.spans[k]); name != rev[len(rev)-1] {
		rev = append(rev, name)
	}
	return rev
}

type counter map[string]int

// top returns the most counted key, ties broken by name.
func (c counter) top() string {
	best := ""
	for k, n := range c {
		if best == "" || n > c[best] || n == c[best] && k < best {
			best = k
		}
	}
	return best
}

func (c counter) ranked() []string {
	out := sortedKeys(c)
	sort.SliceStable(out, func(a, b int) bool { return c[out[a]] > c[out[b]] })
	return out
}

// blame counts, per blamed service, the traces it is blamed in and the
// service chains leading to it.
type blameCount struct {
	traces counter
	chains map[string]counter
}

func newBlame() blameCount { return blameCount{traces: counter{}, chains: map[string]counter{}} }

func (b blameCount) addChain(name string, chain []string) {
	if b.chains[name] == nil {
		b.chains[name] = counter{}
	}
	b.chains[name][strings.Join(chain, ">")]++
}

// traceFacts is what computeTruth learns about one trace.
type traceFacts struct {
	failing, slow bool
	uid           string
}

func (i *Incident) computeTruth() GroundTruth {
	gt := GroundTruth{
		Scenario: i.sc, Start: time.Unix(0, i.start).UTC(), End: time.Unix(0, i.end).UTC(),
		Traces: len(i.traces), SlowThreshold: slowThreshold, ExemplarLabel: exemplarLabel,
	}
	services, peers := map[string]bool{}, map[string]bool{}
	roots, routes, noiseOrigins := counter{}, counter{}, counter{}
	errBlame, slowBlame := newBlame(), newBlame()
	facts := make([]traceFacts, len(i.traces))
	for ti := range i.traces {
		tr := &i.traces[ti]
		root := tr.root()
		hasErr := false
		for k := range tr.spans {
			s := &tr.spans[k]
			services[i.svcOf(s)] = true
			if p := s.strAttr("peer.service"); p != "" {
				peers[p] = true
			}
			hasErr = hasErr || s.failed
		}
		f := &facts[ti]
		f.failing = root.failed
		f.slow = !f.failing && time.Duration(root.end-root.start) > slowThreshold
		f.uid = root.strAttr("enduser.id")
		id := tr.id.String()
		if root.kind == kindServer {
			gt.EntryTraces++
			roots[i.svcOf(root)]++
			routes[i.svcOf(root)+" "+root.name]++
		}
		switch {
		case f.failing:
			gt.FailingTraceIDs = append(gt.FailingTraceIDs, id)
			seen := map[string]bool{}
			for _, k := range errorOrigins(tr) {
				name := i.originName(&tr.spans[k])
				if !seen[name] {
					seen[name] = true
					errBlame.traces[name]++
				}
				errBlame.addChain(name, i.chain(tr, k))
			}
		case hasErr:
			noisy, recovered := false, false
			for _, k := range errorOrigins(tr) {
				if retried(tr, k) {
					recovered = true
					continue
				}
				noisy = true
				noiseOrigins[i.originName(&tr.spans[k])]++
			}
			if noisy {
				gt.NoiseTraceIDs = append(gt.NoiseTraceIDs, id)
			}
			if recovered {
				gt.RecoveredTraceIDs = append(gt.RecoveredTraceIDs, id)
			}
		}
		if f.slow {
			gt.SlowTraceIDs = append(gt.SlowTraceIDs, id)
			k := slowestSelf(tr)
			name := i.originName(&tr.spans[k])
			slowBlame.traces[name]++
			slowBlame.addChain(name, i.chain(tr, k))
		}
	}
	for s := range services {
		gt.Services = append(gt.Services, s)
		delete(peers, s)
	}
	sort.Strings(gt.Services)
	gt.Uninstrumented = sortedKeys(peers)
	gt.EntryService = roots.top()
	for _, r := range routes.ranked() {
		if name, ok := strings.CutPrefix(r, gt.EntryService+" "); ok {
			gt.EntryRoutes = append(gt.EntryRoutes, name)
		}
	}
	gt.NoiseOrigins = sortedKeys(noiseOrigins)
	slices.Sort(gt.FailingTraceIDs)
	slices.Sort(gt.SlowTraceIDs)
	slices.Sort(gt.NoiseTraceIDs)
	slices.Sort(gt.RecoveredTraceIDs)

	gt.SlowCulprit = slowBlame.traces.top()
	culprits := errBlame
	switch {
	case len(gt.FailingTraceIDs) > 0:
		gt.Kind = KindError
	case len(gt.SlowTraceIDs) > 0:
		gt.Kind, culprits = KindLatency, slowBlame
	}
	gt.Culprit = culprits.traces.top()
	if gt.Culprit != "" {
		gt.Path = strings.Split(culprits.chains[gt.Culprit].top(), ">")
		if len(gt.Path) >= 2 {
			gt.CulpritCaller = gt.Path[len(gt.Path)-2]
		}
	}
	i.userTruth(&gt, facts)
	i.recoveredUsers(&gt, facts)
	i.alertTruth(&gt, facts)
	i.messagingTruth(&gt, facts)
	i.differences(&gt, facts)
	gt.LogLines = len(i.logs)
	for _, l := range i.logs {
		if l.level == levelError {
			gt.ErrorLogLines++
		}
	}
	gt.LogPatterns = i.culpritPatterns(gt, facts)
	return gt
}

// originService is the service whose span the trouble starts in: the
// culprit itself, or its caller when the culprit is uninstrumented.
func (gt *GroundTruth) originService() string {
	if slices.Contains(gt.Uninstrumented, gt.Culprit) {
		return gt.CulpritCaller
	}
	return gt.Culprit
}

func (i *Incident) culpritPatterns(gt GroundTruth, facts []traceFacts) []string {
	affected := map[traceID]bool{}
	for ti := range i.traces {
		if gt.affected(facts[ti]) {
			affected[i.traces[ti].id] = true
		}
	}
	want := levelError
	if gt.Kind == KindLatency {
		want = levelWarn
	}
	origin := gt.originService()
	count, first := map[int]int{}, map[int]int{}
	for k, l := range i.logs {
		if l.level != want || l.svc != origin || !l.hasTrace || !affected[l.trace] {
			continue
		}
		if _, ok := first[l.tmpl]; !ok {
			first[l.tmpl] = k
		}
		count[l.tmpl]++
	}
	tmpls := make([]int, 0, len(count))
	for t := range count {
		tmpls = append(tmpls, t)
	}
	sort.Slice(tmpls, func(a, b int) bool {
		if count[tmpls[a]] != count[tmpls[b]] {
			return count[tmpls[a]] > count[tmpls[b]]
		}
		return first[tmpls[a]] < first[tmpls[b]]
	})
	var out []string
	for _, t := range tmpls {
		out = append(out, i.templates[t].pattern)
	}
	return out
}
