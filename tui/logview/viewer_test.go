package logview_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/logview"
	"github.com/triagectl/triage/tui/tuitest"
)

// press feeds keys to a viewer and runs the commands they return, as the
// program would.
func press(v *logview.Viewer, keys ...string) {
	for _, k := range keys {
		cmd, _ := v.Update(tuitest.Press(k))
		for cmd != nil {
			cmd, _ = v.Update(cmd())
		}
	}
}

func newViewer(t testing.TB, w, h int, lines []triage.LogLine) *logview.Viewer {
	v := logview.NewViewer(tuitest.Common(t, w, h), lines)
	v.SetSize(w, h)
	return v
}

func TestViewerOrdersOldestFirst(t *testing.T) {
	v := newViewer(t, 120, 12, mixedLines())
	rows := strings.Split(ansi.Strip(v.View()), "\n")
	want := []string{"03:10:05.000 storefront", "03:10:05.010 checkout", "03:10:05.020 payments", "03:10:05.030 payments"}
	for i, w := range want {
		if !strings.Contains(rows[i+1], w) {
			t.Errorf("row %d = %q, want %q", i+1, rows[i+1], w)
		}
	}
	// Each level has a word and a symbol, not only a colour.
	for _, w := range []string{"● info", "· debug", "▲ warn", "✖ error"} {
		if !strings.Contains(ansi.Strip(v.View()), w) {
			t.Errorf("no %q in the view", w)
		}
	}
	if first, last := v.Range(); !first.Equal(t0) || !last.Equal(t0.Add(60*time.Millisecond)) {
		t.Errorf("range %v–%v", first, last)
	}
}

func TestScrollKeys(t *testing.T) {
	v := newViewer(t, 100, 12, manyLines(1000))
	cases := []struct {
		keys []string
		want int
	}{
		{[]string{"j", "j", "j"}, 3},
		{[]string{"k"}, 2},
		{[]string{"pgdown"}, 13}, // 11 rows of lines below the titles
		{[]string{"ctrl+b"}, 2},
		{[]string{"G"}, 999},
		{[]string{"j"}, 999},
		{[]string{"pgup"}, 988},
		{[]string{"g"}, 0},
		{[]string{"k"}, 0},
		{[]string{"end"}, 999},
		{[]string{"home"}, 0},
	}
	for _, tc := range cases {
		for _, k := range tc.keys {
			msg := tuitest.Press(k)
			switch k {
			case "pgup":
				msg = tea.KeyPressMsg{Code: tea.KeyPgUp}
			case "pgdown":
				msg = tea.KeyPressMsg{Code: tea.KeyPgDown}
			case "ctrl+b":
				msg = tea.KeyPressMsg{Code: 'b', Mod: tea.ModCtrl}
			case "end":
				msg = tea.KeyPressMsg{Code: tea.KeyEnd}
			case "home":
				msg = tea.KeyPressMsg{Code: tea.KeyHome}
			}
			v.Update(msg)
		}
		if v.Cursor() != tc.want {
			t.Fatalf("after %v cursor = %d, want %d", tc.keys, v.Cursor(), tc.want)
		}
		// The cursor's row is always on screen.
		if !strings.Contains(v.View(), "▸") {
			t.Fatalf("after %v the cursor is off screen", tc.keys)
		}
	}
}

