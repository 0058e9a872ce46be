package sim

import (
	"slices"
	"sort"
	"strings"
	"time"
)

// GroundTruth is what a correct investigation of the incident must find. Every
// field is recounted from the generated traces and logs, not copied from the
// scenario.
type GroundTruth struct {
	Scenario        Scenario
	Start, End      time.Time // the generated window
	IncidentStart   time.Time // first failing request
	Services        []string  // every instrumented service, sorted
	Uninstrumented  []string  // peers seen only through client spans, e.g. ["ledger-db"]
	Culprit         string    // the failing dependency, e.g. "ledger-db"
	CulpritCaller   string    // the instrumented service whose client span to it fails
	Path            []string  // entry → ... → culprit
	EntryService    string
	EntryRoutes     []string // by request count, busiest first
	Users           []UserTruth
	Difference      Difference // the planted difference
	Traces          int        // generated traces, consumer traces included
	FailingTraceIDs []string   // traces whose root span failed; 32-hex, sorted
	SlowTraceIDs    []string   // traces not failing whose root took longer than SlowThreshold
	LogLines        int
	ErrorLogLines   int
	LogPatterns     []string // the error templates the culprit's caller logs in failing traces, most frequent first
	Messaging       struct{ Producer, Consumer, Topic string }

	EntryTraces       int        // traces rooted at an entry SERVER span
	NoiseTraceIDs     []string   // traces with errors whose root still succeeded, sorted
	NoiseOrigins      []string   // services where those tolerated errors originate
	SegmentDifference Difference // the error segment: failing vs healthy share on the entry span
	SlowThreshold     time.Duration
	AlertThreshold    float64 // the HighErrorRate threshold in RuleFile
	AlertExpr         string  // the HighErrorRate expression in RuleFile
	ExemplarLabel     string  // the exemplar label carrying the trace id
}

// UserTruth is one affected user: Failed and Slow count the traces rooted
// in their requests (consumer traces included), Requests their entry requests.
type UserTruth struct {
	ID, Tier, Region        string
	Failed, Slow, Requests  int
	TraceIDs                []string // failing traces, oldest first
	FirstFailed, LastFailed time.Time
}

// Difference is an attribute value's share among failing traces against its
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
	t.LogPatterns = slices.Clone(t.LogPatterns)
	t.Users = slices.Clone(t.Users)
	for k := range t.Users {
		t.Users[k].TraceIDs = slices.Clone(t.Users[k].TraceIDs)
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

func (i *Incident) computeTruth() GroundTruth {
	gt := GroundTruth{
		Scenario: i.sc, Start: time.Unix(0, i.start).UTC(), End: time.Unix(0, i.end).UTC(),
		Traces: len(i.traces), SlowThreshold: slowThreshold, ExemplarLabel: exemplarLabel,
	}
	services, peers := map[string]bool{}, map[string]bool{}
	roots, routes, origins, noiseOrigins := counter{}, counter{}, counter{}, counter{}
	chains := map[string]counter{}
	users := map[string]*UserTruth{}
	producers := map[spanID]int{}
	var firstFail int64
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
			if s.kind == kindProducer {
				producers[s.id] = ti
			}
			hasErr = hasErr || s.failed
		}
		failing := root.failed
		slow := !failing && time.Duration(root.end-root.start) > slowThreshold
		id := tr.id.String()
		if root.kind == kindServer {
			gt.EntryTraces++
			roots[i.svcOf(root)]++
			routes[i.svcOf(root)+" "+root.name]++
		}
		switch {
		case failing:
			gt.FailingTraceIDs = append(gt.FailingTraceIDs, id)
			if firstFail == 0 || root.start < firstFail {
				firstFail = root.start
			}
			seen := map[string]bool{}
			for _, k := range errorOrigins(tr) {
				name := i.originName(&tr.spans[k])
				if !seen[name] {
					seen[name] = true
					origins[name]++
				}
				if chains[name] == nil {
					chains[name] = counter{}
				}
				chains[name][strings.Join(i.chain(tr, k), ">")]++
			}
		case hasErr:
			gt.NoiseTraceIDs = append(gt.NoiseTraceIDs, id)
			for _, k := range errorOrigins(tr) {
				noiseOrigins[i.originName(&tr.spans[k])]++
			}
		}
		if slow {
			gt.SlowTraceIDs = append(gt.SlowTraceIDs, id)
		}
		uid := root.strAttr("enduser.id")
		if uid == "" {
			continue
		}
		u := users[uid]
		if u == nil {
			u = &UserTruth{ID: uid}
			users[uid] = u
		}
		if root.kind == kindServer && u.Tier == "" {
			u.Tier, u.Region = root.strAttr("user.tier"), root.strAttr("user.region")
		}
		if root.kind == kindServer {
			u.Requests++
		}
		if failing {
			u.Failed++
			u.TraceIDs = append(u.TraceIDs, id)
			at := time.Unix(0, root.start).UTC()
			if u.FirstFailed.IsZero() {
				u.FirstFailed = at
			}
			u.LastFailed = at
		}
		if slow {
			u.Slow++
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
	if firstFail != 0 {
		gt.IncidentStart = time.Unix(0, firstFail).UTC()
	}
	gt.Culprit = origins.top()
	if gt.Culprit != "" {
		gt.Path = strings.Split(chains[gt.Culprit].top(), ">")
		if len(gt.Path) >= 2 {
			gt.CulpritCaller = gt.Path[len(gt.Path)-2]
		}
	}
	for _, u := range users {
		if u.Failed > 0 {
			gt.Users = append(gt.Users, *u)
		}
	}
	sort.Slice(gt.Users, func(a, b int) bool {
		x, y := gt.Users[a], gt.Users[b]
		if x.Failed != y.Failed {
			return x.Failed > y.Failed
		}
		if x.Slow != y.Slow {
			return x.Slow > y.Slow
		}
		return x.ID < y.ID
	})
	i.messagingTruth(&gt, producers)
	i.differences(&gt)
	gt.LogLines = len(i.logs)
	for _, l := range i.logs {
		if l.level == levelError {
			gt.ErrorLogLines++
		}
	}
	gt.LogPatterns = i.culpritPatterns(gt)
	return gt
}

func (i *Incident) messagingTruth(gt *GroundTruth, producers map[spanID]int) {
	for ti := range i.traces {
		root := i.traces[ti].root()
		if root.kind != kindConsumer || len(root.links) == 0 {
			continue
		}
		pt, ok := producers[root.links[0].span]
		if !ok || pt == ti {
			continue
		}
		for k := range i.traces[pt].spans {
			if p := &i.traces[pt].spans[k]; p.id == root.links[0].span {
				gt.Messaging.Producer = i.svcOf(p)
			}
		}
		gt.Messaging.Consumer = i.svcOf(root)
		gt.Messaging.Topic = root.strAttr("messaging.destination.name")
		return
	}
}

// originService is the service whose span the failure starts in: the
// culprit itself, or its caller when the culprit is uninstrumented.
func (gt *GroundTruth) originService() string {
	if slices.Contains(gt.Uninstrumented, gt.Culprit) {
		return gt.CulpritCaller
	}
	return gt.Culprit
}

func (i *Incident) culpritPatterns(gt GroundTruth) []string {
	failing := map[string]bool{}
	for _, id := range gt.FailingTraceIDs {
		failing[id] = true
	}
	origin := gt.originService()
	count, first := map[int]int{}, map[int]int{}
	for k, l := range i.logs {
		if l.level != levelError || l.svc != origin || !l.hasTrace || !failing[l.trace.String()] {
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
