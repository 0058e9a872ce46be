package logview

import (
	"context"
	"errors"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
)

// lineLimit is generous for one trace: its lines number in the tens, but a
// retry loop can log thousands.
const lineLimit = 5000

// pad widens the trace's own span so that lines logged just before the
// first span starts or after the last ends (clock skew, batching) count.
const rangePad = time.Minute

// plan is what the page asks the log source, fixed when the page is built.
type plan struct {
	services   []string
	start, end time.Time
	// queries are tried in order until one finds lines: the trace_id
	// structured metadata that OTel-shipped logs carry, which is exact and
	// cheap, then the trace id in the line text for logs shipped otherwise.
	queries []string
}

func newPlan(c *tui.Common, in tui.IncidentRef, traceID string, tr *triage.Trace) plan {
	var p plan
	p.services = traceServices(tr)
	if p.services == nil && in.Report != nil {
		for _, s := range in.Report.Services {
			p.services = append(p.services, s.Name)
		}
	}
	p.start, p.end = timeRange(c, in, traceID, tr)
	label := "service_name"
	if ls := c.Data.Sources.Logs; ls != nil && ls.ServiceLabel() != "" {
		label = ls.ServiceLabel()
	}
	sel := serviceSelector(label, p.services)
	p.queries = []string{
		sel + " | trace_id=" + strconv.Quote(traceID),
		sel + " |= " + strconv.Quote(traceID),
	}
	return p
}

// traceServices are the services with spans in tr, sorted; nil without
// any.
func traceServices(tr *triage.Trace) []string {
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

// timeRange is the trace's own time, padded: from its spans, else from the
// report's row for it, else the incident window, else the last hour.
func timeRange(c *tui.Common, in tui.IncidentRef, traceID string, tr *triage.Trace) (time.Time, time.Time) {
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
	if start.IsZero() && in.Report != nil {
		for _, row := range in.Report.Traces {
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
		return start.Add(-rangePad), end.Add(rangePad)
	}
	if in.Report != nil && !in.Report.Window.Start.IsZero() {
		return in.Report.Window.Start, in.Report.Window.End
	}
	now := c.Now()
	return now.Add(-time.Hour), now
}

// serviceSelector is the LogQL stream selector of the services, as the
// Loki client writes it: exact for one, an anchored alternation for
// several, any service for none.
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

// fetch runs the plan's queries in order and keeps the lines of traceID:
// a line whose own trace id names another trace belongs there (a text
// search also matches an id quoted in another trace's line), and a line
// without one must at least mention the id.
func fetch(ctx context.Context, ls triage.LogsSource, p plan, traceID string) (lines []triage.LogLine, query string, truncated bool, err error) {
	for _, q := range p.queries {
		query = q
		raw, err := ls.Lines(ctx, triage.LogQuery{Query: q, Start: p.start, End: p.end, Limit: lineLimit})
		if err != nil {
			return nil, q, false, err
		}
		truncated = len(raw) >= lineLimit
		// raw may be a replay's own slice: filter into a new one.
		lines = make([]triage.LogLine, 0, len(raw))
		for _, l := range raw {
			if strings.EqualFold(l.TraceID, traceID) || (l.TraceID == "" && containsFold(l.Line, traceID)) {
				lines = append(lines, l)
			}
		}
		if len(lines) > 0 {
			return lines, q, truncated, nil
		}
	}
	return lines, query, truncated, nil
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// reason is an error as the unknown line shows it: the source's own reason
// when it gives one.
func reason(err error) string {
	var r interface{ Reason() string }
	switch {
	case errors.As(err, &r):
		return r.Reason()
	case errors.Is(err, context.DeadlineExceeded):
		return "context deadline exceeded"
	}
	return err.Error()
}

// timeSpan writes a range compactly: the date only when the ends fall on
// different days.
func timeSpan(start, end time.Time) string {
	if start.YearDay() != end.YearDay() || start.Year() != end.Year() {
		return start.Format("Jan 2 15:04:05") + "–" + end.Format("Jan 2 15:04:05")
	}
	return start.Format("15:04:05") + "–" + end.Format("15:04:05 MST")
}
