package sim

import (
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

func (i *Incident) userTruth(gt *GroundTruth, facts []traceFacts) {
	users := map[string]*UserTruth{}
	var first int64
	for ti := range i.traces {
		f, root := facts[ti], i.traces[ti].root()
		if gt.affected(f) && (first == 0 || root.start < first) {
			first = root.start
		}
		if f.uid == "" {
			continue
		}
		u := users[f.uid]
		if u == nil {
			u = &UserTruth{ID: f.uid}
			users[f.uid] = u
		}
		if u.Tier == "" {
			u.Tier, u.Region = root.strAttr("user.tier"), root.strAttr("user.region")
		}
		if root.kind == kindServer {
			u.Requests++
		}
		id := i.traces[ti].id.String()
		if f.failing {
			u.Failed++
			u.TraceIDs = append(u.TraceIDs, id)
			at := time.Unix(0, root.start).UTC()
			if u.FirstFailed.IsZero() {
				u.FirstFailed = at
			}
			u.LastFailed = at
		}
		if f.slow {
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
