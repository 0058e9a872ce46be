package loki

import (
	"regexp"
	"strconv"
	"strings"
)

// ServiceLabel is the stream label Loki fills from the OTel service name.
const ServiceLabel = "service_name"

// TraceIDLabel is the structured-metadata key that OTel-shipped logs carry.
const TraceIDLabel = "trace_id"

// Quote renders s as a LogQL string literal. LogQL reads strings with Go's
// unquoting rules, so Go's quoting is exact.
func Quote(s string) string { return strconv.Quote(s) }

// ServiceSelector is the stream selector of the given services: an exact
// match for one, an anchored alternation of quoted names for several, any
// service for none.
func ServiceSelector(services []string) string {
	uniq := make([]string, 0, len(services))
	seen := map[string]bool{}
	for _, s := range services {
		if s != "" && !seen[s] {
			seen[s] = true
			uniq = append(uniq, s)
		}
	}
	switch len(uniq) {
	case 0:
		return "{" + ServiceLabel + `=~".+"}`
	case 1:
		return "{" + ServiceLabel + "=" + Quote(uniq[0]) + "}"
	}
	alts := make([]string, len(uniq))
	for i, s := range uniq {
		alts[i] = regexp.QuoteMeta(s)
	}
	return "{" + ServiceLabel + "=~" + Quote(strings.Join(alts, "|")) + "}"
}

// TraceQuery selects the log lines of one trace in the given services. With
// structured set it filters on the trace_id structured metadata, which is
// exact and cheap; otherwise it searches the line text for the id.
func TraceQuery(services []string, traceID string, structured bool) string {
	sel := ServiceSelector(services)
	if structured {
		return sel + " | " + TraceIDLabel + "=" + Quote(traceID)
	}
	return sel + " |= " + Quote(traceID)
}
