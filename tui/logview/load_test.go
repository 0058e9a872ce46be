package logview

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/tuitest"
)

// gatedLogs answers only once its gate is closed, so a test sees the page
// while it loads.
type gatedLogs struct {
	gate  chan struct{}
	calls atomic.Int32
}

func (g *gatedLogs) Lines(ctx context.Context, q triage.LogQuery) ([]triage.LogLine, error) {
	g.calls.Add(1)
	select {
	case <-g.gate:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	id := q.Query[strings.LastIndex(q.Query, `"`)-32 : strings.LastIndex(q.Query, `"`)]
	return []triage.LogLine{{Time: time.Unix(0, 0), Service: "a", Level: "info", Line: "hello", TraceID: id}}, nil
}

func (*gatedLogs) Volume(context.Context, string, time.Time, time.Time) (map[string]int, error) {
	return map[string]int{}, nil
}

func (*gatedLogs) Patterns(context.Context, string, time.Time, time.Time, time.Duration) ([]triage.LokiPattern, error) {
	return nil, triage.ErrPatternsUnavailable
}
func (*gatedLogs) ServiceLabel() string { return "service_name" }

const traceA = "4bf92f3577b34da6a3ce929d0e0e4736"

func newTestPage(t *testing.T, ls triage.LogsSource) *Page {
	t.Helper()
	c := tuitest.Common(t, 80, 24)
	c.Data.Sources.Logs = ls
	p := New(c, tui.IncidentRef{}, traceA, "", nil)(t.Context()).(*Page)
	p.SetSize(80, 22)
	return p
}

// loadParts runs a load's start command and returns its two commands: the
// fetch and the spinner's delay.
func loadParts(t *testing.T, cmd tea.Cmd) (fetch, due tea.Cmd) {
	t.Helper()
	batch, ok := cmd().(tea.BatchMsg)
	if !ok || len(batch) != 2 {
		t.Fatalf("the load started with %T, want the fetch and the spinner's delay", batch)
	}
	return batch[0], batch[1]
}

// The page waits quietly for SpinnerDelay, then says what it queries,
// then shows the lines. (The load itself is tui.Load's, tested there.)
func TestSpinnerOnlyAfterDelay(t *testing.T) {
	g := &gatedLogs{gate: make(chan struct{})}
	p := newTestPage(t, g)
	fetch, due := loadParts(t, p.Init())
	if v := ansi.Strip(p.View()); strings.Contains(v, "querying") {
		t.Errorf("spinner before its delay:\n%s", v)
	}
	if _, tick := p.Update(due()); tick == nil {
		t.Fatal("the delay did not start the spinner")
	}
	if v := ansi.Strip(p.View()); !strings.Contains(v, "querying loki for the lines of trace "+traceA) {
		t.Errorf("no spinner:\n%s", v)
	}
	close(g.gate)
	p.Update(fetch())
	if p.load.Loading() || p.Viewer() == nil {
		t.Fatalf("after the load: loading %v", p.load.Loading())
	}
	if v := ansi.Strip(p.View()); strings.Contains(v, "querying") {
		t.Errorf("still querying after the load:\n%s", v)
	}
}

// `r` supersedes a running load: its late answer is not shown.
func TestStaleLoadDropped(t *testing.T) {
	g := &gatedLogs{gate: make(chan struct{})}
	close(g.gate)
	p := newTestPage(t, g)
	first, _ := loadParts(t, p.Init())
	second, _ := loadParts(t, p.reload())
	p.Update(first())
	if p.Viewer() != nil || !p.load.Loading() {
		t.Fatal("a superseded load was shown")
	}
	p.Update(second())
	if p.Viewer() == nil || p.Viewer().Total() != 1 {
		t.Fatal("the current load was not shown")
	}
}

// TestCancelledWithPage: the page's context ends its request.
func TestCancelledWithPage(t *testing.T) {
	g := &gatedLogs{gate: make(chan struct{})}
	c := tuitest.Common(t, 80, 24)
	c.Data.Sources.Logs = g
	ctx, cancel := context.WithCancel(t.Context())
	p := New(c, tui.IncidentRef{}, traceA, "", nil)(ctx).(*Page)
	fetch, _ := loadParts(t, p.Init())
	cancel()
	p.Update(fetch())
	if p.err == nil {
		t.Fatal("the request outlived its page")
	}
}

// TestAsyncFilter: past syncScan lines a keystroke hands the scan to a
// command; stale scans are dropped, narrowing and backspace need none.
func TestAsyncFilter(t *testing.T) {
	var lines []triage.LogLine
	for i := range 3 * syncScan {
		word := []string{"alpha", "beta", "gamma"}[i%3]
		lines = append(lines, triage.LogLine{Time: time.Unix(int64(i), 0), Service: "s", Level: "info", Line: word + " line"})
	}
	v := NewViewer(tuitest.Common(t, 80, 24), lines)
	v.SetSize(80, 24)
	key := func(k string) tea.Cmd { cmd, _ := v.Update(tuitest.Press(k)); return cmd }
	key("/")
	slow := key("a") // every line has an "a"
	if slow == nil || !v.f.pending || v.Len() != len(lines) {
		t.Fatalf("the first letter scanned inline (pending %v, len %d)", v.f.pending, v.Len())
	}
	if !strings.Contains(ansi.Strip(v.View()), "filtering…") {
		t.Error("no sign of the running scan")
	}
	stale := key("m") // "am": gamma only; the "a" scan is now stale
	v.Update(stale())
	if v.Len() != syncScan || v.f.pending {
		t.Fatalf("am: len %d pending %v", v.Len(), v.f.pending)
	}
	if m := slow().(filteredMsg); m.complete {
		v.Update(m)
	}
	if v.Len() != syncScan || v.Filter() != "am" {
		t.Fatalf("a stale scan replaced the filter: len %d filter %q", v.Len(), v.Filter())
	}
	// Narrowing from "am" (syncScan lines) scans inline.
	if cmd := key("m"); cmd != nil || v.Len() != syncScan {
		t.Errorf("amm: cmd %v len %d", cmd != nil, v.Len())
	}
	if cmd := key("x"); cmd != nil || v.Len() != 0 {
		t.Errorf("ammx: cmd %v len %d", cmd != nil, v.Len())
	}
	// Backspace finds the earlier results.
	for _, want := range []int{syncScan, syncScan} {
		if cmd := key("backspace"); cmd != nil || v.Len() != want {
			t.Errorf("backspace to %q: cmd %v len %d, want %d", v.Filter(), cmd != nil, v.Len(), want)
		}
	}
	if cmd := key("backspace"); cmd == nil {
		t.Error(`"a" was never completed, yet it did not scan`)
	} else {
		v.Update(cmd())
	}
	if v.Len() != len(lines) || v.Filter() != "a" {
		t.Errorf("a: len %d, want every line", v.Len())
	}
}
