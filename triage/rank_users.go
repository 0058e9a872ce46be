package triage

import "slices"

// UserOptions tune RankUsers.
type UserOptions struct {
	MaxTraceIDs int // trace ids kept per user, failing first; default 20
}

// RankUsers lists the users of the failing and slow work in the traces:
// most failed first, then most slow, then by id. A failing or slow trace
// counts for its own user. Through JoinLinked it also counts, once per
// message, for the user of each request whose message it failed (or was
// slow) on, with the details that request's trace gives the user; a
// request that failed once and then succeeded on a retry counts for no
// one. A user credited only by batches whose messages could not be told
// apart is BatchLevel: affected at most.
func RankUsers(analyses []TraceAnalysis, opts UserOptions) []UserImpact {
	if opts.MaxTraceIDs <= 0 {
		opts.MaxTraceIDs = 20
	}
	type tally struct {
		u          UserImpact
		slowIDs    []string
		attrsFound bool
		confirmed  bool // some credit not batch-level
		lastFailed int  // the last trace added to TraceIDs, so each is listed once
		lastSlow   int
	}
	index := map[string]int{}
	var users []tally
	credit := func(k int, a *TraceAnalysis, id string, attrs Attrs, failed, slow, batch bool) {
		j, ok := index[id]
		if !ok {
			j = len(users)
			index[id] = j
			users = append(users, tally{u: UserImpact{ID: id, FirstSeen: a.Start, LastSeen: a.Start}, lastFailed: -1, lastSlow: -1})
		}
		t := &users[j]
		if a.Start.Before(t.u.FirstSeen) {
			t.u.FirstSeen = a.Start
		}
		if a.Start.After(t.u.LastSeen) {
			t.u.LastSeen = a.Start
		}
		t.confirmed = t.confirmed || !batch
		if !t.attrsFound && len(attrs) > 0 {
			t.attrsFound = true
			t.u.Attributes = make(map[string]string, len(attrs))
			for _, kv := range attrs {
				t.u.Attributes[kv.Key] = kv.Value
			}
		}
		switch {
		case failed:
			t.u.Failed++
			if t.lastFailed != k && len(t.u.TraceIDs) < opts.MaxTraceIDs {
				t.u.TraceIDs = append(t.u.TraceIDs, a.TraceID)
			}
			t.lastFailed = k
		case slow:
			t.u.Slow++
			if t.lastSlow != k && len(t.slowIDs) < opts.MaxTraceIDs {
				t.slowIDs = append(t.slowIDs, a.TraceID)
			}
			t.lastSlow = k
		}
	}
	for k := range analyses {
		a := &analyses[k]
		ownLinked := false
		for n := range a.Upstream {
			up := &a.Upstream[n]
			if up.User == "" || !up.Affected() {
				continue
			}
			credit(k, a, up.User, up.UserAttrs, up.Failed, up.Slow, up.BatchLevel)
			ownLinked = ownLinked || up.User == a.User
		}
		if a.User != "" && (a.Failing || a.Slow) && !ownLinked {
			credit(k, a, a.User, a.UserAttrs, a.Failing, a.Slow, false)
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
		u.BatchLevel = !users[j].confirmed
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
