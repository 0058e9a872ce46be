package adapter

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/triagectl/triage/sources/loki"
	"github.com/triagectl/triage/triage"
)

// Logs adapts the Loki client to triage.LogsSource.
type Logs struct {
	C *loki.Client
	// Label is the stream label naming the service; service_name when "".
	Label string
}

var _ triage.LogsSource = Logs{}

// ServiceLabel names the stream label that carries the service.
func (l Logs) ServiceLabel() string {
	if l.Label != "" {
		return l.Label
	}
	return loki.ServiceLabel
}

// Lines returns the matching lines, newest first.
func (l Logs) Lines(ctx context.Context, q triage.LogQuery) ([]triage.LogLine, error) {
	r, err := l.C.QueryRange(ctx, loki.QueryRangeRequest{Query: q.Query, Start: q.Start, End: q.End, Limit: q.Limit, Direction: loki.Backward})
	if err != nil {
		return nil, err
	}
	entries := r.Entries(false)
	out := make([]triage.LogLine, 0, len(entries))
	label := l.ServiceLabel()
	for _, e := range entries {
		ll := triage.LogLine{Time: e.Time, Line: e.Line}
		ll.Service, _ = e.Label(label)
		ll.TraceID, _ = e.Label(loki.TraceIDLabel)
		ll.SpanID, _ = e.Label("span_id")
		if lv, ok := e.Label("detected_level"); ok {
			ll.Level = lv
		} else if lv, ok := e.Label("level"); ok {
			ll.Level = lv
		}
		ll.TraceID = strings.ToLower(ll.TraceID)
		out = append(out, ll)
	}
	return out, nil
}

// Volume counts the lines selector matches in [start, end), by service, with
// one instant LogQL metric query at end.
func (l Logs) Volume(ctx context.Context, selector string, start, end time.Time) (map[string]int, error) {
	label := l.ServiceLabel()
	rng := max(int64(end.Sub(start).Seconds()), 1)
	q := fmt.Sprintf("sum by (%s) (count_over_time(%s[%ds]))", label, selector, rng)
	r, err := l.C.Query(ctx, q, end, 0)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, s := range r.Vector {
		if len(s.Samples) > 0 {
			out[s.Labels[label]] += int(s.Samples[len(s.Samples)-1].Value)
		}
	}
	return out, nil
}

// Patterns returns Loki's detected patterns, or triage.ErrPatternsUnavailable
// when the pattern ingester is off.
func (l Logs) Patterns(ctx context.Context, query string, start, end time.Time, step time.Duration) ([]triage.LokiPattern, error) {
	ps, err := l.C.Patterns(ctx, query, start, end, step)
	if loki.IsPatternsDisabled(err) {
		return nil, triage.ErrPatternsUnavailable
	}
	if err != nil {
		return nil, err
	}
	out := make([]triage.LokiPattern, 0, len(ps))
	for _, p := range ps {
		lp := triage.LokiPattern{Pattern: p.Pattern, Level: p.Level, Samples: make([]triage.PatternSample, 0, len(p.Samples))}
		for _, s := range p.Samples {
			lp.Samples = append(lp.Samples, triage.PatternSample{Time: s.Time, Count: int(s.Count)})
		}
		out = append(out, lp)
	}
	return out, nil
}
