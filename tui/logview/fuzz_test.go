package logview_test

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui/logview"
	"github.com/triagectl/triage/tui/tuitest"
)

// FuzzViewer draws any line, service and level at any size, wrapped or
// not, and filters on the line itself: rows never exceed the width and
// nothing that reaches the terminal can act on it.
func FuzzViewer(f *testing.F) {
	for _, l := range mixedLines() {
		f.Add(l.Line, l.Service, l.Level, uint8(80), uint8(24), false)
	}
	for _, inj := range injections {
		f.Add("x"+inj, inj, inj, uint8(40), uint8(10), true)
	}
	f.Add(strings.Repeat("界🚀e\u0301", 50), "サービス", "warn", uint8(7), uint8(5), true)
	c := tuitest.Common(f, 80, 24)
	f.Fuzz(func(t *testing.T, line, svc, level string, w, h uint8, wrap bool) {
		lines := []triage.LogLine{
			{Time: t0, Service: svc, Level: level, Line: line, SpanID: "s"},
			{Time: t0.Add(1), Service: "other", Level: "info", Line: line + line},
		}
		v := logview.NewViewer(c, lines)
		v.SetSize(int(w), int(h))
		v.FocusSpan("s")
		keys := []string{"j"}
		if wrap {
			keys = append(keys, "w")
		}
		press(v, keys...)
		for _, filtered := range []bool{false, true} {
			if filtered && line != "" {
				press(v, "/")
				for _, r := range []rune(line)[:min(len([]rune(line)), 4)] {
					press(v, string(r))
				}
			}
			out := v.View()
			rows := strings.Split(out, "\n")
			if len(rows) != max(int(h), 1) {
				t.Fatalf("%d rows at height %d", len(rows), h)
			}
			for i, r := range rows {
				if n := ansi.StringWidth(r); n > max(int(w), 1) {
					t.Fatalf("row %d is %d cells at width %d: %q", i, n, w, ansi.Strip(r))
				}
			}
			plain := ansi.Strip(out)
			if strings.ContainsAny(plain, "\x1b\x07") || strings.ContainsFunc(plain, func(r rune) bool {
				return (r >= 0x80 && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
			}) {
				t.Fatalf("control reached the view: %q", plain)
			}
		}
	})
}
