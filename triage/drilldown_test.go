package triage

import (
	"strings"
	"testing"
	"time"
)

func TestServiceSeries(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	w := Window{Start: t0, End: t0.Add(30 * time.Minute), BaselineStart: t0.Add(-time.Hour), BaselineEnd: t0.Add(-30 * time.Minute)}
	q := ServiceSeries(DefaultREDQueries(), "payments", w, false)
	if q.Step != 15*time.Second || q.EdgeRange != "1800s" {
		t.Errorf("step %s, edge range %s", q.Step, q.EdgeRange)
	}
	if !strings.Contains(q.RED[0], "traces_spanmetrics_calls_total") || !strings.Contains(q.RED[0], "[60s]") {
		t.Errorf("requests query %q", q.RED[0])
	}
	if !strings.HasPrefix(q.RED[1], "(sum by (service) (rate(traces_spanmetrics_calls_total{") || !strings.Contains(q.RED[1], ") / (") {
		t.Errorf("error ratio query %q", q.RED[1])
	}
	if !strings.HasPrefix(q.RED[2], "histogram_quantile(0.99") {
		t.Errorf("p99 query %q", q.RED[2])
	}
	long := Window{Start: t0, End: t0.Add(10 * time.Hour)}
	custom := ServiceSeries(REDQueries{ServiceLabel: "job", Requests: `sum(rate(http_requests_total{job="$service"}[$range]))`}, "a\"b\\c\nd", long, false)
	if custom.RED[0] != `sum(rate(http_requests_total{job="a\"b\\c\nd"}[300s]))` || custom.RED[1] != "" || custom.RED[2] != "" {
		t.Errorf("custom templates: %q", custom.RED)
	}
	total, failed := custom.Edges[0], custom.Edges[1]
	for _, s := range []string{total, failed} {
		if !strings.Contains(s, `{server="a\"b\\c\nd"}[36000s]`) || !strings.Contains(s, `{client="a\"b\\c\nd"}[36000s]`) {
			t.Errorf("edge query %q", s)
		}
	}
	if !strings.Contains(failed, GraphFailedTotal) || strings.Contains(total, GraphFailedTotal) {
		t.Error("edge queries mix their metrics")
	}
}

func TestTraceLogQueries(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	r := &Report{Window: Window{Start: t0, End: t0.Add(time.Hour)},
		Services: []ServiceRank{{Name: "ledger-db"}, {Name: "pay.ments"}},
		Traces:   []TraceRow{{TraceID: "ABC", Start: t0.Add(time.Minute), DurationMS: 2000}}}
	tr := &Trace{Spans: []Span{
		{Start: t0.Add(2 * time.Minute), End: t0.Add(2*time.Minute + time.Second), Resource: &Resource{Service: "checkout"}},
		{Start: t0.Add(2 * time.Minute), End: t0.Add(2*time.Minute + 3*time.Second), Resource: &Resource{Service: "api"}},
	}}
	for _, tc := range []struct {
		name       string
		tr         *Trace
		id         string
		sel        string
		start, end time.Time
	}{
		{"fetched trace", tr, "abc", `{service_name=~"api|checkout"}`, t0.Add(time.Minute), t0.Add(3*time.Minute + 3*time.Second)},
		{"report row", nil, "abc", `{service_name=~"ledger-db|pay\\.ments"}`, t0, t0.Add(2*time.Minute + 2*time.Second)},
		{"window", nil, "other", `{service_name=~"ledger-db|pay\\.ments"}`, t0, t0.Add(time.Hour)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			qs := TraceLogQueries("service_name", tc.id, tc.tr, r)
			if len(qs) != 2 || qs[0].Query != tc.sel+` | trace_id="`+tc.id+`"` || qs[1].Query != tc.sel+` |= "`+tc.id+`"` {
				t.Fatalf("queries %+v", qs)
			}
			if !qs[0].Start.Equal(tc.start) || !qs[0].End.Equal(tc.end) || qs[0].Limit != TraceLogLimit {
				t.Errorf("range %s – %s limit %d, want %s – %s", qs[0].Start, qs[0].End, qs[0].Limit, tc.start, tc.end)
			}
		})
	}
}
