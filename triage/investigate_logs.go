package triage

import (
	"context"
	"sync"
	"time"
)

// logsResult is what the log source contributed.
type logsResult struct {
	lines         []LogLine // error and warning lines in the window
	baseline      []LogLine // the same in the baseline window
	patterns      []LokiPattern
	basePatterns  []LokiPattern
	patternsOK    bool // the server detected patterns for us
	truncated     bool // a query hit the line limit: counts are a floor
	queries       []string
	calls, failed int
	firstErr      error
}

// errorLineFilter keeps error and warning lines whatever the format:
// logfmt and JSON level fields, and bare level words. Levels are checked
// again on the client, so a loose filter only costs bandwidth.
const errorLineFilter = `|~ "(?i)(level\\W{1,3}(error|err|warn|warning|fatal|critical)\\b|\\b(ERROR|WARN|WARNING|FATAL)\\b)"`

// ErrorLinesQuery is the investigation's query for the error and warning
// lines of every service in the incident window; label is the log source's
// service label. A pattern's lines are read with it again, so that a bundle
// answers them offline.
func ErrorLinesQuery(label string, w Window, limit int) LogQuery {
	return LogQuery{Query: "{" + label + `=~".+"} ` + errorLineFilter, Start: w.Start, End: w.End, Limit: limit}
}

// runLogs reads the error and warning lines of the window and the baseline,
// and the server's patterns, at once. Trace ids of error lines go to ids.
func runLogs(ctx context.Context, ls LogsSource, w Window, o Options, ids *idHint) *logsResult {
	res := &logsResult{}
	defer ids.give(nil) // none found, when the query failed
	selector := "{" + ls.ServiceLabel() + `=~".+"}`
	q := ErrorLinesQuery(ls.ServiceLabel(), w, o.LogLimit)
	query := q.Query
	var mu sync.Mutex
	record := func(q string, err error) {
		mu.Lock()
		defer mu.Unlock()
		res.queries = append(res.queries, q)
		res.calls++
		if err != nil {
			res.failed++
			if res.firstErr == nil {
				res.firstErr = err
			}
		}
	}
	var wg sync.WaitGroup
	wg.Add(4)
	go func() {
		defer wg.Done()
		lines, err := ls.Lines(ctx, q)
		record(query, err)
		if err != nil {
			return
		}
		lines = keepErrorsAndWarnings(lines)
		seen := map[string]bool{}
		var tids []string
		for _, l := range lines {
			if l.TraceID != "" && logLevelOf(l) == "error" && !seen[l.TraceID] {
				seen[l.TraceID] = true
				tids = append(tids, l.TraceID)
			}
		}
		ids.give(tids)
		mu.Lock()
		res.lines = lines
		res.truncated = res.truncated || len(lines) >= o.LogLimit
		mu.Unlock()
	}()
	go func() {
		defer wg.Done()
		lines, err := ls.Lines(ctx, LogQuery{Query: query, Start: w.BaselineStart, End: w.BaselineEnd, Limit: o.LogLimit})
		record(query+" (baseline)", err)
		if err == nil {
			mu.Lock()
			res.baseline = keepErrorsAndWarnings(lines)
			mu.Unlock()
		}
	}()
	step := max(time.Minute, w.End.Sub(w.Start)/60).Truncate(time.Second)
	var patErr, basePatErr error
	go func() {
		defer wg.Done()
		ps, err := ls.Patterns(ctx, selector, w.Start, w.End, step)
		patErr = err
		if err != ErrPatternsUnavailable {
			record("patterns "+selector, err)
		}
		mu.Lock()
		res.patterns = ps
		mu.Unlock()
	}()
	go func() {
		defer wg.Done()
		ps, err := ls.Patterns(ctx, selector, w.BaselineStart, w.BaselineEnd, step)
		basePatErr = err
		if err != ErrPatternsUnavailable {
			record("patterns "+selector+" (baseline)", err)
		}
		mu.Lock()
		res.basePatterns = ps
		mu.Unlock()
	}()
	wg.Wait()
	res.patternsOK = patErr == nil && basePatErr == nil && len(res.patterns) > 0
	return res
}

// keepErrorsAndWarnings drops lines the loose server-side filter let
// through that are neither errors nor warnings, and fills Level.
func keepErrorsAndWarnings(lines []LogLine) []LogLine {
	out := lines[:0]
	for _, l := range lines {
		if lv := logLevelOf(l); lv == "error" || lv == "warn" {
			l.Level = lv
			out = append(out, l)
		}
	}
	return out
}
