package triage

import (
	"context"
	"strings"

	"github.com/triagectl/triage/triage/drain"
)

// TraceLogs runs a trace's log queries (TraceLogQueries) in order until one
// finds the trace's lines, and keeps only those: a line whose own trace id
// names another trace belongs there (a text search also matches an id
// quoted in another trace's line), and a line without one must at least
// mention the id. q is the query behind the lines; truncated says the
// source returned as many lines as the query's limit, so more may exist.
func TraceLogs(ctx context.Context, ls LogsSource, traceID string, queries []LogQuery) (lines []LogLine, q LogQuery, truncated bool, err error) {
	for _, q = range queries {
		raw, err := ls.Lines(ctx, q)
		if err != nil {
			return nil, q, false, err
		}
		truncated = q.Limit > 0 && len(raw) >= q.Limit
		// raw may be a replay's own slice: filter into a new one.
		lines = make([]LogLine, 0, min(len(raw), 1024))
		for _, l := range raw {
			if strings.EqualFold(l.TraceID, traceID) || (l.TraceID == "" && containsFold(l.Line, traceID)) {
				lines = append(lines, l)
			}
		}
		if len(lines) > 0 {
			return lines, q, truncated, nil
		}
	}
	return lines, q, truncated, nil
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// PatternLines are the lines, of those the investigation read with
// ErrorLinesQuery, that make up pattern p, oldest first. A mined pattern's
// lines are found by mining the lines again, which gives the same patterns
// for the same lines; a pattern the log source detected, or a mined one
// the lines no longer give, by matching its template.
func PatternLines(lines []LogLine, p LogPattern, o MinerOptions) []LogLine {
	order := timeOrder(lines)
	var out []LogLine
	if p.Source == PatternSourceMiner {
		m := drain.NewMiner(o)
		ids := make([]int, len(order))
		for k, i := range order {
			ids[k] = m.Join(minerLine(lines[i]))
		}
		for k, i := range order {
			if ids[k] == drain.SkippedID || m.PatternOf(ids[k]) != p.Pattern {
				continue
			}
			if lv := logLevelOf(lines[i]); p.Level == "" || lv == p.Level {
				out = append(out, lines[i])
			}
		}
		if len(out) > 0 || p.Tag == TagOther {
			return out
		}
	}
	mt := drain.NewMatcher(drain.NormalizePattern(p.Pattern))
	for _, i := range order {
		l := lines[i]
		lv := logLevelOf(l)
		if (lv == levelError || lv == levelWarn) && (p.Level == "" || lv == p.Level) && mt.Match(l.Line) {
			out = append(out, l)
		}
	}
	return out
}
