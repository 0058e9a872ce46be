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
		if uid == "" {
			continue
		}
		u := r.users[uid]
		if u == nil {
			u = &UserTruth{ID: uid, Tier: root.str("user.tier"), Region: root.str("user.region")}
			r.users[uid] = u
		}
		if root.Kind() == ptrace.SpanKindServer {
			u.Requests++
		}
		if root.failed() {
			u.Failed++
		}
		if tv.isSlow() {
			u.Slow++
		}
	}
	return r
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
