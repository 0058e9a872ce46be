package explore_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/tuitest"
)

// stubPage stands for a page of another package: a drill-down target, or
// a root below the page under test so esc has somewhere to go back to.
type stubPage struct{ title string }

func (s stubPage) Init() tea.Cmd                      { return nil }
func (s stubPage) Update(tea.Msg) (tui.Page, tea.Cmd) { return s, nil }
func (s stubPage) View() string                       { return "" }
func (s stubPage) SetSize(int, int)                   {}
func (s stubPage) ShortHelp() []key.Binding           { return nil }
func (s stubPage) FullHelp() [][]key.Binding          { return nil }
func (s stubPage) Title() string                      { return s.title }
func stub(title string) tui.PageFunc {
	return func(context.Context) tui.Page { return stubPage{title} }
}
func (r *navRecorder) last() navCall { return r.calls[len(r.calls)-1] }
func (r *navRecorder) add(c navCall, t string) tui.PageFunc {
	r.calls = append(r.calls, c)
	return stub(t)
}

// navCall is one drill-down the page asked for, with its arguments.
type navCall struct {
	kind, traceID, spanID, service, pattern string
	filter                                  tui.TraceFilter
	in                                      tui.IncidentRef
	tr                                      *triage.Trace
}

type navRecorder struct{ calls []navCall }

// wire sets every Nav entry of c to record its call.
func (r *navRecorder) wire(c *tui.Common) {
	c.Nav = tui.Nav{
		Service: func(in tui.IncidentRef, svc string) tui.PageFunc {
			return r.add(navCall{kind: "service", in: in, service: svc}, "svc "+svc)
		},
		Traces: func(in tui.IncidentRef, f tui.TraceFilter) tui.PageFunc {
			return r.add(navCall{kind: "traces", in: in, filter: f}, "traces")
		},
		Trace: func(in tui.IncidentRef, id string) tui.PageFunc {
			return r.add(navCall{kind: "trace", in: in, traceID: id}, "trace "+id[:min(7, len(id))])
		},
		Logs: func(in tui.IncidentRef, id, span string, tr *triage.Trace) tui.PageFunc {
			return r.add(navCall{kind: "logs", in: in, traceID: id, spanID: span, tr: tr}, "logs")
		},
		Users: func(in tui.IncidentRef) tui.PageFunc { return r.add(navCall{kind: "users", in: in}, "users") },
		PatternLines: func(in tui.IncidentRef, p triage.LogPattern) tui.PageFunc {
			return r.add(navCall{kind: "pattern", in: in, pattern: p.Pattern}, "pattern")
		},
		Compare: func(in tui.IncidentRef, id string) tui.PageFunc {
			return r.add(navCall{kind: "compare", in: in, traceID: id}, "compare")
		},
	}
}

func fixtureRef(t testing.TB) tui.IncidentRef {
	f := tuitest.Fixture(t)
	return tui.IncidentRef{Alert: f.Alert, Report: f.Report}
}

// open runs page as the root of an app and completes its loading.
func open(t testing.TB, c *tui.Common, page tui.PageFunc) *tui.App {
	t.Helper()
	app := tui.NewApp(c, page)
	return tuitest.Run(app, app.Init()).(*tui.App)
}

// openOver pushes page over a stub root, so esc can go back.
func openOver(t testing.TB, c *tui.Common, page tui.PageFunc) *tui.App {
	t.Helper()
	app := tui.NewApp(c, stub("incident"))
	return tuitest.Run(app, func() tea.Msg { return tui.PushMsg{New: page} }).(*tui.App)
}

func drive(t testing.TB, app *tui.App, keys ...string) *tui.App {
	t.Helper()
	return tuitest.Drive(t, app, keys...).(*tui.App)
}

func screen(app *tui.App) string { return app.View().Content }

// seriesMetrics serves RED series shaped like the fixture's incident (the
// error ratio and p99 step up halfway through the incident window, with a
// few missing points) and a service graph around payments.
type seriesMetrics struct {
	incidentStart time.Time
	edges         []triage.Sample // request rates; failed rates are in failed
	failed        []triage.Sample
}

