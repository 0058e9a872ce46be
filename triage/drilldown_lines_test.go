package triage

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// linesSource answers every query with its lines, whatever it asks.
type linesSource struct {
	byQuery map[string][]LogLine
	err     error
	asked   []string
}

func (s *linesSource) Lines(_ context.Context, q LogQuery) ([]LogLine, error) {
	s.asked = append(s.asked, q.Query)
	return s.byQuery[q.Query], s.err
}
func (s *linesSource) Patterns(context.Context, string, time.Time, time.Time, time.Duration) ([]LokiPattern, error) {
	return nil, ErrPatternsUnavailable
}
func (s *linesSource) ServiceLabel() string { return "service_name" }

func (s *linesSource) Volume(context.Context, string, time.Time, time.Time) (map[string]int, error) {
	return map[string]int{}, nil
}

func TestTraceLogs(t *testing.T) {
	const id = "4bf92f3577b34da6a3ce929d0e0e4736"
	other := "0af7651916cd43dd8448eb211c80319c"
	qs := TraceLogQueries("service_name", id, nil, nil)
	tests := []struct {
		name      string
		answers   map[string][]LogLine
		err       error
		want      []string
		query     string
		truncated bool
	}{
		{
			name: "metadata query finds the lines",
			answers: map[string][]LogLine{qs[0].Query: {
				{Line: "charged", TraceID: id}, {Line: "mentions " + id, TraceID: other}, {Line: "no id at all"},
			}},
			want: []string{"charged"}, query: qs[0].Query,
		},
		{
			name: "falls back to the text search",
			answers: map[string][]LogLine{qs[1].Query: {
				{Line: "GET /x trace=" + id}, {Line: "quoted " + id, TraceID: other},
			}},
			want: []string{"GET /x trace=" + id}, query: qs[1].Query,
		},
		{name: "nothing anywhere", answers: map[string][]LogLine{}, want: nil, query: qs[1].Query},
		{name: "a failure is an error, not no lines", err: errors.New("connection refused"), query: qs[0].Query},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ls := &linesSource{byQuery: tt.answers, err: tt.err}
			lines, q, truncated, err := TraceLogs(context.Background(), ls, id, qs)
			if (err != nil) != (tt.err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			var got []string
			for _, l := range lines {
				got = append(got, l.Line)
			}
			if !slices.Equal(got, tt.want) || q.Query != tt.query || truncated != tt.truncated {
				t.Errorf("got %q from %q (truncated %v), want %q from %q", got, q.Query, truncated, tt.want, tt.query)
			}
		})
	}
	t.Run("a full answer says more may exist", func(t *testing.T) {
		q := []LogQuery{{Query: "q", Limit: 2}}
		ls := &linesSource{byQuery: map[string][]LogLine{"q": {{Line: "a", TraceID: id}, {Line: "b", TraceID: id}}}}
		_, _, truncated, err := TraceLogs(context.Background(), ls, id, q)
		if err != nil || !truncated {
			t.Errorf("truncated = %v, %v", truncated, err)
		}
	})
}

func TestPatternLines(t *testing.T) {
	at := func(s int) time.Time { return time.Unix(1_700_000_000+int64(s), 0) }
	var lines []LogLine
	for i := range 6 {
		lines = append(lines,
			LogLine{Time: at(i), Service: "payments", Line: "level=error msg=\"timeout acquiring connection\" pool=ledger waited_ms=20" + string(rune('0'+i)), TraceID: "t" + string(rune('0'+i))},
			LogLine{Time: at(i), Service: "checkout", Line: "level=warn msg=\"retrying charge\" attempt=" + string(rune('1'+i))},
			LogLine{Time: at(i), Service: "checkout", Line: "level=info msg=\"served\""})
	}
	mined := ComparePatterns(lines, nil, PatternOptions{})
	if len(mined) != 2 {
		t.Fatalf("mined %d patterns, want 2: %+v", len(mined), mined)
	}
	for _, p := range mined {
		got := PatternLines(lines, p, MinerOptions{})
		if len(got) != p.Count {
			t.Errorf("pattern %q counts %d lines, PatternLines gives %d", p.Pattern, p.Count, len(got))
		}
		for _, l := range got {
			if !slices.Contains(p.Services, l.Service) {
				t.Errorf("line of %s under a pattern of %v", l.Service, p.Services)
			}
		}
	}
	loki := LogPattern{Pattern: `level=error msg="timeout acquiring connection" pool=<_> waited_ms=<_>`, Level: "error", Source: PatternSourceLoki}
	if got := PatternLines(lines, loki, MinerOptions{}); len(got) != 6 || !got[0].Time.Before(got[5].Time) {
		t.Errorf("the detected pattern matches %d lines, want 6 oldest first", len(got))
	}
	if got := PatternLines(lines, LogPattern{Pattern: "nothing like it <_>", Source: PatternSourceLoki}, MinerOptions{}); len(got) != 0 {
		t.Errorf("an unrelated pattern matched %d lines", len(got))
	}
}

func TestCompareTraces(t *testing.T) {
	failing := checkoutFailure("f")
	healthy := healthyCheckout("h")
	c := CompareTraces(failing, healthy, testAnalysis)
	if !c.Failing.Failing || c.Healthy.Failing {
		t.Fatalf("failing %v, healthy %v", c.Failing.Failing, c.Healthy.Failing)
	}
	first := c.Operations[0]
	if first.FailingErrors == 0 {
		t.Errorf("erroring operations do not come first: %+v", first)
	}
	var insert *OperationDelta
	for i := range c.Operations {
		if c.Operations[i].Name == "INSERT charges" {
			insert = &c.Operations[i]
		}
	}
	if insert == nil || insert.Failing != 0 || insert.Healthy != 1 {
		t.Errorf("the healthy trace's own operation: %+v", insert)
	}
	refs := []TraceRef{
		{TraceID: "far", RootService: "storefront", RootName: "POST /checkout", Start: at(0).Add(-time.Hour)},
		{TraceID: "other", RootService: "storefront", RootName: "GET /cart", Start: at(0)},
		{TraceID: "near", RootService: "storefront", RootName: "POST /checkout", Start: at(0).Add(time.Minute)},
	}
	got := SameRoute(refs, "storefront", "POST /checkout", at(0))
	if len(got) != 2 || got[0].TraceID != "near" || got[1].TraceID != "far" {
		t.Errorf("SameRoute = %+v", got)
	}
}

func at(ms int) time.Time { return atMS(ms) }