// TestFilterFlow: / error esc esc through the app, on top of another page:
// the first esc clears the filter, the second goes back.
func TestFilterFlow(t *testing.T) {
	c := common(t, 100, 24, &fakeLogs{lines: mixedLines()})
	c.Data.Sources.Traces = nil // the lines of the report's services
	app := tui.NewApp(c, func(ctx context.Context) tui.Page { return rootPage{} })
	m := tuitest.Run(app, tui.Push(logview.New(c, incident(t), testTrace, "", nil)))
	m = tuitest.Drive(t, m, "/", "e", "r", "r", "o", "r")
	p := page(t, app)
	if !p.Filtering() || p.Viewer().Len() != 3 {
		t.Fatalf("filtering=%v len=%d, want a prompt and 3 error lines", p.Filtering(), p.Viewer().Len())
	}
	v := ansi.Strip(view(m))
	if !strings.Contains(v, "/error█ 3/7 lines") {
		t.Errorf("no filter row:\n%s", v)
	}
	if strings.Contains(v, "● info") || strings.Contains(v, "▲ warn") {
		t.Errorf("filtered view shows other levels:\n%s", v)
	}
	m = tuitest.Drive(t, m, "esc")
	if app.Depth() != 2 || p.Filtering() || p.Viewer().Len() != 7 || p.Viewer().Filter() != "" {
		t.Fatalf("first esc: depth %d filtering %v len %d", app.Depth(), p.Filtering(), p.Viewer().Len())
	}
	tuitest.Drive(t, m, "esc")
	if app.Depth() != 1 {
		t.Fatalf("second esc: depth %d, want back at the root", app.Depth())
	}

	// enter keeps the filter and gives the keys back; esc then clears it.
	m = tuitest.Run(app, tui.Push(logview.New(c, incident(t), testTrace, "", nil)))
	p = page(t, app)
	m = tuitest.Drive(t, m, "/", "P", "A", "Y", "enter", "j")
	if p.Filtering() || p.Viewer().Len() != 3 || p.Viewer().Cursor() != 1 {
		t.Fatalf("after enter: filtering %v len %d cursor %d", p.Filtering(), p.Viewer().Len(), p.Viewer().Cursor())
	}
	if got := ansi.Strip(view(m)); !strings.Contains(got, "/PAY 3/7 lines") || strings.Contains(got, "█") {
		t.Errorf("applied filter row:\n%s", got)
	}
	tuitest.Golden(t, "filtered_100x24", view(m))
	tuitest.Drive(t, m, "esc")
	if app.Depth() != 2 || p.Viewer().Len() != 7 {
		t.Fatalf("esc after enter: depth %d len %d", app.Depth(), p.Viewer().Len())
	}
	// No match says how to get out.
	tuitest.Drive(t, m, "/", "z", "z")
	if got := ansi.Strip(view(m)); !strings.Contains(got, `no lines match "zz" — esc clears the filter`) || !strings.Contains(got, "0/7 lines") {
		t.Errorf("no-match view:\n%s", got)
	}
	tuitest.Drive(t, m, "backspace", "backspace", "backspace")
	if p.Viewer().Len() != 7 || p.Viewer().Filter() != "" {
		t.Errorf("backspace: len %d filter %q", p.Viewer().Len(), p.Viewer().Filter())
	}
}

// TestFilterKeepsCursor: the cursor stays on its line, or moves to the
// next one that passes.
func TestFilterKeepsCursor(t *testing.T) {
	v := newViewer(t, 100, 12, mixedLines())
	press(v, "j", "j", "j") // the long payments error, line 3
	press(v, "/", "p", "a", "y")
	if _, idx, _ := v.Selected(); idx != 3 {
		t.Errorf("cursor on line %d, want 3", idx)
	}
	press(v, "esc", "j", "j", "/", "c", "h", "e", "c", "k") // from line 5 (checkout)
	if _, idx, _ := v.Selected(); idx != 5 {
		t.Errorf("cursor on line %d, want 5", idx)
	}
}

func TestWrapToggle(t *testing.T) {
	v := newViewer(t, 80, 12, mixedLines())
	press(v, "j", "j", "j") // the long line
	flat := ansi.Strip(v.View())
	if strings.Contains(flat, "(wrapped)") || !strings.Contains(flat, "…") {
		t.Fatalf("unwrapped view:\n%s", flat)
	}
	press(v, "w")
	if !v.Wrapped() {
		t.Fatal("w did not wrap")
	}
	wrapped := ansi.Strip(v.View())
	if !strings.Contains(wrapped, "(wrapped)") || strings.Count(wrapped, "detail") < 25 {
		t.Errorf("the long line is not shown whole:\n%s", wrapped)
	}
	tuitest.CheckSize(t, v.View(), 80, 12)
	if !strings.Contains(wrapped, "▸") {
		t.Errorf("cursor off screen after wrapping:\n%s", wrapped)
	}
	tuitest.Golden(t, "wrapped_80x12", v.View())
	// Wrapped lines still scroll to the cursor.
	press(v, "G")
	if got := ansi.Strip(v.View()); !strings.Contains(got, "▸") || !strings.Contains(got, "POST /checkout 502") {
		t.Errorf("G in wrap mode:\n%s", got)
	}
	press(v, "w")
	if v.Wrapped() || strings.Contains(ansi.Strip(v.View()), "(wrapped)") {
		t.Error("second w did not unwrap")
	}
}

// injections are what a hostile or broken service can log.
var injections = []string{
	"\x1b]52;c;ZXZpbA==\x07", "\x1b]0;pwned\x07", "\x1b[2J\x1b[H", "\u009b31m", "\u202eevil",
	"\x1bP+q\x1b\\", "bell\x07", "line\nFAKE ROW", "\x1b[31mred\x1b[0m", "\u2066isolate\u2069", "bad\xffutf8",
}