func (m seriesMetrics) QueryRange(ctx context.Context, q string, start, end time.Time, step time.Duration) ([]triage.Series, error) {
	incident := !start.Before(m.incidentStart)
	var pts []triage.Point
	n := int(end.Sub(start) / step)
	for i := 0; i <= n; i++ {
		if i%23 == 7 {
			continue // a scrape Prometheus missed
		}
		late := incident && i > n/2
		v := 12 + 2*math.Sin(float64(i)/5)
		switch {
		case strings.Contains(q, "STATUS_CODE_ERROR"):
			v = 0.002
			if late {
				v = 0.42
			}
		case strings.Contains(q, "histogram_quantile"):
			v = 0.12
			if late {
				v = 2.1
			}
		}
		pts = append(pts, triage.Point{Time: start.Add(time.Duration(i) * step), Value: v})
	}
	return []triage.Series{{Labels: map[string]string{"service": "payments"}, Points: pts},
		{Labels: map[string]string{"service": "checkout"}, Points: pts[:1]}}, ctx.Err()
}

func (m seriesMetrics) Query(ctx context.Context, q string, at time.Time) ([]triage.Sample, error) {
	if strings.Contains(q, "request_failed_total") {
		return m.failed, ctx.Err()
	}
	return m.edges, ctx.Err()
}

func (m seriesMetrics) Exemplars(context.Context, string, time.Time, time.Time) ([]triage.Exemplar, error) {
	return nil, nil
}

func edge(client, server string, v float64) triage.Sample {
	return triage.Sample{Labels: map[string]string{"client": client, "server": server}, Value: v}
}

func paymentsGraph(t testing.TB) seriesMetrics {
	return seriesMetrics{
		incidentStart: tuitest.Fixture(t).Report.Window.Start,
		edges:         []triage.Sample{edge("checkout", "payments", 12.4), edge("payments", "ledger-db", 12.4), edge("payments", "fraud", 3), edge("storefront", "checkout", 12.5)},
		failed:        []triage.Sample{edge("checkout", "payments", 5.2), edge("payments", "ledger-db", 12.1)},
	}
}

// failingMetrics is a Prometheus that fails every query.
type failingMetrics struct{ err error }

func (m failingMetrics) Query(context.Context, string, time.Time) ([]triage.Sample, error) {
	return nil, m.err
}
func (m failingMetrics) QueryRange(context.Context, string, time.Time, time.Time, time.Duration) ([]triage.Series, error) {
	return nil, m.err
}
func (m failingMetrics) Exemplars(context.Context, string, time.Time, time.Time) ([]triage.Exemplar, error) {
	return nil, m.err
}

// failedReport is the fixture report as if source name had failed: its
// sections are unknown, with the reason in Sources.
func failedReport(t testing.TB, name, reason string) *triage.Report {
	r := tuitest.Fixture(t).Report.Clone()
	for i := range r.Sources {
		if r.Sources[i].Name == name {
			r.Sources[i].State, r.Sources[i].Error = triage.StateFailed, reason
		}
	}
	switch name {
	case triage.SourceTempo:
		r.Services, r.Users, r.Traces, r.Differences, r.Impact = nil, nil, nil, nil, nil
	case triage.SourceLoki:
		r.LogPatterns = nil
	case triage.SourcePrometheus:
		for i := range r.Services {
			r.Services[i].ErrorRatio, r.Services[i].FailedPerS, r.Services[i].P99MS = nil, nil, nil
		}
		if r.Impact != nil {
			imp := *r.Impact
			imp.UsersEstimate = nil
			r.Impact = &imp
		}
	}
	return r
}

func mustContain(t *testing.T, view string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(view, w) {
			t.Errorf("view lacks %q:\n%s", w, view)
		}
	}
}

func mustNotContain(t *testing.T, view string, bads ...string) {
	t.Helper()
	for _, b := range bads {
		if strings.Contains(view, b) {
			t.Errorf("view has %q:\n%s", b, view)
		}
	}
}

func sizes() []struct{ w, h int } { return []struct{ w, h int }{{80, 24}, {120, 40}, {200, 60}} }
