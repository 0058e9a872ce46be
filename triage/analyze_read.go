package triage

import (
	"slices"
	"strings"
	"time"
)

// routeOf names the request the root span served.
func routeOf(s *Span) string {
	route, ok := s.Attrs.Get("http.route")
	if !ok || route == "" {
		return s.Name
	}
	m, ok := s.Attrs.Get("http.request.method")
	if !ok {
		m, ok = s.Attrs.Get("http.method")
	}
	if !ok || m == "" || strings.HasPrefix(s.Name, m+" "+route) {
		if ok && m != "" {
			return m + " " + route
		}
		return route
	}
	return m + " " + route
}

// readUser takes the first user attribute key found on the root span,
// else on the first span in tree order that has one.
func (a *TraceAnalysis) readUser(tr *Tree, opts AnalysisOptions) {
	a.User = findAttr(tr, a.root, opts.UserAttributes)
	for _, k := range opts.UserDetailAttributes {
		if v := findAttr(tr, a.root, []string{k}); v != "" {
			if a.UserAttrs == nil {
				a.UserAttrs = make(Attrs, 0, len(opts.UserDetailAttributes))
			}
			a.UserAttrs = append(a.UserAttrs, Attr{Key: k, Value: v})
		}
	}
}

// findAttr returns the first of keys set on the root span, else on the
// first span in tree order carrying any of them. Spans of one process share
// a resource, which is searched once.
func findAttr(tr *Tree, root int32, keys []string) string {
	if len(keys) == 0 {
		return ""
	}
	for _, k := range keys {
		if v, ok := tr.spans[root].Attr(k); ok && v != "" {
			return v
		}
	}
	var searched [16]*Resource
	n := 0
	for _, i := range tr.order {
		s := &tr.spans[i]
		for _, k := range keys {
			if v, ok := s.Attrs.Get(k); ok && v != "" {
				return v
			}
		}
		if s.Resource == nil || slices.Contains(searched[:n], s.Resource) {
			continue
		}
		if n < len(searched) {
			searched[n] = s.Resource
			n++
		}
		for _, k := range keys {
			if v, ok := s.Resource.Attrs.Get(k); ok && v != "" {
				return v
			}
		}
	}
	return ""
}

// readLinks lists the links to other traces, once each, with how the work
// of the span carrying each went. When several spans carry the same link
// (attempts at the same message), the one that ended last speaks for it.
func (a *TraceAnalysis) readLinks(tr *Tree, opts AnalysisOptions) {
	var seen map[[2]string]int // link → its index in a.Links
	var ends []int64           // when the span carrying a.Links[k] ended
	for _, i := range tr.order {
		s := &tr.spans[i]
		if len(s.Links) == 0 {
			continue
		}
		distinct := 0
		for k, l := range s.Links {
			if l.TraceID != "" && l.TraceID != a.TraceID && !slices.ContainsFunc(s.Links[:k], func(m Link) bool { return m.TraceID == l.TraceID && m.SpanID == l.SpanID }) {
				distinct++
				if distinct > 1 {
					break
				}
			}
		}
		failed, slow := s.Error, !s.Error && opts.SlowThreshold > 0 && s.Duration() > opts.SlowThreshold
		if i == a.root {
			failed, slow = a.Failing, a.Slow
		}
		for _, l := range s.Links {
			if l.TraceID == "" || l.TraceID == a.TraceID {
				continue
			}
			if seen == nil {
				seen = map[[2]string]int{}
			}
			key := [2]string{l.TraceID, l.SpanID}
			if k, dup := seen[key]; dup {
				if have := &a.Links[k]; have.FromSpanID != s.SpanID && tr.end[i] >= ends[k] {
					have.FromSpanID, have.FromService, have.FromKind = s.SpanID, s.Service(), s.Kind
					have.FromFailed, have.FromSlow, have.Single = failed, slow, distinct == 1
					ends[k] = tr.end[i]
				}
				continue
			}
			if len(a.Links) >= maxLinks {
				a.LinksDropped++
				continue
			}
			seen[key] = len(a.Links)
			ends = append(ends, tr.end[i])
			a.Links = append(a.Links, TraceLink{TraceID: l.TraceID, SpanID: l.SpanID, FromSpanID: s.SpanID, FromService: s.Service(), FromKind: s.Kind,
				FromFailed: failed, FromSlow: slow, Single: distinct == 1})
		}
	}
}

// messageIDKey names a message on the spans that produce and process it.
const messageIDKey = "messaging.message.id"

// messageTopicKey names the topic or queue a message is sent to.
const messageTopicKey = "messaging.destination.name"

// readMessages reads the work on each message id: the spans carrying it,
// the last to end deciding whether it failed.
func (a *TraceAnalysis) readMessages(tr *Tree, opts AnalysisOptions) {
	type span struct {
		id         string
		start, end int64
		err        bool
	}
	var spans []span
	for _, i := range tr.order {
		if tr.Dropped(int(i)) {
			continue
		}
		if id, ok := tr.spans[i].Attrs.Get(messageIDKey); ok && id != "" {
			spans = append(spans, span{id, tr.start[i], tr.end[i], tr.spans[i].Error})
		}
	}
	if len(spans) == 0 {
		return
	}
	slices.SortStableFunc(spans, func(x, y span) int { return strings.Compare(x.id, y.id) })
	for k := 0; k < len(spans); {
		j, first, last := k, spans[k].start, k
		for ; j < len(spans) && spans[j].id == spans[k].id; j++ {
			first = min(first, spans[j].start)
			if spans[j].end >= spans[last].end {
				last = j
			}
		}
		m := MessageWork{ID: spans[k].id, Failed: spans[last].err}
		m.Slow = !m.Failed && opts.SlowThreshold > 0 && time.Duration(spans[last].end-first) > opts.SlowThreshold
		a.Messages = append(a.Messages, m)
		k = j
	}
}

// message is the trace's work on message id, nil when no span carries it.
func (a *TraceAnalysis) message(id string) *MessageWork {
	if id == "" {
		return nil
	}
	k, ok := slices.BinarySearchFunc(a.Messages, id, func(m MessageWork, id string) int { return strings.Compare(m.ID, id) })
	if !ok {
		return nil
	}
	return &a.Messages[k]
}