func TestInjection(t *testing.T) {
	var lines []triage.LogLine
	for i, inj := range injections {
		lines = append(lines, triage.LogLine{
			Time: t0.Add(-time.Duration(i) * time.Millisecond), Service: "svc" + inj, Level: "error" + inj, TraceID: testTrace, SpanID: "s1",
			Line: "before " + inj + " after " + testTrace,
		})
	}
	src := &fakeLogs{lines: lines}
	for _, sz := range []struct{ w, h int }{{80, 24}, {120, 40}} {
		c := common(t, sz.w, sz.h, src)
		app := openApp(t, c, testTrace, "s1", nil)
		for _, keys := range [][]string{nil, {"w"}, {"/", "\x1b", "\u009b"}, {"enter", "y"}} {
			m := tuitest.Drive(t, app, keys...)
			v := view(m)
			assertInert(t, v)
			tuitest.CheckSize(t, v, sz.w, sz.h)
		}
		if _, text, _ := page(t, app).CopyTarget(); strings.ContainsAny(text, "\x1b\x07") {
			t.Errorf("copy target carries controls: %q", text)
		}
	}
	// What was attempted is shown as text.
	v := newViewer(t, 200, 20, lines)
	plain := ansi.Strip(v.View())
	for _, want := range []string{`before \x1b]52;c;ZXZpbA==\x07 after`, `\x1b]0;pwned\x07`, `\x1b[2J\x1b[H`, `\u009b31m`, `\u202eevil`, `line\nFAKE ROW`} {
		if !strings.Contains(plain, want) {
			t.Errorf("%q is not shown as text:\n%s", want, plain)
		}
	}
	// The failure text is external too.
	app := openApp(t, common(t, 80, 24, &fakeLogs{err: sourceErr{strings.Join(injections, " ")}}), testTrace, "", nil)
	assertInert(t, view(app))
}

// assertInert fails when anything but the console's own styling could
// act on the terminal.
func assertInert(t *testing.T, v string) {
	t.Helper()
	plain := ansi.Strip(v)
	for i, r := range plain {
		switch {
		case r == 0x1b, r == 0x07, r >= 0x80 && r <= 0x9f,
			r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
			t.Fatalf("control %U at %d in the view:\n%q", r, i, plain)
		case r == utf8.RuneError:
			t.Fatalf("invalid UTF-8 reached the view at %d", i)
		}
	}
}

// TestWideRunes: CJK, emoji, flags, combining marks and zero-width joins
// never push a row past the width, wrapped or not.
func TestWideRunes(t *testing.T) {
	texts := []string{
		strings.Repeat("注文の処理に失敗しました", 12),
		strings.Repeat("🚀🔥👩‍💻🏳️‍🌈🇯🇵", 20),
		strings.Repeat("e\u0301a\u0308", 80) + " done",
		"a" + strings.Repeat("界", 200),
		strings.Repeat("x", 500) + "界",
		"界",
	}
	var lines []triage.LogLine
	for i, tx := range texts {
		lines = append(lines, triage.LogLine{Time: t0.Add(time.Duration(i) * time.Millisecond), Service: "サービス名前が長いサービス🚀", Level: "warn", Line: tx, TraceID: testTrace})
	}
	for _, sz := range []struct{ w, h int }{{80, 24}, {120, 40}, {200, 60}, {81, 24}, {37, 10}, {13, 6}, {3, 3}} {
		for _, wrap := range []bool{false, true} {
			t.Run(fmt.Sprintf("%dx%d/wrap=%v", sz.w, sz.h, wrap), func(t *testing.T) {
				v := newViewer(t, sz.w, sz.h, lines)
				if wrap {
					press(v, "w")
				}
				for range len(texts) + 1 {
					out := v.View()
					tuitest.CheckSize(t, out, sz.w, sz.h)
					if n := strings.Count(out, "\n") + 1; n != sz.h {
						t.Fatalf("%d rows, want %d", n, sz.h)
					}
					press(v, "j")
				}
			})
		}
	}
}

// TestCheckSize: every state of the app at the standard sizes.
func TestCheckSize(t *testing.T) {
	srcs := map[string]triage.LogsSource{
		"lines": &fakeLogs{lines: manyLines(500)}, "mixed": &fakeLogs{lines: mixedLines()},
		"empty": &fakeLogs{lines: []triage.LogLine{}}, "failed": &fakeLogs{err: sourceErr{strings.Repeat("very long reason ", 30)}},
		"unconfigured": nil,
	}
	for name, src := range srcs {
		for _, sz := range []struct{ w, h int }{{80, 24}, {120, 40}, {200, 60}} {
			app := openApp(t, common(t, sz.w, sz.h, src), testTrace, "0000000000000003", nil)
			for _, keys := range [][]string{nil, {"w"}, {"G"}, {"/", "u"}, {"enter", "?"}} {
				m := tuitest.Drive(t, app, keys...)
				if n := strings.Count(view(m), "\n") + 1; n != sz.h {
					t.Errorf("%s %dx%d after %v: %d rows", name, sz.w, sz.h, keys, n)
				}
				tuitest.CheckSize(t, view(m), sz.w, sz.h)
			}
		}
	}
}
