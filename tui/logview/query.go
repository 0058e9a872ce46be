package logview

import (
	"context"
	"sort"
	"time"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
)

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
	label := "service_name"
	if ls := c.Data.Sources.Logs; ls != nil && ls.ServiceLabel() != "" {
		label = ls.ServiceLabel()
	}
	// The engine builds the queries, so a bundle recorded by the engine's
	// recorder answers them offline.
	qs := triage.TraceLogQueries(label, traceID, tr, in.Report)
	p := plan{start: qs[0].Start, end: qs[0].End}
	if p.start.IsZero() {
		now := c.Now()
		p.start, p.end = now.Add(-time.Hour), now
	}
	for _, q := range qs {
		p.queries = append(p.queries, q.Query)
	}
	p.services = traceServicesOf(tr, in.Report)
	return p
}

// traceServicesOf are the services the page asks about: the trace's, else
// the report's ranked services.
func traceServicesOf(tr *triage.Trace, r *triage.Report) []string {
	seen := map[string]bool{}
	var out []string
	if tr != nil {
		for i := range tr.Spans {
			if s := tr.Spans[i].Service(); s != "" && !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
		sort.Strings(out)
	}
	if out == nil && r != nil {
		for _, s := range r.Services {
			out = append(out, s.Name)
		}
	}
	return out
}

// fetch runs the plan's queries in order and keeps the lines of traceID
// (see triage.TraceLogs).
func fetch(ctx context.Context, ls triage.LogsSource, p plan, traceID string) (lines []triage.LogLine, query string, truncated bool, err error) {
	qs := make([]triage.LogQuery, len(p.queries))
	for i, q := range p.queries {
		qs[i] = triage.LogQuery{Query: q, Start: p.start, End: p.end, Limit: triage.TraceLogLimit}
	}
	lines, q, truncated, err := triage.TraceLogs(ctx, ls, traceID, qs)
	return lines, q.Query, truncated, err
}

// timeSpan writes a range compactly: the date only when the ends fall on
// different days.
func timeSpan(start, end time.Time) string {
	if start.YearDay() != end.YearDay() || start.Year() != end.Year() {
		return start.Format("Jan 2 15:04:05") + "–" + end.Format("Jan 2 15:04:05")
	}
	return start.Format("15:04:05") + "–" + end.Format("15:04:05 MST")
}

// reason is an error as the unknown line shows it: the source's own reason
// when it gives one.
func reason(err error) string {
	r, _ := triage.ErrorInfo(err)
	return r
}
