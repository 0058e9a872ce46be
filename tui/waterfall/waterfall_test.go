package waterfall_test

import (
	"context"
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/triagectl/triage/themes"
	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/tuitest"
	"github.com/triagectl/triage/tui/waterfall"
)

// navCall is one drill-down the page asked the shell for.
type navCall struct {
	kind, traceID, spanID string
	trace                 *triage.Trace
}

// stubPage stands for the pages of other packages.
type stubPage struct{ title string }

func (s stubPage) Init() tea.Cmd                      { return nil }
func (s stubPage) Update(tea.Msg) (tui.Page, tea.Cmd) { return s, nil }
func (s stubPage) View() string                       { return s.title }
func (s stubPage) SetSize(int, int)                   {}
func (s stubPage) ShortHelp() []key.Binding           { return nil }
func (s stubPage) FullHelp() [][]key.Binding          { return nil }
func (s stubPage) Title() string                      { return s.title }

func stub(title string) tui.PageFunc {
	return func(context.Context) tui.Page { return stubPage{title} }
}

func content(a *tui.App) string  { return a.View().Content }
func stripped(a *tui.App) string { return ansi.Strip(content(a)) }

func ref(d *tuitest.Data) tui.IncidentRef { return tui.IncidentRef{Alert: d.Alert, Report: d.Report} }

// firstTrace is the fixture's first failing trace.
func firstTrace(t *testing.T) (*tuitest.Data, string) {
	t.Helper()
	d := tuitest.Fixture(t)
	return d, d.Report.Traces[0].TraceID
}

// press drives the app with keys named as tuitest.Press names them, plus
// pgup and pgdown, which it does not know.
func press(t *testing.T, a *tui.App, keys ...string) {
	t.Helper()
	for _, k := range keys {
		msg := tuitest.Press(k)
		switch k {
		case "pgdown":
			msg = tea.KeyPressMsg{Code: tea.KeyPgDown}
		case "pgup":
			msg = tea.KeyPressMsg{Code: tea.KeyPgUp}
		}
		_, cmd := a.Update(msg)
		tuitest.Run(a, cmd)
	}
}

