package console

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/tuitest"
)

// A trace opens by its id from the palette, typed after :trace or pasted
// alone, in the incident's context; back on the trace list, the trace is
// marked as opened. An argument that is no id says so and opens nothing.
func TestTraceByID(t *testing.T) {
	d := tuitest.Fixture(t)
	id := d.Report.Traces[0].TraceID
	type step func(t *testing.T, m tea.Model) tea.Model
	typed := func(s string) step {
		return func(t *testing.T, m tea.Model) tea.Model {
			m = tuitest.Drive(t, m, ":")
			for _, r := range s {
				m = tuitest.Drive(t, m, string(r))
			}
			return tuitest.Drive(t, m, "enter")
		}
	}
	pasted := func(s string) step {
		return func(t *testing.T, m tea.Model) tea.Model {
			m = tuitest.Drive(t, m, ":")
			m, cmd := m.Update(tea.PasteMsg{Content: s})
			m = tuitest.Run(m, cmd)
			return tuitest.Drive(t, m, "enter")
		}
	}
	for _, tc := range []struct {
		name string
		do   step
	}{
		{":trace <id>", typed("trace " + strings.ToUpper(id))},
		{"a pasted id", pasted(id)},
		{"a pasted traceparent", pasted("00-" + id + "-00f067aa0ba902b7-01")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testCommon(t, 120, 40)
			app := tui.NewApp(c, Incident(c, d.Alert, d.Report))
			m := tc.do(t, tuitest.Run(app, app.Init()))
			a := m.(*tui.App)
			if a.Depth() != 2 || a.Top().Title() != "trace "+tui.Fit(id, 8) {
				t.Fatalf("top %q at depth %d, want the trace's waterfall at 2:\n%s", a.Top().Title(), a.Depth(), ansi.Strip(a.View().Content))
			}
			if v := ansi.Strip(a.View().Content); !strings.Contains(v, "storefront") {
				t.Errorf("the waterfall shows no span of the trace:\n%s", v)
			}
			m = tuitest.Drive(t, m, "esc", "t")
			v := ansi.Strip(m.(*tui.App).View().Content)
			if !strings.Contains(v, "• 1 opened") {
				t.Errorf("the trace list does not count the opened trace:\n%s", v)
			}
		})
	}

	c := testCommon(t, 120, 40)
	app := tui.NewApp(c, Incident(c, d.Alert, d.Report))
	m := typed("trace xyz")(t, tuitest.Run(app, app.Init()))
	a := m.(*tui.App)
	v := ansi.Strip(a.View().Content)
	if a.Depth() != 1 || !strings.Contains(v, "not a trace id: xyz") {
		t.Errorf("`:trace xyz` went to %q at depth %d, want a message on the verdict:\n%s", a.Top().Title(), a.Depth(), v)
	}
}
