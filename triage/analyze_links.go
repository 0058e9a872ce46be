package triage

import "slices"

// LinkedTrace is an analysed trace that another trace links to: for a
// messaging hop, the producer's trace seen from the consumer's.
type LinkedTrace struct {
	TraceID      string
	SpanID       string   // the linked span, e.g. the PRODUCER span
	Service      string   // its service
	Entry        string   // the linked trace's entry point
	EntryService string   // its root service
	User         string   // its user
	Path         []string // services from its root down to the linked span
	Failing      bool
}

// JoinLinked follows span links one hop between the analysed traces, so a
// producer and its consumer are judged together. A trace linking to another
// gets it in Upstream (its entry point, its user and the services down to
// the linked span) and the other lists it in LinkedFrom. A trace without a
// user of its own takes the linked trace's.
//
// The ranking then credits a failing consumer trace to the producer's entry
// point and user as well as its own: the request that put the message on
// the queue is the one whose work failed. Links are not followed further,
// so a chain of hops cannot pull unrelated traces in. Traces linked to but
// not analysed are listed by LinkedTraceIDs for the caller to fetch.
func JoinLinked(analyses []TraceAnalysis) {
	index := make(map[string]int, len(analyses))
	for k := range analyses {
		analyses[k].Upstream, analyses[k].LinkedFrom = nil, nil
		if _, dup := index[analyses[k].TraceID]; !dup {
			index[analyses[k].TraceID] = k
		}
	}
	for k := range analyses {
		a := &analyses[k]
		for _, l := range a.Links {
			j, ok := index[l.TraceID]
			if !ok || j == k {
				continue
			}
			b := &analyses[j]
			if !slices.Contains(b.LinkedFrom, a.TraceID) {
				b.LinkedFrom = append(b.LinkedFrom, a.TraceID)
			}
			if slices.ContainsFunc(a.Upstream, func(u LinkedTrace) bool { return u.TraceID == b.TraceID }) {
				continue
			}
			a.Upstream = append(a.Upstream, b.linkedAt(l.SpanID))
			if a.User == "" && b.User != "" {
				a.User = b.User
				if len(a.UserAttrs) == 0 {
					a.UserAttrs = b.UserAttrs
				}
			}
		}
	}
}

// linkedAt describes b as seen through a link to its span spanID.
func (b *TraceAnalysis) linkedAt(spanID string) LinkedTrace {
	u := LinkedTrace{
		TraceID: b.TraceID, SpanID: spanID, Entry: b.Entry, EntryService: b.RootService,
		User: b.User, Failing: b.Failing,
	}
	tr := b.tree
	if tr == nil {
		return u
	}
	for _, i := range tr.order {
		if tr.spans[i].SpanID != spanID {
			continue
		}
		u.Service = tr.spans[i].Service()
		for j, steps := i, 0; j >= 0 && steps <= len(tr.parent); j, steps = tr.parent[j], steps+1 {
			if svc := tr.spans[j].Service(); len(u.Path) == 0 || u.Path[len(u.Path)-1] != svc {
				u.Path = append(u.Path, svc)
			}
		}
		slices.Reverse(u.Path)
		break
	}
	return u
}

// LinkedTraceIDs lists the traces that failing analysed traces link to but
// that are not among analyses: fetch and analyse them, then JoinLinked
// everything, to judge those hops together too.
func LinkedTraceIDs(analyses []TraceAnalysis) []string {
	have := make(map[string]bool, len(analyses))
	for k := range analyses {
		have[analyses[k].TraceID] = true
	}
	var out []string
	for k := range analyses {
		if !analyses[k].Failing {
			continue
		}
		for _, l := range analyses[k].Links {
			if !have[l.TraceID] {
				have[l.TraceID] = true
				out = append(out, l.TraceID)
			}
		}
	}
	return out
}
