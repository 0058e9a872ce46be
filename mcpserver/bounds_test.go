package mcpserver_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/triagectl/triage/mcpserver"
	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/triage"
)

// Fault injection: sources that serve answers far past what a backend
// should, to hold every tool's answer to its bound.

const (
	bigID     = "b16b16b16b16b16b16b16b16b16b16b1"
	healthyID = "600d600d600d600d600d600d600d600d"
	evil      = "\x1b]52;c;ZXZpbA==\x07\x1b[2J\u202e"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// bigTrace is a 5,000-span trace over 50 services: a 4-ary tree under a
// failing root, one span in ten erroring, each erroring span with 30
// attributes of 3 KB and 12 events.
func bigTrace() *triage.Trace {
	const n = 5000
	tr := &triage.Trace{ID: bigID}
	res := make([]*triage.Resource, 50)
	for i := range res {
		res[i] = &triage.Resource{Service: fmt.Sprintf("svc-%02d", i), Attrs: triage.Attrs{{Key: "service.name", Value: fmt.Sprintf("svc-%02d", i)}}}
	}
	for i := range n {
		sp := triage.Span{TraceID: bigID, SpanID: fmt.Sprintf("%016x", i+1), Name: fmt.Sprintf("op-%d %s", i%300, evil),
			Kind: triage.KindServer, Resource: res[i%50],
			Start: t0.Add(time.Duration(i) * time.Millisecond), End: t0.Add(time.Duration(i)*time.Millisecond + time.Duration(n-i)*time.Millisecond)}
		if i > 0 {
			sp.ParentID = fmt.Sprintf("%016x", (i-1)/4+1)
			sp.Kind = triage.KindClient
		} else {
			sp.Name = "GET /api"
		}
		if i%10 == 0 {
			sp.Error = true
			sp.StatusMessage = strings.Repeat("boom "+evil, 200)
			for k := range 30 {
				sp.Attrs = append(sp.Attrs, triage.Attr{Key: fmt.Sprintf("attr.%d", k), Value: strings.Repeat("v"+evil, 600)})
			}
			for range 12 {
				sp.Events = append(sp.Events, triage.Event{Time: sp.Start, Name: "exception", Attrs: triage.Attrs{{Key: "exception.message", Value: strings.Repeat("x", 3000)}}})
			}
		}
		tr.Spans = append(tr.Spans, sp)
	}
	return tr
}

func healthyTrace() *triage.Trace {
	tr := &triage.Trace{ID: healthyID}
	r := &triage.Resource{Service: "svc-00"}
	for i := range 20 {
		sp := triage.Span{TraceID: healthyID, SpanID: fmt.Sprintf("%016x", i+1), Name: "GET /api", Resource: r, Kind: triage.KindServer,
			Start: t0.Add(-time.Hour), End: t0.Add(-time.Hour + time.Duration(20-i)*time.Millisecond)}
		if i > 0 {
			sp.ParentID = fmt.Sprintf("%016x", 1)
			sp.Name = fmt.Sprintf("op-%d", i)
		}
		tr.Spans = append(tr.Spans, sp)
	}
	return tr
}

type fakeTraces struct {
	traces map[string]*triage.Trace
	err    error
}

func (fakeTraces) Name() string { return triage.SourceTempo }

func (f fakeTraces) Search(context.Context, triage.TraceSearch) (triage.TraceHits, error) {
	if f.err != nil {
		return triage.TraceHits{}, f.err
	}
	return triage.TraceHits{Refs: []triage.TraceRef{{TraceID: healthyID, RootService: "svc-00", RootName: "GET /api", Start: t0.Add(-time.Hour)}}}, nil
}

func (f fakeTraces) Trace(_ context.Context, id string) (*triage.Trace, error) {
	if f.err != nil {
		return nil, f.err
	}
	if tr, ok := f.traces[id]; ok {
		return tr, nil
	}
	return nil, &sources.Error{Source: "tempo", Op: "trace", Kind: sources.KindNotFound, Status: 404, Msg: "trace not found"}
}

// hugeLogs answers every query with 100,000 lines of 1 KB, whatever its
// limit.
type hugeLogs struct {
	lines []triage.LogLine
	err   error
}

func newHugeLogs() *hugeLogs {
	l := &hugeLogs{lines: make([]triage.LogLine, 100_000)}
	msg := fmt.Sprintf("level=error msg=%q", strings.Repeat("q"+evil, 100))
	for i := range l.lines {
		l.lines[i] = triage.LogLine{Time: t0.Add(time.Duration(i) * time.Millisecond), Service: fmt.Sprintf("svc-%02d", i%50),
			Level: "error", TraceID: bigID, SpanID: fmt.Sprintf("%016x", i%5000+1),
			Line: msg + " n=" + strconv.Itoa(i)}
	}
	return l
}

func (l *hugeLogs) Lines(context.Context, triage.LogQuery) ([]triage.LogLine, error) {
	return l.lines, l.err
}
func (l *hugeLogs) Patterns(context.Context, string, time.Time, time.Time, time.Duration) ([]triage.LokiPattern, error) {
	return nil, triage.ErrPatternsUnavailable
}
func (l *hugeLogs) ServiceLabel() string { return "service_name" }

func (l *hugeLogs) Volume(context.Context, string, time.Time, time.Time) (map[string]int, error) {
	return map[string]int{}, l.err
}

// fakeCatalog holds incidents with stored reports.
type fakeCatalog struct {
	list []mcpserver.Incident
	err  error
}

func (c fakeCatalog) Name() string { return "the test catalog" }
func (c fakeCatalog) List(context.Context) ([]mcpserver.Incident, error) {
	return c.list, c.err
}
func (c fakeCatalog) Get(_ context.Context, id string) (mcpserver.Incident, error) {
	if c.err != nil {
		return mcpserver.Incident{}, c.err
	}
	for _, in := range c.list {
		if in.ID == id {
			return in, nil
		}
	}
	return mcpserver.Incident{}, fmt.Errorf("no such incident")
}

// bigReport is a report with far more of everything than a page holds.
func bigReport() *triage.Report {
	f := func(v float64) *float64 { return &v }
	n := 4000
	r := &triage.Report{Version: triage.ReportVersion,
		Alert:  triage.AlertInfo{Name: "Storm" + evil, Labels: map[string]string{"severity": "critical"}, Scope: triage.Scope{Service: "svc-00"}},
		Window: triage.Window{Start: t0.Add(-15 * time.Minute), End: t0, BaselineStart: t0.Add(-75 * time.Minute), BaselineEnd: t0.Add(-time.Hour)},
		Impact: &triage.Impact{UsersEstimate: &triage.Estimate{Value: 5000, Low: 4000, High: 6000, Basis: strings.Repeat("basis ", 300)},
			FailingRatio: f(0.2), Culprit: "svc-07", SampledTraces: intp(200), EntryPoints: []string{"svc-00 GET /api"}},
		Timeline: &triage.Timeline{BeganAt: t0.Add(-10 * time.Minute), Basis: "first failing trace", FirstFailing: bigID},
	}
	for _, name := range []string{"prometheus", "loki", "tempo"} {
		s := triage.SourceStatus{Name: name, State: triage.StateOK}
		for i := range 300 {
			s.Queries = append(s.Queries, fmt.Sprintf("sum(rate(x_%d{a=%q}[5m]))", i, strings.Repeat("y", 2000)))
		}
		r.Sources = append(r.Sources, s)
	}
	for i := range 200 {
		s := triage.ServiceRank{Name: fmt.Sprintf("svc-%02d", i), Role: triage.RoleImpacted, ErrorRatio: f(0.1), P99MS: f(120)}
		if i == 7 {
			s.Role = triage.RoleCulprit
		}
		for range 50 {
			s.Evidence = append(s.Evidence, bigID)
		}
		r.Services = append(r.Services, s)
	}
	for i := range n {
		r.Users = append(r.Users, triage.UserImpact{ID: fmt.Sprintf("u-%d%s", i, evil), Failed: 3, Attributes: map[string]string{"user.tier": strings.Repeat("z", 500)},
			TraceIDs: []string{bigID, bigID, bigID}})
		r.Traces = append(r.Traces, triage.TraceRow{TraceID: bigID, RootService: "svc-00", RootName: "GET /api", Failing: true,
			ErrorOrigin: &triage.ErrorOrigin{Service: "svc-07", SpanName: "op", Message: strings.Repeat("m", 3000)}})
	}
	for i := range 100 {
		r.Differences = append(r.Differences, triage.Difference{Attribute: "k8s.node.name" + evil, Value: strings.Repeat("n", 2000), FailingShare: 0.9, Support: i})
	}
	r.LogPatterns = append(r.LogPatterns, triage.LogPattern{Pattern: "level=error msg=<_> n=<_>", Level: "error", Count: 100000, Tag: "new",
		Services: []string{"svc-00"}, SampleTraceIDs: []string{bigID}, Source: triage.PatternSourceLoki})
	for i := range 60 {
		r.LogPatterns = append(r.LogPatterns, triage.LogPattern{Pattern: strings.Repeat("p"+evil, 1000), Level: "warn", Count: i, Tag: "×2.0", Source: triage.PatternSourceMiner})
	}
	return r
}

func bigDeps(bound int) mcpserver.Deps {
	var incs []mcpserver.Incident
	rep := bigReport()
	for i := range 3000 {
		incs = append(incs, mcpserver.Incident{ID: fmt.Sprintf("inc-%04d", i), Status: "firing", Report: rep, Fresh: true, Origin: "stored",
			Alert: triage.Alert{Name: "Storm" + evil, Labels: map[string]string{"service": "svc-00", "severity": "critical"},
				Annotations: map[string]string{"summary": strings.Repeat("s"+evil, 500)}, StartsAt: t0}})
	}
	return mcpserver.Deps{
		Sources: triage.Sources{Traces: fakeTraces{traces: map[string]*triage.Trace{bigID: bigTrace(), healthyID: healthyTrace()}}, Logs: newHugeLogs()},
		Options: triage.DefaultOptions(), Incidents: fakeCatalog{list: incs}, MaxAnswerBytes: bound,
		Now: func() time.Time { return t0 },
	}
}

// Every tool's answer stays under the bound, whatever the sources serve (a
// 5,000-span trace, 100,000 log lines for a query limited to 5,000, a
// report with thousands of rows and 2 KB queries), and says what it cut.
func TestAnswersStayUnderTheBound(t *testing.T) {
	for _, bound := range []int{mcpserver.DefaultMaxAnswerBytes, 2048} {
		t.Run(fmt.Sprint(bound), func(t *testing.T) {
			cs := connect(t, mcpserver.New(bigDeps(bound)))
			cases := []struct {
				tool  string
				args  map[string]any
				says  []string
				every bool // read every page
			}{
				{"list_incidents", nil, []string{"3000 incident(s)", "page 1 of", "Left for the next pages: incidents ("}, false},
				{"investigate", map[string]any{"id": "inc-0001"}, []string{"culprit svc-07", "page 1 of", "Left for the next pages:"}, false},
				{"get_trace", map[string]any{"trace_id": bigID}, []string{"5000 spans across 50 services", "cut: ", "spans folded in the waterfall", "erroring spans detailed", "page 1 of"}, true},
				{"get_trace_logs", map[string]any{"trace_id": bigID}, []string{"the source returned 95,000 lines past the query's limit of 5,000: the 5,000 newest kept", "each line cut at 400 bytes", "page 1 of"}, false},
				{"get_pattern_lines", map[string]any{"pattern_id": "inc-0001/p1"}, []string{"5000 of the 5000 error and warning lines read fit it", "the 5,000 newest kept", "page 1 of"}, false},
				{"compare_traces", map[string]any{"failing_trace_id": bigID}, []string{"healthy " + healthyID, "operations listed", "page 1 of"}, false},
			}
			for _, c := range cases {
				var pages []result
				if c.every {
					pages = all(t, cs, bound, c.tool, c.args)
				} else {
					pages = []result{call(t, cs, bound, c.tool, c.args)}
				}
				first := pages[0]
				if first.isError {
					t.Errorf("%s: error:\n%s", c.tool, first.text)
					continue
				}
				for _, want := range c.says {
					if !strings.Contains(first.text, want) {
						t.Errorf("%s: the first page does not say %q:\n%s", c.tool, want, first.text)
					}
				}
				t.Logf("%s: page 1 of %d, %d bytes", c.tool, first.pages, len(first.text))
			}
		})
	}
}

func intp(n int) *int { return &n }
