package triage

import "slices"

// UserOptions tune RankUsers.
type UserOptions struct {
	MaxTraceIDs int // trace ids kept per user, failing first; default 20
}

// RankUsers lists the users of the failing and slow traces: most failed
// first, then most slow, then by id. A failing consumer trace counts for the
// user of the producer trace it links to as well (see JoinLinked).
func RankUsers(analyses []TraceAnalysis, opts UserOptions) []UserImpact {
	if opts.MaxTraceIDs <= 0 {
		opts.MaxTraceIDs = 20
	}
	type tally struct {
		u          UserImpact
		slowIDs    []string
		attrsFound bool
	}
	index := map[string]int{}
	var users []tally
	var ids []string
	for k := range analyses {
		a := &analyses[k]
		if !a.Failing && !a.Slow {
			continue
		}
		ids = append(ids[:0], a.User)
		for _, up := range a.Upstream {
			ids = append(ids, up.User)
		}
		for n, id := range ids {
			if id == "" || slices.Contains(ids[:n], id) {
				continue
			}
			j, ok := index[id]
			if !ok {
				j = len(users)
				index[id] = j
				users = append(users, tally{u: UserImpact{ID: id, FirstSeen: a.Start, LastSeen: a.Start}})
			}
			t := &users[j]
			if a.Start.Before(t.u.FirstSeen) {
				t.u.FirstSeen = a.Start
			}
			if a.Start.After(t.u.LastSeen) {
				t.u.LastSeen = a.Start
			}
			if n == 0 && !t.attrsFound && len(a.UserAttrs) > 0 {
				t.attrsFound = true
				t.u.Attributes = make(map[string]string, len(a.UserAttrs))
				for _, kv := range a.UserAttrs {
					t.u.Attributes[kv.Key] = kv.Value
				}
			}
			if a.Failing {
				t.u.Failed++
				if len(t.u.TraceIDs) < opts.MaxTraceIDs {
					t.u.TraceIDs = append(t.u.TraceIDs, a.TraceID)
				}
			} else {
				t.u.Slow++
				if len(t.slowIDs) < opts.MaxTraceIDs {
					t.slowIDs = append(t.slowIDs, a.TraceID)
				}
			}
		}
	}
	out := make([]UserImpact, len(users))
	for j := range users {
		u := users[j].u
		if room := opts.MaxTraceIDs - len(u.TraceIDs); room > 0 {
			u.TraceIDs = append(u.TraceIDs, users[j].slowIDs[:min(room, len(users[j].slowIDs))]...)
		}
		if u.Attributes == nil {
			u.Attributes = map[string]string{}
		}
		if u.TraceIDs == nil {
			u.TraceIDs = []string{}
		}
		out[j] = u
	}
	slices.SortFunc(out, func(a, b UserImpact) int {
		switch {
		case a.Failed != b.Failed:
			return b.Failed - a.Failed
		case a.Slow != b.Slow:
			return b.Slow - a.Slow
		}
		return compareStrings(a.ID, b.ID)
	})
	return out
}
