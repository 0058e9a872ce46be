package triage

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The console's drill-down asks more than the investigation did. A bundle
// answers those requests only if they were recorded byte for byte, so the
// pages and the bundle recorder build them with the functions here.

// TraceLogLimit caps the lines of one trace's log page: a trace's lines
// number in the tens, but a retry loop can log thousands.
const TraceLogLimit = 5000

// traceLogMargin widens a trace's time range: lines are often stamped a
// little after the span that caused them, or before it on a skewed clock.
const traceLogMargin = time.Minute

// TraceLogQueries are the log queries of one trace's lines across its
// services, tried in order until one finds lines: the trace_id structured
// metadata that OTel-shipped logs carry (exact and cheap), then the id in
// the line text. label is the log source's service label. The services and
// time range come from tr, the fetched trace, when known; else from the
// report's ranked services and its row for the trace, or its window.
func TraceLogQueries(label, traceID string, tr *Trace, r *Report) []LogQuery {
	services := traceServices(tr)
	if services == nil && r != nil {
		for _, s := range r.Services {
			services = append(services, s.Name)
		}
	}
	start, end := traceTimeRange(traceID, tr, r)
	sel := serviceSelector(label, services)
	var out []LogQuery
	for _, q := range []string{sel + " | trace_id=" + strconv.Quote(traceID), sel + " |= " + strconv.Quote(traceID)} {
		out = append(out, LogQuery{Query: q, Start: start, End: end, Limit: TraceLogLimit})
	}
	return out
}

// traceServices are the services with spans in tr, sorted; nil without any.
func traceServices(tr *Trace) []string {
	if tr == nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for i := range tr.Spans {
		if s := tr.Spans[i].Service(); s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// traceTimeRange is the trace's own time, widened: from its spans, else
// from the report's row for it, else the incident window; zero when none
// is known.
func traceTimeRange(traceID string, tr *Trace, r *Report) (time.Time, time.Time) {
	var start, end time.Time
	if tr != nil {
		for i := range tr.Spans {
			sp := &tr.Spans[i]
			if !sp.Start.IsZero() && (start.IsZero() || sp.Start.Before(start)) {
				start = sp.Start
			}
			if sp.End.After(end) {
				end = sp.End
			}
		}
	}
	if start.IsZero() && r != nil {
		for _, row := range r.Traces {
			if strings.EqualFold(row.TraceID, traceID) && !row.Start.IsZero() {
				start = row.Start
				end = start.Add(time.Duration(row.DurationMS * float64(time.Millisecond)))
				break
			}
		}
	}
	if !start.IsZero() {
		if end.Before(start) {
			end = start
		}
		return start.Add(-traceLogMargin), end.Add(traceLogMargin)
	}
	if r != nil {
		return r.Window.Start, r.Window.End
	}
	return time.Time{}, time.Time{}
}

// serviceSelector is the stream selector of the services: exact for one,
// an anchored alternation for several, any service for none.
func serviceSelector(label string, services []string) string {
	switch len(services) {
	case 0:
		return "{" + label + `=~".+"}`
	case 1:
		return "{" + label + "=" + strconv.Quote(services[0]) + "}"
	}
	alts := make([]string, len(services))
	for i, s := range services {
		alts[i] = regexp.QuoteMeta(s)
	}
	return "{" + label + "=~" + strconv.Quote(strings.Join(alts, "|")) + "}"
}

// The service-graph series Tempo's metrics-generator writes, one per
// client→server edge.
const (
	GraphRequestTotal = "traces_service_graph_request_total"
	GraphFailedTotal  = "traces_service_graph_request_failed_total"
)

// ServiceQueries are what the Service page asks Prometheus about one
// service: its RED series over the incident and baseline windows, and its
// service-graph edges at the window's end.
type ServiceQueries struct {
	// Step keeps about 120 points per window, as the engine's own range
	// query does.
	Step time.Duration
	// RED are req/s, the error ratio and p99 (seconds), ranged by Step so
	// no sample is skipped; "" where the templates have none.
	RED [3]string
	// Edges are the request and failed rates of every edge where the
	// service is the server or the client, over EdgeRange.
	Edges     [2]string
	EdgeRange string
	// Label names the service in the RED series; Named says the queries
	// select it themselves (a $service template) rather than by that label.
	Label string
	Named bool
	// Peer says the series are an uninstrumented peer's, as its callers'
	// client spans saw it: the figures of its verdict row.
	Peer bool
}

// ServiceSeries builds a service's drill-down queries from the RED
// templates: an instrumented service's own, or, for an uninstrumented peer
// (peer true), the service-graph series of its callers, which its verdict
// row's figures come from too.
func ServiceSeries(red REDQueries, svc string, w Window, peer bool) ServiceQueries {
	q := ServiceQueries{Step: max(15*time.Second, w.End.Sub(w.Start)/120).Truncate(time.Second), Label: red.ServiceLabel, Peer: peer}
	rng := promRange(q.Step)
	fillIf := func(tmpl string) string {
		if tmpl == "" {
			return ""
		}
		return fill(tmpl, rng, svc)
	}
	reqs, errs, p99 := red.Requests, red.Errors, red.P99Seconds
	if peer && red.PeerRequests != "" {
		reqs, errs, p99, q.Label = red.PeerRequests, red.PeerErrors, red.PeerP99Seconds, red.PeerLabel
	}
	q.Named = strings.Contains(reqs+errs+p99, "$service")
	q.RED[0], q.RED[2] = fillIf(reqs), fillIf(p99)
	if errs != "" && reqs != "" {
		q.RED[1] = "(" + fill(errs, rng, svc) + ") / (" + fill(reqs, rng, svc) + ")"
	}
	q.EdgeRange = promRange(w.End.Sub(w.Start))
	e := escapePromValue(svc)
	for i, metric := range []string{GraphRequestTotal, GraphFailedTotal} {
		q.Edges[i] = fmt.Sprintf(`sum by (client, server) (rate(%s{server="%s"}[%s])) or sum by (client, server) (rate(%s{client="%s"}[%s]))`,
			metric, e, q.EdgeRange, metric, e, q.EdgeRange)
	}
	return q
}

// EdgeRatioQuery is the query behind one edge's error rate.
func EdgeRatioQuery(client, server, rng string) string {
	sel := fmt.Sprintf(`{client="%s",server="%s"}[%s]`, escapePromValue(client), escapePromValue(server), rng)
	return "sum(rate(" + GraphFailedTotal + sel + ")) / sum(rate(" + GraphRequestTotal + sel + "))"
}

// LinkedTraceLimit caps the traces listed as linked to one trace.
const LinkedTraceLimit = 20

// LinkedTracesSearch finds the traces with a span that links to traceID:
// the consumers of the messages its producer spans sent. A link points
// from consumer to producer only, so the producer's side is a search.
func LinkedTracesSearch(traceID string, w Window) TraceSearch {
	return TraceSearch{LinksTo: strings.ToLower(traceID), Start: w.Start, End: w.End, Limit: LinkedTraceLimit}
}

// HasProducerSpan reports whether a trace sent a message, so that other
// traces may link to it.
func HasProducerSpan(tr *Trace) bool {
	if tr == nil {
		return false
	}
	for i := range tr.Spans {
		if tr.Spans[i].Kind == KindProducer {
			return true
		}
	}
	return false
}
