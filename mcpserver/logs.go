package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/triage"
)

// maxLogLineBytes cuts each log line of an answer.
const maxLogLineBytes = 400

// logsLine is the log source's state after a query, for an answer's head.
func logsLine(err error, took time.Duration) string {
	if err == nil {
		return fmt.Sprintf("loki ok %dms", took.Milliseconds())
	}
	if _, kind := triage.ErrorInfo(err); kind == string(sources.KindNotRecorded) {
		return "loki: " + sources.NotRecordedReason
	}
	return "loki FAILED (" + clean(reasonOf(err), 200) + ")"
}

// traceLogsAnswer is get_trace_logs' answer: the trace's lines across its
// services, or one service's, oldest first.
func (s *Server) traceLogsAnswer(ctx context.Context, rawID, service string) (*answer, error) {
	id, err := traceID("trace_id", rawID)
	if err != nil {
		return nil, err
	}
	what := "logs of trace " + id
	if service != "" {
		what += " in " + clean(service, 60)
	}
	ls := s.d.Sources.Logs
	if ls == nil {
		return failedAnswer(what, "sources: loki not configured", errors.New("unknown: no log source is configured (sources.loki.url)")), nil
	}
	// The trace gives the services and the time to search; without it the
	// investigation's report does, as the console's logs page does.
	var tr *triage.Trace
	traceNote := "tempo not configured: services and time from the investigation"
	if s.d.Sources.Traces != nil {
		var terr error
		var tline string
		tr, tline, terr = s.fetchTrace(ctx, id)
		traceNote = strings.TrimPrefix(tline, "sources: ")
		if terr != nil {
			traceNote += ": services and time from the investigation"
		}
	}
	var rep *triage.Report
	if c := s.caseWithTrace(id); c != nil {
		rep = c.report
	}
	qs := triage.TraceLogQueries(ls.ServiceLabel(), id, tr, rep)
	rangeNote := ""
	if qs[0].Start.IsZero() {
		now := s.d.Now()
		for i := range qs {
			qs[i].Start, qs[i].End = now.Add(-time.Hour), now
		}
		rangeNote = " (the trace's time is unknown: the last hour)"
	}
	start := time.Now()
	lines, q, truncated, err := triage.TraceLogs(ctx, ls, id, qs)
	srcLine := "sources: " + logsLine(err, time.Since(start)) + " · " + traceNote
	if err != nil {
		return failedAnswer(what, srcLine, fmt.Errorf("the trace's log lines are unknown: %s", clean(reasonOf(err), 300))), nil
	}
	over := 0
	if q.Limit > 0 && len(lines) > q.Limit {
		// The source answered past the limit it was given: keep the
		// newest, as a source that honours it would have.
		over = len(lines) - q.Limit
		lines = newest(lines, q.Limit)
	}
	if service != "" {
		lines = slices.DeleteFunc(slices.Clone(lines), func(l triage.LogLine) bool { return !strings.EqualFold(l.Service, service) })
	}
	slices.SortStableFunc(lines, func(a, b triage.LogLine) int { return a.Time.Compare(b.Time) })

	a := &answer{}
	a.top("%s · %d line(s) · %s–%s%s · query %s", what, len(lines), q.Start.UTC().Format("15:04:05"), q.End.UTC().Format("15:04:05 UTC"),
		rangeNote, clean(q.Query, 300))
	a.top("%s", srcLine)
	a.top("%s", linesCut(truncated, over, q.Limit))
	writeLines(a, lines)
	return a, nil
}

// newest keeps the n newest lines.
func newest(lines []triage.LogLine, n int) []triage.LogLine {
	out := slices.Clone(lines)
	slices.SortStableFunc(out, func(a, b triage.LogLine) int { return b.Time.Compare(a.Time) })
	return out[:n]
}

// linesCut says what a log answer left out.
func linesCut(truncated bool, over, limit int) string {
	var cuts []string
	if over > 0 {
		cuts = append(cuts, fmt.Sprintf("the source returned %s lines past the query's limit of %s: the %s newest kept",
			triage.Thousands(float64(over)), triage.Thousands(float64(limit)), triage.Thousands(float64(limit))))
	} else if truncated {
		cuts = append(cuts, fmt.Sprintf("the query's limit of %s lines was reached: older lines were not fetched", triage.Thousands(float64(limit))))
	}
	cuts = append(cuts, "each line cut at "+strconv.Itoa(maxLogLineBytes)+" bytes")
	return "cut: " + strings.Join(cuts, "; ")
}

