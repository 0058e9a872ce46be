package triage

import (
	"slices"
	"strings"
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

func (a *TraceAnalysis) readLinks(tr *Tree) {
	for _, i := range tr.order {
		s := &tr.spans[i]
		for _, l := range s.Links {
			if l.TraceID == "" || l.TraceID == a.TraceID || len(a.Links) >= maxLinks {
				continue
			}
			dup := false
			for _, have := range a.Links {
				if have.TraceID == l.TraceID && have.SpanID == l.SpanID {
					dup = true
					break
				}
			}
			if !dup {
				a.Links = append(a.Links, TraceLink{TraceID: l.TraceID, SpanID: l.SpanID, FromSpanID: s.SpanID, FromService: s.Service(), FromKind: s.Kind})
			}
		}
	}
}
