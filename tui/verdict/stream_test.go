package verdict

import (
	"context"
	"strings"
	"testing"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/tuitest"
)

// line is the first row of the page that starts with a section's title.
func line(v, title string) string {
	for _, l := range strings.Split(ansi.Strip(v), "\n") {
		if strings.HasPrefix(strings.TrimLeft(l, " ▸"), title) {
			return l
		}
	}
	return ""
}

// Results stream in: before the sources answer every section waits for
// its own source; a failed Loki turns LOGS into "unknown — loki: …" while
// the traces are still pending; then the traces fill in.
func TestVerdictStreams(t *testing.T) {
	f := tuitest.Fixture(t)
	c := tuitest.Common(t, 80, 24)
	gate := make(chan struct{})
	src := f.Sources()
	src.Logs = deadLogs{refused("loki")}
	src.Traces = gatedTraces{TracesSource: src.Traces, gate: gate}
	c.Data.Sources = src
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := New(c, f.Alert, nil)(ctx).(*Page)

	if v := p.View(); !strings.Contains(line(v, "SERVICES"), "waiting for tempo…") || !strings.Contains(line(v, "LOGS"), "waiting for loki…") {
		t.Fatalf("before the run the sections do not wait:\n%s", ansi.Strip(v))
	}
	first, due := startStream(t, p.Init())
	next := step(t, p, first)
	v := p.View()
	if p.Report() == nil {
		t.Fatal("the first update carried no report")
	}
	for _, s := range []string{"SERVICES", "USERS", "DIFFERENT"} {
		if l := line(v, s); !strings.Contains(l, "waiting for tempo…") {
			t.Errorf("%s while tempo is pending: %q", s, l)
		}
	}
	if strings.Contains(ansi.Strip(v), " 0 ") || strings.Contains(ansi.Strip(v), "none") {
		t.Errorf("a pending section reads as empty:\n%s", ansi.Strip(v))
	}
	if strings.ContainsAny(ansi.Strip(v), spinner.MiniDot.Frames[0]) {
		t.Error("the spinner shows before 100 ms")
	}

	// The spinner's delay passes: the loading sections spin.
	_, spin := p.Update(exec(t, due))
	if spin == nil || !strings.Contains(line(p.View(), "SERVICES"), spinner.MiniDot.Frames[0]+" waiting for tempo") {
		t.Errorf("no spinner after the delay: %q", line(p.View(), "SERVICES"))
	}

	// Prometheus and Loki answer, in either order; tempo still waits.
	for range 2 {
		next = step(t, p, next)
	}
	v = p.View()
	if l := line(v, "LOGS"); !strings.Contains(l, "unknown — loki: dial tcp 127.0.0.1:3100: connect: connection refused") {
		t.Errorf("failed loki: LOGS reads %q", l)
	}
	if l := line(v, "SERVICES"); !strings.Contains(l, "waiting for tempo") {
		t.Errorf("SERVICES while tempo is pending: %q", l)
	}
	if !strings.Contains(ansi.Strip(v), "loki ✖") || !strings.Contains(ansi.Strip(v), "tempo …") || !strings.Contains(ansi.Strip(v), "prom ●") {
		t.Errorf("the header's dots do not follow the sources:\n%s", ansi.Strip(v))
	}

	close(gate)
	for i := 0; next != nil; i++ {
		if i > 10 {
			t.Fatal("the stream does not end")
		}
		next = step(t, p, next)
	}
	v = p.View()
	if p.running || p.Report() == nil {
		t.Fatal("the run did not finish")
	}
	if !strings.Contains(line(v, "SERVICES"), "SERVICES 6") || !strings.Contains(ansi.Strip(v), "▸ledger-db") {
		t.Errorf("the services did not fill in:\n%s", ansi.Strip(v))
	}
	if l := line(v, "LOGS"); !strings.Contains(l, "unknown — loki:") {
		t.Errorf("LOGS after the run: %q", l)
	}
	// Nothing loads any more: the spinner's ticks stop.
	if _, cmd := p.Update(exec(t, spin)); cmd != nil {
		t.Error("the spinner still ticks after the run")
	}
	tuitest.CheckSize(t, v, 80, 22)
}

