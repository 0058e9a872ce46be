package logview_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/logview"
	"github.com/triagectl/triage/tui/tuitest"
)

// namedPage stands in for the pages a drill-down opens.
type namedPage struct{ title string }

func (namedPage) Init() tea.Cmd                        { return nil }
func (n namedPage) Update(tea.Msg) (tui.Page, tea.Cmd) { return n, nil }
func (n namedPage) View() string                       { return n.title }
func (n namedPage) Title() string                      { return n.title }
func (n namedPage) SetSize(int, int)                   {}
func (namedPage) ShortHelp() []key.Binding             { return nil }
func (namedPage) FullHelp() [][]key.Binding            { return nil }

// A pattern's lines are the investigation's own error and warning lines
// that make it up, across the window, as the MCP tool get_pattern_lines
// finds them; enter opens a line's trace, l its logs at the line's span.
func TestPatternLines(t *testing.T) {
	f := tuitest.Fixture(t)
	pat := f.Report.LogPatterns[0]
	ls := f.Sources().Logs
	read, err := ls.Lines(t.Context(), triage.ErrorLinesQuery(ls.ServiceLabel(), f.Report.Window, triage.DefaultOptions().LogLimit))
	if err != nil {
		t.Fatal(err)
	}
	want := triage.PatternLines(read, pat, triage.MinerOptions{})
	if len(want) == 0 {
		t.Fatal("the fixture's first pattern has no lines")
	}

	c := tuitest.Common(t, 80, 24)
	var pushed []string
	c.Nav.Trace = func(_ tui.IncidentRef, id string) tui.PageFunc {
		pushed = append(pushed, "trace "+id)
		return func(context.Context) tui.Page { return namedPage{"trace"} }
	}
	c.Nav.Logs = func(_ tui.IncidentRef, id, span string, _ *triage.Trace) tui.PageFunc {
		pushed = append(pushed, "logs "+id+" "+span)
		return func(context.Context) tui.Page { return namedPage{"logs"} }
	}
	app := tui.NewApp(c, logview.Pattern(c, incident(t), pat))
	m := tuitest.Run(app, app.Init())
	v := view(m)
	tuitest.CheckSize(t, v, 80, 24)
	tuitest.Golden(t, "pattern_80x24", v)
	plain := ansi.Strip(v)
	if !strings.Contains(plain, "PATTERN error · "+strconv.Itoa(len(want))+" lines") {
		t.Errorf("the header does not count the pattern's %d lines:\n%s", len(want), plain)
	}

	first := want[0]
	m = tuitest.Drive(t, m, "enter")
	if len(pushed) != 1 || pushed[0] != "trace "+strings.ToLower(first.TraceID) {
		t.Fatalf("enter pushed %v, want the first line's trace %s", pushed, first.TraceID)
	}
	m = tuitest.Drive(t, m, "esc", "l")
	if len(pushed) != 2 || pushed[1] != "logs "+strings.ToLower(first.TraceID)+" "+first.SpanID {
		t.Errorf("l pushed %v, want the first line's trace at its span", pushed)
	}
	_ = m
}

// Without a log source the page says what to configure; a pattern no
// line fits says how many were read.
func TestPatternLinesStates(t *testing.T) {
	f := tuitest.Fixture(t)
	c := tuitest.Common(t, 80, 24)
	c.Data.Sources.Logs = nil
	app := tui.NewApp(c, logview.Pattern(c, incident(t), f.Report.LogPatterns[0]))
	if v := ansi.Strip(view(tuitest.Run(app, app.Init()))); !strings.Contains(v, "sources.loki.url") {
		t.Errorf("without loki:\n%s", v)
	}
	c = tuitest.Common(t, 80, 24)
	gone := triage.LogPattern{Pattern: "no line says this <_>", Level: "error", Count: 3, Source: triage.PatternSourceLoki}
	app = tui.NewApp(c, logview.Pattern(c, incident(t), gone))
	if v := ansi.Strip(view(tuitest.Run(app, app.Init()))); !strings.Contains(v, "error and warning lines read in the window fits this pattern") {
		t.Errorf("a pattern without lines:\n%s", v)
	}
}
