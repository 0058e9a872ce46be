package triage

import (
	"cmp"
	"slices"
)

// BaselineKeys is what Differences reads of the healthy baseline, for a
// source that can return just that (BaselineSearcher): the origin services
// whose spans it compares, and the attribute keys on spans and on their
// resources. Differences then ranks those keys only, so a key not asked
// never reads as absent from the baseline.
type BaselineKeys struct {
	Services               []string
	SpanKeys, ResourceKeys []string
}

// Keys are every key asked, span and resource.
func (k BaselineKeys) Keys() []string { return append(slices.Clone(k.SpanKeys), k.ResourceKeys...) }

// maxBaselineKeyBytes bounds the asked keys' total length, so the search
// stays a query a backend takes in one line (Tempo refuses some TraceQL
// over about a kilobyte). The keys that cannot rank are not asked at all;
// past the bound the least carried go first.
const maxBaselineKeyBytes = 600

// routeKeys name the entry point; always asked, as the baseline is
// compared entry point by entry point.
var routeKeys = []string{"http.route", "http.request.method", "http.method"}

// BaselineAsk says what to ask of the healthy baseline for the failing
// (else slow) traces of analyses: only the keys with a value Differences
// can rank (the differ's own cut: carried by enough failing traces, not ids
// or outcomes), the most carried first within maxBaselineKeyBytes, and the
// keys naming the entry point. Keys a search answer cannot tell from the
// span's own fields (kind, status, name, duration, anything with a colon)
// are left out, and so not ranked.
func BaselineAsk(analyses []TraceAnalysis, skip []string) BaselineKeys {
	inc := incidentSpans(analyses)
	if len(inc) == 0 {
		return BaselineKeys{SpanKeys: slices.Clone(routeKeys)}
	}
	d := &differ{opts: DiffOptions{MinSupport: max(2, (len(inc)+19)/20), SkipKeys: skip}, stats: map[diffKey]*diffStat{}, strata: map[string]int32{}}
	d.countIncident(inc)
	d.prune()
	carried := map[placeKey]int{}
	for k, s := range d.stats {
		if k.stratum < 0 {
			pk := placeKey{k.at, k.key}
			carried[pk] = max(carried[pk], s.fail)
		}
	}
	type ask struct {
		key      string
		resource bool
		carried  int
	}
	asks := map[ask]bool{}
	services := map[string]bool{}
	add := func(at uint8, resource bool, attrs Attrs) {
		for _, kv := range attrs {
			if n := carried[placeKey{at, kv.Key}]; n > 0 && !answerField(kv.Key) {
				asks[ask{kv.Key, resource, 0}] = true
			}
		}
	}
	for _, it := range inc {
		tr := it.a.tree
		root := &tr.spans[it.a.root]
		add(atEntry, false, root.Attrs)
		if root.Resource != nil {
			add(atEntry, true, root.Resource.Attrs)
		}
		for _, o := range it.origins {
			s := &tr.spans[o]
			if name := s.Service(); name != "" {
				services[name] = true
			}
			add(atOriginSpan, false, s.Attrs)
			if s.Resource != nil {
				add(atOriginResource, true, s.Resource.Attrs)
			}
		}
	}
	var list []ask
	for a := range asks {
		for _, at := range []uint8{atEntry, atOriginSpan, atOriginResource} {
			a.carried = max(a.carried, carried[placeKey{at, a.key}])
		}
		list = append(list, a)
	}
	slices.SortFunc(list, func(a, b ask) int {
		if c := cmp.Compare(b.carried, a.carried); c != 0 {
			return c
		}
		if c := cmp.Compare(a.key, b.key); c != 0 {
			return c
		}
		return cmp.Compare(boolInt(a.resource), boolInt(b.resource))
	})
	out := BaselineKeys{SpanKeys: slices.Clone(routeKeys)}
	used := 0
	for _, a := range list {
		if slices.Contains(routeKeys, a.key) {
			continue
		}
		// A key on spans and resources alike is asked once, on spans: an
		// answer may not say which it came from.
		if slices.Contains(out.SpanKeys, a.key) || slices.Contains(out.ResourceKeys, a.key) {
			continue
		}
		if used+len(a.key)+3 > maxBaselineKeyBytes {
			continue
		}
		used += len(a.key) + 3
		if a.resource {
			out.ResourceKeys = append(out.ResourceKeys, a.key)
		} else {
			out.SpanKeys = append(out.SpanKeys, a.key)
		}
	}
	slices.Sort(out.SpanKeys)
	slices.Sort(out.ResourceKeys)
	for s := range services {
		out.Services = append(out.Services, s)
	}
	slices.Sort(out.Services)
	return out
}

// answerField reports whether a key reads, in a search answer, like the
// span's own fields rather than an attribute.
func answerField(key string) bool {
	switch key {
	case "kind", "status", "name", "duration", "service.name":
		return true
	}
	return slices.Contains([]byte(key), ':')
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