// writeLines adds a summary by service and level, then the lines.
func writeLines(a *answer, lines []triage.LogLine) {
	by := map[string]int{}
	for _, l := range lines {
		by[orDash(l.Service)+" "+orDash(triage.NormalizeLogLevel(l.Level))]++
	}
	a.title("summary", "BY SERVICE AND LEVEL: %s", countsLine(by, 12))
	a.title("lines", "LINES (time · service · level · span · line)")
	if len(lines) == 0 {
		a.line("none found")
	}
	for _, l := range lines {
		span := ""
		if l.SpanID != "" {
			span = " · span " + clean(l.SpanID, 32)
		}
		a.line("%s · %s · %s%s · %s", l.Time.UTC().Format("15:04:05.000"), orDash(clean(l.Service, 40)), orDash(clean(l.Level, 10)),
			span, clean(l.Line, maxLogLineBytes))
	}
}

// patternLinesAnswer is get_pattern_lines' answer: the lines behind one of
// the report's log patterns, read again with the investigation's query.
func (s *Server) patternLinesAnswer(ctx context.Context, pid string) (*answer, error) {
	pid = strings.TrimSpace(pid)
	cut := strings.LastIndex(pid, "/p")
	n, err := strconv.Atoi(pid[max(cut, 0)+2:])
	if cut <= 0 || err != nil || n < 1 {
		return nil, fmt.Errorf("pattern_id %s: expected an id as investigate gives it, e.g. 4f2a9c1e0b7d3a55/p1", quote(pid))
	}
	caseID := pid[:cut]
	c := s.cachedCase(caseID)
	if c == nil {
		if strings.HasPrefix(caseID, "alert-") {
			return nil, fmt.Errorf("pattern_id %s: that investigation is no longer kept: call investigate with the alert again", quote(pid))
		}
		if c, err = s.caseFor(ctx, caseID, ""); err != nil {
			return nil, err
		}
	}
	r := c.report
	what := "pattern " + clean(pid, 80)
	if r.LogPatterns == nil {
		return failedAnswer(what, sourcesLine(r), errors.New("the log patterns are "+unknown(r, triage.SourceLoki))), nil
	}
	if n > len(r.LogPatterns) {
		return nil, fmt.Errorf("pattern_id %s: the investigation has %d log patterns", quote(pid), len(r.LogPatterns))
	}
	p := r.LogPatterns[n-1]
	ls := s.d.Sources.Logs
	if ls == nil {
		return failedAnswer(what, "sources: loki not configured", errors.New("unknown: no log source is configured (sources.loki.url)")), nil
	}
	limit := s.d.Options.LogLimit
	if limit <= 0 {
		limit = triage.DefaultOptions().LogLimit
	}
	q := triage.ErrorLinesQuery(ls.ServiceLabel(), r.Window, limit)
	start := time.Now()
	read, err := ls.Lines(ctx, q)
	srcLine := "sources: " + logsLine(err, time.Since(start))
	if err != nil {
		return failedAnswer(what, srcLine, fmt.Errorf("the pattern's lines are unknown: %s", clean(reasonOf(err), 300))), nil
	}
	over := 0
	if len(read) > limit {
		over = len(read) - limit
		read = newest(read, limit)
	}
	lines := triage.PatternLines(read, p, triage.MinerOptions{})
	a := &answer{}
	tag := p.Tag
	if tag == "" {
		tag = "baseline unknown"
	}
	a.top("%s · %s · counted %s (%s, baseline %s) · %s · found by %s · %d of the %d error and warning lines read fit it",
		what, clean(p.Level, 10), triage.Thousands(float64(p.Count)), clean(tag, 20), triage.Thousands(float64(p.BaselineCount)),
		list(p.Services, 4), clean(p.Source, 20), len(lines), len(read))
	a.top("pattern: %s", clean(p.Pattern, 600))
	a.top("%s · query %s over the incident window %s–%s", srcLine, clean(q.Query, 300), q.Start.UTC().Format("15:04"), q.End.UTC().Format("15:04 UTC"))
	a.top("%s", linesCut(over == 0 && len(read) >= limit, over, limit))
	writeLines(a, lines)
	return a, nil
}
