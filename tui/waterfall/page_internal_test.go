package waterfall

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/spinner"
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
// spinner ticks until the trace arrives, and not after.
func TestSpinnerAfterDelay(t *testing.T) {
	p, cmds := newPage(t)
	load, due := cmds[0], cmds[1]
	if strings.Contains(ansi.Strip(p.View()), "fetching") {
		t.Fatal("the spinner shows before its delay")
	}
	dueMsg := due()
	_, tick := p.Update(dueMsg)
	if tick == nil || !strings.Contains(ansi.Strip(p.View()), "fetching the trace from tempo") {
		t.Fatal("no spinner once the delay passed")
	}
	tm, ok := tick().(spinner.TickMsg)
	if !ok {
		t.Fatal("the spinner does not tick")
	}
	if _, next := p.Update(tm); next == nil {
		t.Fatal("the spinner stopped while loading")
	}
	p.Update(load())
	if p.loading || p.d == nil {
		t.Fatalf("not loaded: %q", p.loadErr)
	}
	if _, next := p.Update(tm); next != nil {
		t.Fatal("the spinner keeps ticking after the load")
	}
	if _, next := p.Update(dueMsg); next != nil || strings.Contains(ansi.Strip(p.View()), "fetching") {
		t.Fatal("a late delay message brought the spinner back")
	}
}

// TestDropsStaleAndForeignResults: a refetch drops the answer of the fetch
// it replaced, and a page ignores another page's answers (the app gives
// every page every result).
func TestDropsStaleAndForeignResults(t *testing.T) {
	p, cmds := newPage(t)
	first := cmds[0]()
	_, otherCmds := newPage(t)
	p.Update(otherCmds[0]())
	if !p.loading || p.d != nil {
		t.Fatal("the page took another page's result")
	}
	p.fetch()
	p.Update(first)
	if !p.loading || p.d != nil {
		t.Fatal("the page took a stale result")
	}
	if _, next := p.Update(otherCmds[1]()); next != nil {
		t.Fatal("the page took another page's spinner delay")
	}
}

func TestBar(t *testing.T) {
	const s = int64(time.Second)
	for _, tc := range []struct {
		name          string
		start, end, w int64
		want          string
	}{
		{name: "whole", start: 0, end: s, w: 10, want: "██████████"},
		{name: "first half", start: 0, end: s / 2, w: 10, want: "█████     "},
		{name: "second half", start: s / 2, end: s, w: 10, want: "     █████"},
		{name: "three eighths", start: 0, end: s * 3 / 80, w: 10, want: "▍         "},
		{name: "ends mid cell", start: 0, end: s * 25 / 100, w: 10, want: "██▌       "},
		{name: "starts mid cell", start: s * 15 / 100, end: s * 5 / 10, w: 10, want: " ▐███     "},
		{name: "starts late in a cell", start: s * 19 / 100, end: s * 5 / 10, w: 10, want: " ▕███     "},
		{name: "zero length", start: s / 2, end: s / 2, w: 10, want: "     ▏    "},
		{name: "at the very end", start: s, end: s, w: 10, want: "         ▏"},
		{name: "outside the trace", start: -s, end: 2 * s, w: 4, want: "████"},
		{name: "no width", start: 0, end: s, w: 0, want: ""},
	} {
		got := bar(tc.start, tc.end, 0, s, int(tc.w))
		if got != tc.want {
			t.Errorf("%s: bar = %q, want %q", tc.name, got, tc.want)
		}
		if n := ansi.StringWidth(got); n != int(tc.w) {
			t.Errorf("%s: %d cells, want %d", tc.name, n, tc.w)
		}
	}
	if got := bar(5, 5, 5, 5, 3); ansi.StringWidth(got) != 3 {
		t.Errorf("empty trace: %q", got)
	}
}

func TestFmtDur(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0"}, {-time.Second, "0"}, {500, "500ns"}, {586835 * time.Nanosecond, "587µs"},
		{6560653, "6.56ms"}, {2037699200, "2.04s"}, {62 * time.Second, "1m02s"},
		{3*time.Hour + 4*time.Minute, "3h04m"}, {1000 * time.Hour, "41d"},
	} {
		if got := fmtDur(tc.d); got != tc.want || ansi.StringWidth(got) > 7 {
			t.Errorf("fmtDur(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestWrap(t *testing.T) {
	got := wrap("one two three four five six seven eight nine ten", 20, 2)
	if len(got) != 2 || !strings.HasSuffix(got[1], "…") {
		t.Fatalf("wrap = %q", got)
	}
	for _, l := range got {
		if ansi.StringWidth(l) > 20 {
			t.Errorf("line %q wider than 20", l)
		}
	}
	if got := wrap("line\nbreak\x1b[2J", 40, 3); len(got) != 1 || strings.ContainsAny(got[0], "\n\x1b") {
		t.Errorf("wrap keeps controls: %q", got)
	}
}

// TestMovement: the movement keys keep the cursor on a row and the row in
// view.
func TestMovement(t *testing.T) {
	p, _ := newPage(t)
	base := tuitest.Now
	tr := &triage.Trace{ID: "ab", Spans: []triage.Span{{SpanID: "root", Start: base, End: base.Add(time.Second)}}}
	for i := range 99 {
		tr.Spans = append(tr.Spans, triage.Span{SpanID: fmt.Sprint("s", i), ParentID: "root", Start: base.Add(time.Duration(i) * time.Millisecond), End: base.Add(time.Second)})
	}
	p.Update(loadedMsg{owner: p, req: p.req, d: newTraceData(tr, triage.Options{})})
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
		if p.cursor != tc.want || p.cursor < p.offset || p.cursor >= p.offset+rh {
			t.Fatalf("after %s: cursor %d offset %d, want cursor %d in view of %d rows", tc.key, p.cursor, p.offset, tc.want, rh)
		}
	}
}
