package waterfall

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/tuitest"
)

// batch runs cmd and returns the commands of the batch it answers with.
func batch(t *testing.T, cmd tea.Cmd) []tea.Cmd {
	t.Helper()
	b, ok := cmd().(tea.BatchMsg)
	if !ok {
		t.Fatalf("want a batch of commands")
	}
	return b
}

func newPage(t *testing.T) (*page, []tea.Cmd) {
	t.Helper()
	d := tuitest.Fixture(t)
	c := tuitest.Common(t, 80, 24)
	p := New(c, tui.IncidentRef{Alert: d.Alert, Report: d.Report}, d.Report.Traces[0].TraceID)(context.Background()).(*page)
	p.SetSize(80, 22)
	return p, batch(t, p.Init())
}

// TestSpinnerAfterDelay: nothing shows for the first 100 ms, then the
// page says it fetches, until the trace arrives. (The load's spinner and
// its staleness rules are tui.Load's, tested there.)
func TestSpinnerAfterDelay(t *testing.T) {
	p, cmds := newPage(t)
	load, due := cmds[0], cmds[1]
	if strings.Contains(ansi.Strip(p.View()), "fetching") {
		t.Fatal("the spinner shows before its delay")
	}
	_, tick := p.Update(due())
	if tick == nil || !strings.Contains(ansi.Strip(p.View()), "fetching the trace from tempo") {
		t.Fatal("no spinner once the delay passed")
	}
	p.Update(load())
	if p.load.Loading() || p.d == nil {
		t.Fatalf("not loaded: %q", p.loadErr)
	}
	if strings.Contains(ansi.Strip(p.View()), "fetching") {
		t.Fatal("still fetching after the load")
	}
}

// TestDropsStaleResults: a refetch drops the answer of the fetch it
// replaced.
func TestDropsStaleResults(t *testing.T) {
	p, cmds := newPage(t)
	first := cmds[0]()
	second := batch(t, p.fetch())
	p.Update(first)
	if !p.load.Loading() || p.d != nil {
		t.Fatal("the page took a stale result")
	}
	p.Update(second[0]())
	if p.d == nil {
		t.Fatal("the page dropped the current result")
	}
}

func TestMovement(t *testing.T) {
	p, _ := newPage(t)
	base := tuitest.Now
	tr := &triage.Trace{ID: "ab", Spans: []triage.Span{{SpanID: "root", Start: base, End: base.Add(time.Second)}}}
	for i := range 99 {
		tr.Spans = append(tr.Spans, triage.Span{SpanID: fmt.Sprint("s", i), ParentID: "root", Start: base.Add(time.Duration(i) * time.Millisecond), End: base.Add(time.Second)})
	}
	p.loaded(loadResult{d: newTraceData(tr, triage.Options{})})
	rh := p.rowsHeight()
	for _, tc := range []struct {
		key  tea.KeyPressMsg
		want int
	}{
		{tuitest.Press("j"), 1}, {tea.KeyPressMsg{Code: tea.KeyPgDown}, 1 + rh}, {tuitest.Press("G"), 99},
		{tuitest.Press("j"), 99}, {tea.KeyPressMsg{Code: tea.KeyPgUp}, 99 - rh}, {tuitest.Press("g"), 0},
		{tuitest.Press("k"), 0}, {tuitest.Press("G"), 99}, {tuitest.Press("left"), 0},
	} {
		p.Update(tc.key)
		if p.cur.Pos != tc.want || p.cur.Pos < p.cur.Offset || p.cur.Pos >= p.cur.Offset+rh {
			t.Fatalf("after %s: cursor %d offset %d, want cursor %d in view of %d rows", tc.key, p.cur.Pos, p.cur.Offset, tc.want, rh)
		}
	}
}
