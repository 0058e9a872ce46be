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
	UserAttrs    Attrs    // its user's details
	Path         []string // services from its root down to the linked span
	Failing      bool     // the linked trace itself failed
	MessageID    string   // the linked span's messaging.message.id
	Topic        string   // the linked span's messaging.destination.name
	Consumer     string   // the service whose span carries the link

	// How the linking trace's work on this link went: matched to its
	// message by a span carrying the message id or by a link of its own
	// (per message), else the outcome of the whole span that carries the
	// link, many messages' work (BatchLevel: an upper bound).
	Failed, Slow, BatchLevel bool
}

// Affected reports whether the work on the linked request's message
// failed or was slow: the linked request's user is affected by it.
func (u *LinkedTrace) Affected() bool { return u.Failed || u.Slow }

// HopEntry is the linked trace's entry seen through the hop:
// "storefront POST /checkout → order-events → notifier".
func (u *LinkedTrace) HopEntry() string {
	s := u.Entry
	if u.Topic != "" {
		s += " → " + u.Topic
	}
	if u.Consumer != "" {
		s += " → " + u.Consumer
	}
	return s
}

// JoinLinked follows span links one hop between the analysed traces, so a
// producer and its consumer are judged together. A trace gets, in
// Upstream, each analysed span it links to (a batch consumer's span links
// to one producer span per message), with that trace's entry point, user
// and the services down to the linked span, and how its own work on that
// message went; the linked trace lists it in LinkedFrom. A trace's own
// user is left as it is.
//
// The ranking then credits a consumer's failed work to the producer's
// entry point and user as well as its own: the request that put the
// message on the queue is the one whose work failed. A batch is many
// requests' work: only the messages whose own work failed count, when a
// span carrying the message's id (or a link of its own) tells them apart;
// otherwise each is credited with the batch's outcome and marked
// BatchLevel. Links are not followed further, so a chain of hops or a
// cycle cannot pull unrelated traces in. Traces linked to but not
// analysed are listed by LinkedTraceIDs for the caller to fetch.
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
			if n := len(b.LinkedFrom); n == 0 || b.LinkedFrom[n-1] != a.TraceID && !slices.Contains(b.LinkedFrom, a.TraceID) {
				b.LinkedFrom = append(b.LinkedFrom, a.TraceID)
			}
			u := b.linkedAt(l.SpanID)
			u.Consumer = l.FromService
			switch m := a.message(u.MessageID); {
			case m != nil:
				u.Failed, u.Slow = m.Failed, m.Slow
			default:
				u.Failed, u.Slow, u.BatchLevel = l.FromFailed, l.FromSlow, !l.Single
			}
			a.Upstream = append(a.Upstream, u)
		}
	}
}

// linkedAt describes b as seen through a link to its span spanID.
func (b *TraceAnalysis) linkedAt(spanID string) LinkedTrace {
	u := LinkedTrace{
		TraceID: b.TraceID, SpanID: spanID, Entry: b.Entry, EntryService: b.RootService,
		User: b.User, UserAttrs: b.UserAttrs, Failing: b.Failing,
	}
	tr := b.tree
	if tr == nil {
		return u
	}
	for _, i := range tr.order {
		s := &tr.spans[i]
		if s.SpanID != spanID {
			continue
		}
		u.Service = s.Service()
		u.MessageID, _ = s.Attrs.Get(messageIDKey)
		u.Topic, _ = s.Attrs.Get(messageTopicKey)
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

// LinkedUser is the one user the trace's affected work belongs to through
// its links when it names none itself, "" when none or several.
func (a *TraceAnalysis) LinkedUser() string {
	user := ""
	for k := range a.Upstream {
		u := &a.Upstream[k]
		switch {
		case !u.Affected() || u.User == "" || u.User == user:
		case user != "":
			return ""
		default:
			user = u.User
		}
	}
	return user
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
