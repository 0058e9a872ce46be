package sim

import (
	"slices"
	"sort"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// slowest is the span with the most self-time: its duration less what its
// children cover.
func (tv traceView) slowest() pspan {
	self := map[pcommon.SpanID]int64{}
	byID := map[pcommon.SpanID]pspan{}
	for _, s := range tv.spans {
		self[s.SpanID()] = int64(s.EndTimestamp() - s.StartTimestamp())
		byID[s.SpanID()] = s
	}
	for _, s := range tv.spans {
		p, ok := byID[s.ParentSpanID()]
		if !ok {
			continue
		}
		overlap := int64(min(s.EndTimestamp(), p.EndTimestamp())) - int64(max(s.StartTimestamp(), p.StartTimestamp()))
		if overlap > 0 {
			self[p.SpanID()] -= overlap
		}
	}
	best := tv.spans[0]
	for _, s := range tv.spans {
		if self[s.SpanID()] > self[best.SpanID()] {
			best = s
		}
	}
	return best
}

func (tv traceView) duration() time.Duration {
	return tv.root.EndTimestamp().AsTime().Sub(tv.root.StartTimestamp().AsTime())
}

func (tv traceView) isSlow() bool { return !tv.root.failed() && tv.duration() > time.Second }

// recount is the ground truth as a reader of the exported spans alone counts
// it: the kind, the affected traces and users, and who they blame.
type recount struct {
	kind          string
	failing, slow []string // sorted
	affected      map[string]bool
	firstAffected time.Time
	users         map[string]*UserTruth // every user seen on a root span
	blamed        map[string]int        // per service, the affected traces that blame it
	slowBlamed    map[string]int        // per service, the slow traces whose slowest span blames it
	services      map[string]bool
}

func recountOf(v *view) recount {
	r := recount{affected: map[string]bool{}, users: map[string]*UserTruth{}, blamed: map[string]int{},
		slowBlamed: map[string]int{}, services: map[string]bool{}}
	for _, tv := range v.traces {
		switch {
		case tv.root.failed():
			r.failing = append(r.failing, tv.id)
		case tv.isSlow():
			r.slow = append(r.slow, tv.id)
			r.slowBlamed[blame(tv.slowest())]++
		}
	}
	sort.Strings(r.failing)
	sort.Strings(r.slow)
	switch {
	case len(r.failing) > 0:
		r.kind = KindError
	case len(r.slow) > 0:
		r.kind = KindLatency
	}
	for _, tv := range v.traces {
		for _, s := range tv.spans {
			r.services[s.svc()] = true
		}
		root := tv.root
		hit := r.kind == KindError && root.failed() || r.kind == KindLatency && tv.isSlow()
		if hit {
			r.affected[tv.id] = true
			if at := root.StartTimestamp().AsTime(); r.firstAffected.IsZero() || at.Before(r.firstAffected) {
				r.firstAffected = at
			}
			if r.kind == KindLatency {
				r.blamed[blame(tv.slowest())]++
			} else {
				var seen []string
				for _, o := range tv.origins() {
					if !slices.Contains(seen, blame(o)) {
						seen = append(seen, blame(o))
						r.blamed[blame(o)]++
					}
				}
			}
		}
		uid := root.str("enduser.id")
		if uid == "" && root.Kind() == ptrace.SpanKindConsumer && root.Links().Len() > 0 {
			// A batch: each linked message counts for its producer's user,
			// failed when the last span carrying its id failed.
			for l := 0; l < root.Links().Len(); l++ {
				p, ok := v.spans[root.Links().At(l).SpanID()]
				if !ok {
					continue
				}
				proot := v.traces[v.byID[p.TraceID().String()]].root
				failed, slow := tv.message(p.str("messaging.message.id"))
				r.credit(proot, proot.str("enduser.id"), false, failed, slow)
			}
			continue
		}
		r.credit(root, uid, root.Kind() == ptrace.SpanKindServer, root.failed(), tv.isSlow())
	}
	return r
}

// credit counts a piece of work for user uid, whose tier and region the
// span from carries.
func (r recount) credit(from pspan, uid string, entry, failed, slow bool) {
	if uid == "" {
		return
	}
	u := r.users[uid]
	if u == nil {
		u = &UserTruth{ID: uid, Tier: from.str("user.tier"), Region: from.str("user.region")}
		r.users[uid] = u
	}
	if entry {
		u.Requests++
	}
	if failed {
		u.Failed++
	}
	if slow {
		u.Slow++
	}
}

// message is how the trace's work on message id ended.
func (tv traceView) message(id string) (failed, slow bool) {
	var first, last pspan
	found := false
	for _, s := range tv.spans {
		if id == "" || s.str("messaging.message.id") != id {
			continue
		}
		if !found || s.StartTimestamp() < first.StartTimestamp() {
			first = s
		}
		if !found || s.EndTimestamp() >= last.EndTimestamp() {
			last = s
		}
		found = true
	}
	if !found {
		return tv.root.failed(), tv.isSlow()
	}
	return last.failed(), !last.failed() && last.EndTimestamp().AsTime().Sub(first.StartTimestamp().AsTime()) > time.Second
}

// affectedUsers are the users with an affected trace.
func (r recount) affectedUsers() map[string]*UserTruth {
	out := map[string]*UserTruth{}
	for id, u := range r.users {
		if r.kind == KindError && u.Failed > 0 || r.kind == KindLatency && u.Slow > 0 {
			out[id] = u
		}
	}
	return out
}

// top is the most blamed service and how many affected traces blame it.
func top(c map[string]int) (string, int) {
	best := ""
	for k, n := range c {
		if best == "" || n > c[best] || n == c[best] && k < best {
			best = k
		}
	}
	return best, c[best]
}

// culpritSpanOf is the span of an affected trace that blames the culprit.
func culpritSpanOf(tv traceView, gt GroundTruth) (pspan, bool) {
	if gt.Kind == KindLatency {
		s := tv.slowest()
		return s, blame(s) == gt.Culprit
	}
	for _, o := range tv.origins() {
		if blame(o) == gt.Culprit {
			return o, true
		}
	}
	return pspan{}, false
}
