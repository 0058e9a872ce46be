package triage

import (
	"context"
	"math"
	"sync"
	"time"
)

// logsResult is what the log source contributed.
type logsResult struct {
	lines        []LogLine // error and warning lines in the window
	baseline     []LogLine // the same in the baseline window
	patterns     []LokiPattern
	basePatterns []LokiPattern
	patternsOK   bool // the server detected patterns for us
	truncated    bool // a query hit the line limit: counts are a floor
	// baseVolume counts every line of each service in the baseline window;
	// nil when unknown. A service without lines there has no baseline.
	baseVolume    map[string]int
	baseErr       error // why baseVolume or baseline is unknown
	fresh         *Freshness
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
func runLogs(ctx context.Context, ls LogsSource, scope Scope, w Window, o Options, ids *idHint) *logsResult {
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
	wg.Add(6)
	go func() {
		defer wg.Done()
		vol, err := ls.Volume(ctx, selector, w.BaselineStart, w.BaselineEnd)
		record("volume "+selector+" (baseline)", err)
		mu.Lock()
		res.baseVolume = vol
		if err != nil && res.baseErr == nil {
			res.baseErr = err
		}
		mu.Unlock()
	}()
	go func() {
		defer wg.Done()
		f := logFreshness(ctx, ls, scope, w, o, record)
		mu.Lock()
		res.fresh = f
		mu.Unlock()
	}()
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
		mu.Lock()
		if err == nil {
			res.baseline = keepErrorsAndWarnings(lines)
		} else {
			res.baseErr = err
		}
		mu.Unlock()
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

// freshnessWindow is how far back a source's newest data is looked for.
const freshnessWindow = time.Hour

// logFreshness finds the scope's newest log line (any level) in the hour
// before the window ends.
func logFreshness(ctx context.Context, ls LogsSource, scope Scope, w Window, o Options, record func(string, error)) *Freshness {
	sel, of := "{"+ls.ServiceLabel()+`=~".+"}`, "log line"
	if scope.Service != "" {
		sel = "{" + ls.ServiceLabel() + `="` + escapeLogQL(scope.Service) + `"}`
		of = "log line of " + scope.Service
	}
	lines, err := ls.Lines(ctx, LogQuery{Query: sel, Start: w.End.Add(-freshnessWindow), End: w.End, Limit: 1})
	record(sel+" (newest line)", err)
	if err != nil {
		return nil
	}
	var newest time.Time
	for _, l := range lines {
		if l.Time.After(newest) {
			newest = l.Time
		}
	}
	return freshness(newest, w.End, o.MaxLag, of, sel)
}

// freshness says how old newest is at now; with no data in the hour it
// looked at, the age is at least that hour.
func freshness(newest, now time.Time, maxLag time.Duration, of, query string) *Freshness {
	f := &Freshness{Newest: newest, Of: of, Query: query}
	if newest.IsZero() {
		f.AgeSeconds = freshnessWindow.Seconds()
	} else {
		f.AgeSeconds = math.Max(0, now.Sub(newest).Seconds())
	}
	f.AgeSeconds = math.Round(f.AgeSeconds)
	f.Lagging = f.AgeSeconds > maxLag.Seconds()
	return f
}

// escapeLogQL quotes s for a LogQL double-quoted label value.
func escapeLogQL(s string) string { return escapePromValue(s) }

// baselineNotes say when the baseline cannot be compared with: it failed,
// or the services had no lines at all in its window (retention, a new
// service, logs that never arrived), so no pattern can be called new.
func (res *logsResult) baselineNotes(scope Scope, w Window) []string {
	span := w.BaselineStart.UTC().Format("15:04") + "–" + w.BaselineEnd.UTC().Format("15:04") + " UTC"
	switch {
	case res.baseErr != nil:
		why, _ := ErrorInfo(res.baseErr)
		return []string{"no baseline: the baseline window (" + span + ") failed: " + why}
	case res.baseVolume != nil && scope.Service != "" && res.baseVolume[scope.Service] == 0:
		return []string{"no baseline for " + scope.Service + ": no log lines at all in the baseline window (" + span + ")"}
	case res.baseVolume != nil && len(res.baseVolume) == 0:
		return []string{"no baseline: no log lines at all in the baseline window (" + span + ")"}
	}
	return nil
}

// loggedInBaseline are the services with any line in the baseline window:
// counted by Volume, or seen among the baseline's error lines. Nil when
// neither is known.
func (res *logsResult) loggedInBaseline() map[string]bool {
	if res.baseVolume == nil && res.baseline == nil {
		return nil
	}
	out := map[string]bool{}
	for s, n := range res.baseVolume {
		if n > 0 {
			out[s] = true
		}
	}
	for _, l := range res.baseline {
		out[l.Service] = true
	}
	return out
}