// Every source failed: every section is unknown with its reason, the
// impact says there is no evidence, and nothing reads as 0 or empty.
func TestVerdictAllSourcesFailed(t *testing.T) {
	f := tuitest.Fixture(t)
	c := tuitest.Common(t, 80, 24)
	c.Data.Sources = triage.Sources{Metrics: deadMetrics{refused("prometheus")}, Logs: deadLogs{refused("loki")}, Traces: deadTraces{refused("tempo")}}
	a := tui.NewApp(c, New(c, f.Alert, nil))
	m := tuitest.Run(a, a.Init())
	v := view(m)
	for _, s := range []string{"SERVICES", "USERS", "DIFFERENT"} {
		if l := line(v, s); !strings.Contains(l, "unknown — tempo: dial tcp") {
			t.Errorf("%s: %q", s, l)
		}
	}
	if l := line(v, "LOGS"); !strings.Contains(l, "unknown — loki: dial tcp") {
		t.Errorf("LOGS: %q", l)
	}
	plain := ansi.Strip(v)
	for _, want := range []string{"IMPACT  unknown — tempo: dial tcp", "every source failed: no evidence", "prom ✖ loki ✖ tempo ✖"} {
		if !strings.Contains(plain, want) {
			t.Errorf("all failed: lacks %q:\n%s", want, plain)
		}
	}
	tuitest.CheckSize(t, v, 80, 24)
	tuitest.Golden(t, "verdict_all_failed_80x24", v)
	// Nothing to drill into: `l` says so instead of pushing.
	tuitest.Drive(t, a, "l")
	if a.Depth() != 1 || !strings.Contains(ansi.Strip(view(a)), "no failing trace in the sample") {
		t.Errorf("l with no trace: depth %d\n%s", a.Depth(), ansi.Strip(view(a)))
	}
}

// A source that is not configured is unknown too, and says why.
func TestVerdictUnconfiguredSource(t *testing.T) {
	f := tuitest.Fixture(t)
	c := tuitest.Common(t, 120, 40)
	src := f.Sources()
	src.Logs = nil
	c.Data.Sources = src
	a := tui.NewApp(c, New(c, f.Alert, nil))
	v := view(tuitest.Run(a, a.Init()))
	if l := line(v, "LOGS"); !strings.Contains(l, "unknown — loki: not configured") {
		t.Errorf("LOGS without loki: %q", l)
	}
	if !strings.Contains(ansi.Strip(v), "loki ○") {
		t.Error("the header does not mark loki unconfigured")
	}
	tuitest.Golden(t, "verdict_no_loki_120x40", v)
}

// A run that cannot start (an alert from the future) says why.
func TestVerdictRunError(t *testing.T) {
	f := tuitest.Fixture(t)
	c := tuitest.Common(t, 80, 24)
	alert := f.Alert
	alert.StartsAt = tuitest.Now.Add(3600e9)
	a := tui.NewApp(c, New(c, alert, nil))
	v := ansi.Strip(view(tuitest.Run(a, a.Init())))
	if !strings.Contains(v, "unknown — investigation failed: alert starts at") || !strings.Contains(line(v, "SERVICES"), "unknown — investigation failed") {
		t.Errorf("a failed run is not explained:\n%s", v)
	}
}

// Another page's messages and an earlier run's are dropped.
func TestVerdictDropsForeignMessages(t *testing.T) {
	f := tuitest.Fixture(t)
	c := tuitest.Common(t, 80, 24)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := New(c, f.Alert, f.Report)(ctx).(*Page)
	other := New(c, f.Alert, nil)(ctx).(*Page)
	before := p.View()
	otherStream, otherDue := startStream(t, other.Init())
	foreign := []tea.Msg{exec(t, otherStream), exec(t, otherDue)}
	for _, m := range foreign {
		if _, cmd := p.Update(m); cmd != nil {
			t.Errorf("%T of another page returned a command", m)
		}
	}
	if p.View() != before {
		t.Error("another page's message changed the view")
	}
	// A run superseded by `r` is dropped too.
	_, cmd := p.Update(tuitest.Press("r"))
	oldStream, _ := startStream(t, cmd)
	_, cmd = p.Update(tuitest.Press("r"))
	newStream, _ := startStream(t, cmd)
	if _, cmd := p.Update(exec(t, oldStream)); cmd != nil {
		t.Error("the superseded run's update was taken")
	}
	if next := step(t, p, newStream); next == nil {
		t.Error("the current run's update was dropped")
	}
}

// `r` runs the investigation again, even for a page given its report,
// keeping the figures shown until the new ones come: the page says it is
// refreshing, and how old the figures are.
func TestVerdictRefresh(t *testing.T) {
	f := tuitest.Fixture(t)
	c := tuitest.Common(t, 80, 24)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := New(c, f.Alert, f.Report)(ctx).(*Page)
	if p.Init() != nil {
		t.Fatal("a page given its report investigates on start")
	}
	_, cmd := p.Update(tuitest.Press("r"))
	if cmd == nil || !p.running {
		t.Fatal("r did not start a run")
	}
	if l := line(p.View(), "SERVICES"); !strings.Contains(l, "SERVICES 6") {
		t.Errorf("refreshing: SERVICES reads %q, want the rows kept", l)
	}
	if v := ansi.Strip(p.View()); !strings.Contains(v, "refreshing…") {
		t.Errorf("refreshing: the page does not say so:\n%s", v)
	}
	next, _ := startStream(t, cmd)
	for i := 0; next != nil; i++ {
		if i > 10 {
			t.Fatal("the stream does not end")
		}
		next = step(t, p, next)
	}
	if !strings.Contains(line(p.View(), "SERVICES"), "SERVICES 6") {
		t.Error("the rerun did not fill the services")
	}
}