// lineWith is the first line of view that contains sub, "" for none.
func lineWith(view, sub string) string {
	for _, l := range strings.Split(view, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

// rowOf is the waterfall row of the span called name: the name follows
// the fold glyph, possibly after the error marker.
func rowOf(view, name string) string {
	for _, l := range strings.Split(view, "\n") {
		for _, g := range []string{"▾ ", "▸ ", "─ ", "• "} {
			if strings.Contains(l, g+name+" ") || strings.Contains(l, g+"✖ "+name+" ") {
				return l
			}
		}
	}
	return ""
}

// recordNav wires the drill-downs to stubs and records every call.
func recordNav(c *tui.Common) *[]navCall {
	calls := new([]navCall)
	c.Nav.Logs = func(_ tui.IncidentRef, traceID, spanID string, tr *triage.Trace) tui.PageFunc {
		*calls = append(*calls, navCall{kind: "logs", traceID: traceID, spanID: spanID, trace: tr})
		return stub("logs")
	}
	c.Nav.Trace = func(_ tui.IncidentRef, traceID string) tui.PageFunc {
		*calls = append(*calls, navCall{kind: "trace", traceID: traceID})
		return stub("trace " + traceID)
	}
	return calls
}

// open runs the Trace page of id in the shell until the trace is loaded.
func open(t *testing.T, c *tui.Common, in tui.IncidentRef, id string) *tui.App {
	t.Helper()
	a := tui.NewApp(c, waterfall.New(c, in, id))
	tuitest.Run(a, a.Init())
	return a
}

func TestGolden(t *testing.T) {
	d, id := firstTrace(t)
	for _, tc := range []struct {
		name string
		w, h int
		keys []string
	}{
		{"trace_80x24", 80, 24, nil},
		{"trace_120x40", 120, 40, nil},
		{"trace_80x24_details_focused", 80, 24, []string{"tab", "j"}},
		{"trace_120x40_root_collapsed", 120, 40, []string{"g", "space"}},
		{"trace_80x24_filtered", 80, 24, []string{"/", "c", "a", "r", "t", "enter"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tuitest.Common(t, tc.w, tc.h)
			a := open(t, c, ref(d), id)
			press(t, a, tc.keys...)
			tuitest.CheckSize(t, content(a), tc.w, tc.h)
			tuitest.Golden(t, tc.name, content(a))
		})
	}
}

func TestMonoMarksPaths(t *testing.T) {
	d, id := firstTrace(t)
	c := tuitest.Common(t, 200, 40)
	c.Styles = tui.NewStyles(themes.Mono())
	a := open(t, c, ref(d), id)
	press(t, a, "tab", "tab") // hide the details: the names are then whole
	v := content(a)
	if strings.Contains(v, "\x1b[3") || strings.Contains(v, "\x1b[9") || strings.Contains(v, ";5;") {
		t.Fatalf("mono view carries colours:\n%q", v)
	}
	plain := ansi.Strip(v)
	origin := d.Report.Traces[0].ErrorOrigin
	if origin == nil {
		t.Fatal("the fixture's first trace has no error origin")
	}
	for _, tc := range []struct{ span, marks string }{
		{origin.SpanName, "◆┃"},                     // the origin, also on the critical path
		{"POST /checkout", "!┃"},                    // the root: on both paths
		{"payments.v1.PaymentService/Charge", "!┃"}, // between them
		{"cart.v1.CartService/GetCart", " ┃"},       // critical only
		{"auth.v1.AuthService/ValidateToken", " ┃"},
	} {
		row := rowOf(plain, tc.span)
		if len([]rune(row)) < 3 || string([]rune(row)[1:3]) != tc.marks {
			t.Errorf("row of %s: want markers %q in the gutter, got %q", tc.span, tc.marks, row)
		}
	}
	if row := rowOf(plain, origin.SpanName); !strings.Contains(row, "✖") {
		t.Errorf("the origin's row has no error marker: %q", row)
	}
	if !strings.Contains(plain, "◆ origin ! error path ┃ critical ✖ error") {
		t.Error("no legend for the markers")
	}
}

func TestCollapseExpand(t *testing.T) {
	d, id := firstTrace(t)
	c := tuitest.Common(t, 120, 40)
	a := open(t, c, ref(d), id)
	n := len(spanRows(stripped(a)))
	press(t, a, "g", "space")
	rows := spanRows(stripped(a))
	if len(rows) != 1 || !strings.Contains(rows[0], "+13 spans") || !strings.Contains(rows[0], "▸ ") {
		t.Fatalf("collapsed root: want one row with +13 spans, got %q", rows)
	}
	press(t, a, "right")
	if got := len(spanRows(stripped(a))); got != n {
		t.Fatalf("expanded again: %d rows, want %d", got, n)
	}
	// left on an open span folds it; on a folded one it goes to the parent.
	press(t, a, "j", "left")
	if row := lineWith(stripped(a), "▸ ┃ ├─▸ auth.v1"); row == "" {
		t.Fatalf("left did not fold the selected span:\n%s", stripped(a))
	}
	press(t, a, "left")
	if row := lineWith(stripped(a), "▸"); !strings.Contains(row, "POST /checkout") {
		t.Fatalf("left on a folded span did not go to its parent: %q", row)
	}
	press(t, a, "j", "space")
	if got := len(spanRows(stripped(a))); got != n {
		t.Fatalf("space unfolded: %d rows, want %d", got, n)
	}
}

// spanRows are the waterfall's rows in a stripped view at 120 columns:
// the lines that carry a duration bar cell.
func spanRows(v string) []string {
	var out []string
	for _, l := range strings.Split(v, "\n") {
		if i := strings.LastIndex(l, "│"); i > 0 && strings.ContainsAny(l[:i], "▾▸•") || i > 0 && strings.Contains(l[:i], "─ ") {
			out = append(out, l)
		}
	}
	return out
}
