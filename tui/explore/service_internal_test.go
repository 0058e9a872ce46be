package explore

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/tuitest"
)

// blockingMetrics answers nothing until its request's context ends, like
// a Prometheus that hangs.
type blockingMetrics struct{ asked chan string }

func (m blockingMetrics) Query(ctx context.Context, q string, _ time.Time) ([]triage.Sample, error) {
	m.asked <- q
	<-ctx.Done()
	return nil, ctx.Err()
}
func (m blockingMetrics) QueryRange(ctx context.Context, q string, _, _ time.Time, _ time.Duration) ([]triage.Series, error) {
	m.asked <- q
	<-ctx.Done()
	return nil, ctx.Err()
}
func (m blockingMetrics) Exemplars(ctx context.Context, _ string, _, _ time.Time) ([]triage.Exemplar, error) {
	return nil, nil
}

func newTestPage(t *testing.T, ctx context.Context, m triage.MetricsSource) *servicePage {
	c := tuitest.Common(t, 80, 24)
	c.Data.Sources.Metrics = m
	f := tuitest.Fixture(t)
	p := newServicePage(ctx, c, tui.IncidentRef{Alert: f.Alert, Report: f.Report}, "payments")
	p.SetSize(80, 22)
	return p
}

// TestSpinner: no spinner before 100 ms, a spinner after, the metrics
// once they come, and `r` asks again. (The load's spinner and staleness
// rules are tui.Load's, tested there.)
func TestSpinner(t *testing.T) {
	p := newTestPage(t, context.Background(), blockingMetrics{asked: make(chan string, 16)})
	start := p.Init()
	if start == nil {
		t.Fatal("Init asked nothing")
	}
	if v := ansi.Strip(p.View()); strings.Contains(v, "querying") {
		t.Errorf("spinner before 100ms:\n%s", v)
	}
	due := start().(tea.BatchMsg)[1]
	if _, cmd := p.Update(due()); cmd == nil {
		t.Fatal("the spinner did not start after 100ms")
	}
	mustHave(t, ansi.Strip(p.View()), "querying prometheus")
	if _, cmd := p.Update(tuitest.Press("r")); cmd == nil || !p.load.Loading() {
		t.Error("r did not ask Prometheus again")
	}
}

func mustHave(t *testing.T, view, want string) {
	t.Helper()
	if !strings.Contains(view, want) {
		t.Errorf("view lacks %q:\n%s", want, view)
	}
}

// TestPopCancels: popping the page (its context ends) ends its requests.
func TestPopCancels(t *testing.T) {
	m := blockingMetrics{asked: make(chan string, 16)}
	ctx, cancel := context.WithCancel(context.Background())
	p := newTestPage(t, ctx, m)
	fetch := fetchMetrics(ctx, m, triage.DefaultREDQueries(), "payments", false, p.in.Report.Window, time.Hour)
	done := make(chan any, 1)
	go func() { done <- fetch() }()
	<-m.asked // a request is in flight
	cancel()
	select {
	case msg := <-done:
		res := msg.(metricsResult)
		if res.edgesErr == nil || res.red[0].err == nil {
			t.Errorf("a cancelled request reported success: %+v", res)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the requests outlived the page")
	}
}

func TestBuildEdges(t *testing.T) {
	s := func(cl, sv string, v float64) triage.Sample {
		return triage.Sample{Labels: map[string]string{"client": cl, "server": sv}, Value: v}
	}
	total := []triage.Sample{s("checkout", "payments", 10), s("payments", "db", 4), s("payments", "payments", 1), s("payments", "idle", 0), s("x", "y", 5)}
	failed := []triage.Sample{s("checkout", "payments", 1), s("payments", "db", 4)}
	got := buildEdges("payments", "60s", total, failed)
	want := []struct {
		up    bool
		peer  string
		ratio float64 // -1: unknown
	}{{true, "checkout", 0.1}, {false, "db", 1}, {false, "payments", 0}, {false, "idle", -1}}
	if len(got) != len(want) {
		t.Fatalf("%d edges, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		e := got[i]
		if e.upstream != w.up || e.peer != w.peer || (w.ratio < 0) != (e.errRatio == nil) || (e.errRatio != nil && *e.errRatio != w.ratio) {
			t.Errorf("edge %d = %+v (ratio %v), want %+v", i, e, e.errRatio, w)
		}
	}
	if got[0].query != `sum(rate(traces_service_graph_request_failed_total{client="checkout",server="payments"}[60s])) / sum(rate(traces_service_graph_request_total{client="checkout",server="payments"}[60s]))` {
		t.Errorf("edge query %q", got[0].query)
	}
}

func TestPickSeries(t *testing.T) {
	a := triage.Series{Labels: map[string]string{"service": "a"}, Points: []triage.Point{{Value: 1}}}
	b := triage.Series{Labels: map[string]string{"service": "b"}, Points: []triage.Point{{Value: 2}}}
	if p, ok := pickSeries([]triage.Series{a, b}, "service", "b", false); !ok || p[0].Value != 2 {
		t.Error("did not pick by label")
	}
	if _, ok := pickSeries([]triage.Series{a}, "service", "b", false); ok {
		t.Error("took another service's series")
	}
	unlabelled := triage.Series{Labels: map[string]string{}, Points: []triage.Point{{Value: 3}}}
	if p, ok := pickSeries([]triage.Series{unlabelled}, "service", "b", true); !ok || p[0].Value != 3 {
		t.Error("did not take the only series of a query naming the service")
	}
}
