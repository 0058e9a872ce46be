package sim

import (
	"slices"
	"sort"
	"time"
)

// affected reports whether a trace is one the incident is about.
func (gt *GroundTruth) affected(f traceFacts) bool {
	switch gt.Kind {
	case KindError:
		return f.failing
	case KindLatency:
		return f.slow
	}
	return false
}

// work is one request's outcome as its user lives it: an entry request, a
// consumer trace that names its user, or one message of a batch consumer's
// trace, whose user is the producing request's.
type work struct {
	trace         int
	uid           string
	tier, region  string
	entry         bool // an entry request: its root is a SERVER span
	failing, slow bool
}

// works lists every trace's work for its users: a batch consumer's trace
// (a CONSUMER root that names no user but links to producers) counts once
// per linked message, with that message's own outcome.
func (i *Incident) works(facts []traceFacts) []work {
	producers := i.producerSpans()
	out := make([]work, 0, len(i.traces))
	for ti := range i.traces {
		tr := &i.traces[ti]
		f, root := facts[ti], tr.root()
		if root.kind != kindConsumer || f.uid != "" || len(root.links) == 0 {
			out = append(out, work{trace: ti, uid: f.uid, tier: root.strAttr("user.tier"), region: root.strAttr("user.region"),
				entry: root.kind == kindServer, failing: f.failing, slow: f.slow})
			continue
		}
		for _, l := range root.links {
			p, ok := producers[l.span]
			if !ok || i.traces[p.trace].id != l.trace {
				continue
			}
			proot := i.traces[p.trace].root()
			failing, slow := messageOutcome(tr, i.traces[p.trace].spans[p.span].strAttr("messaging.message.id"), f)
			out = append(out, work{trace: ti, uid: proot.strAttr("enduser.id"), tier: proot.strAttr("user.tier"), region: proot.strAttr("user.region"),
				failing: failing, slow: slow})
		}
	}
	return out
}

// spanAt locates a span: its trace and its index there.
type spanAt struct{ trace, span int }

// producerSpans indexes every PRODUCER span by id.
func (i *Incident) producerSpans() map[spanID]spanAt {
	producers := map[spanID]spanAt{}
	for ti := range i.traces {
		for k := range i.traces[ti].spans {
			if s := &i.traces[ti].spans[k]; s.kind == kindProducer {
				producers[s.id] = spanAt{ti, k}
			}
		}
	}
	return producers
}

// messageOutcome is how a batch trace's work on message id ended: the
// last of the spans carrying its id to end says whether it failed, and
// all of them together whether it was slow. Without such spans the whole
// trace's outcome stands.
func messageOutcome(tr *traceRec, id string, f traceFacts) (failing, slow bool) {
	var first, last *span
	for k := range tr.spans {
		s := &tr.spans[k]
		if id == "" || s.strAttr("messaging.message.id") != id {
			continue
		}
		if first == nil || s.start < first.start {
			first = s
		}
		if last == nil || s.end >= last.end {
			last = s
		}
	}
	if last == nil {
		return f.failing, f.slow
	}
	failing = last.failed
	return failing, !failing && time.Duration(last.end-first.start) > slowThreshold
}

func (i *Incident) userTruth(gt *GroundTruth, facts []traceFacts) {
	users := map[string]*UserTruth{}
	var first int64
	for ti := range i.traces {
		if root := i.traces[ti].root(); gt.affected(facts[ti]) && (first == 0 || root.start < first) {
			first = root.start
		}
	}
	for _, w := range i.works(facts) {
		if w.uid == "" {
			continue
		}
		root := i.traces[w.trace].root()
		u := users[w.uid]
		if u == nil {
			u = &UserTruth{ID: w.uid}
			users[w.uid] = u
		}
		if u.Tier == "" {
			u.Tier, u.Region = w.tier, w.region
		}
		if w.entry {
			u.Requests++
		}
		id := i.traces[w.trace].id.String()
		if w.failing {
			u.Failed++
			u.TraceIDs = append(u.TraceIDs, id)
			at := time.Unix(0, root.start).UTC()
			if u.FirstFailed.IsZero() {
				u.FirstFailed = at
			}
			u.LastFailed = at
		}
		if w.slow {
			u.Slow++
			u.SlowTraceIDs = append(u.SlowTraceIDs, id)
		}
	}
	if first != 0 {
		gt.IncidentStart = time.Unix(0, first).UTC()
	}
	for _, u := range users {
		if u.Failed > 0 || gt.Kind == KindLatency && u.Slow > 0 {
			gt.Users = append(gt.Users, *u)
		}
	}
	// Failed ranks first; in a latency incident nobody failed, so Slow does.
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
	gt.AffectedUsers = len(gt.Users)
}

// recoveredUsers are the users of the recovered traces who are not
// affected otherwise.
func (i *Incident) recoveredUsers(gt *GroundTruth, facts []traceFacts) {
	affected := map[string]bool{}
	for _, u := range gt.Users {
		affected[u.ID] = true
	}
	recovered := map[string]bool{}
	for ti := range i.traces {
		if uid := facts[ti].uid; uid != "" && !affected[uid] {
			if _, ok := slices.BinarySearch(gt.RecoveredTraceIDs, i.traces[ti].id.String()); !ok {
				continue
			}
			recovered[uid] = true
		}
	}
	gt.RecoveredUsers = sortedKeys(recovered)
}

// alertTruth picks the alert that fires on the incident: on the service
// that roots the affected traces, the entry service when nothing is wrong.
func (i *Incident) alertTruth(gt *GroundTruth, facts []traceFacts) {
	svcs, kinds := counter{}, map[string]spanKind{}
	for ti := range i.traces {
		if root := i.traces[ti].root(); gt.affected(facts[ti]) {
			svc := i.svcOf(root)
			svcs[svc]++
			kinds[svc] = root.kind
		}
	}
	gt.AlertName, gt.AlertService, i.alertKind = "HighErrorRate", i.topo.entry, kindServer
	if gt.Kind == KindLatency {
		gt.AlertName = "HighLatency"
	}
	if top := svcs.top(); top != "" {
		gt.AlertService, i.alertKind = top, kinds[top]
	}
}
