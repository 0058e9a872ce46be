package logview_test

import (
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/triagectl/triage/tui/logview"
	"github.com/triagectl/triage/tui/tuitest"
)

const benchLines = 100_000

func benchViewer(b *testing.B, w, h int) *logview.Viewer {
	b.Helper()
	v := logview.NewViewer(tuitest.Common(b, w, h), manyLines(benchLines))
	v.SetSize(w, h)
	return v
}

// BenchmarkView draws a window of 100,000 lines: its cost must not depend
// on the line count.
func BenchmarkView(b *testing.B) {
	for _, bc := range []struct {
		name string
		keys []string
	}{
		{"plain", nil},
		{"middle", []string{"G", "k"}},
		{"filtered", []string{"/", "e", "r", "r", "o", "r", "enter", "G", "k"}},
		{"wrapped", []string{"w", "G"}},
		{"filtered_wrapped", []string{"/", "u", "-", "0", "0", "1", "enter", "w"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			v := benchViewer(b, 200, 60)
			press(v, bc.keys...)
			if v.Len() == 0 {
				b.Fatal("nothing to draw")
			}
			for b.Loop() {
				_ = v.View()
			}
		})
	}
}

// BenchmarkUpdateDown is j on 100,000 lines, wrapped or not.
func BenchmarkUpdateDown(b *testing.B) {
	for _, wrap := range []bool{false, true} {
		name := "plain"
		if wrap {
			name = "wrapped"
		}
		b.Run(name, func(b *testing.B) {
			v := benchViewer(b, 200, 60)
			if wrap {
				press(v, "w")
			}
			j, k := tuitest.Press("j"), tuitest.Press("k")
			i := 0
			for b.Loop() {
				// Walk down and back so the cursor never sticks at an end.
				if i++; i%2000 < 1000 {
					v.Update(j)
				} else {
					v.Update(k)
				}
			}
		})
	}
}

// BenchmarkUpdateFilterKey is one keystroke in the filter prompt over
// 100,000 lines: the Update itself, which hands the scan to a command.
func BenchmarkUpdateFilterKey(b *testing.B) {
	v := benchViewer(b, 200, 60)
	press(v, "/")
	keys := []tea.KeyPressMsg{tuitest.Press("q"), tuitest.Press("backspace")}
	i := 0
	for b.Loop() {
		v.Update(keys[i%2])
		i++
	}
}

// BenchmarkUpdateFilterKeyInline is the worst keystroke scanned inline: a
// set of 8,192 lines (the most Update scans itself) and a needle whose
// first letters are everywhere. The keys cycle through more needles than
// the cache holds, so each one scans.
func BenchmarkUpdateFilterKeyInline(b *testing.B) {
	v := logview.NewViewer(tuitest.Common(b, 200, 60), manyLines(8192))
	v.SetSize(200, 60)
	press(v, "/", "u", "-")
	const third = "0123456789abcdefghijklmnopqrstuvwxyz"
	back := tuitest.Press("backspace")
	i := 0
	for b.Loop() {
		if cmd, _ := v.Update(tuitest.Press(third[i%len(third) : i%len(third)+1])); cmd != nil {
			b.Fatal("8,192 lines went to a command")
		}
		i++
		b.StopTimer()
		v.Update(back)
		b.StartTimer()
	}
}

// BenchmarkFilterScan is the scan a keystroke starts, run to the end (off
// the UI loop in the program): the first letter scans every line; each
// next letter only the previous matches.
func BenchmarkFilterScan(b *testing.B) {
	for _, bc := range []struct {
		name      string
		prefix    []string
		keystroke string
	}{
		{"first_letter", nil, "e"},
		{"rare_letter", nil, "🚀"},
		{"third_letter", []string{"u", "-"}, "0"},       // "u-" matches every line: nothing to narrow
		{"narrowed", []string{"e", "r", "r", "o"}, "r"}, // scans only the 20% that match "erro"
	} {
		b.Run(bc.name, func(b *testing.B) {
			v := benchViewer(b, 200, 60)
			press(v, "/")
			press(v, bc.prefix...)
			msg := tuitest.Press(bc.keystroke)
			back := tuitest.Press("backspace")
			for b.Loop() {
				cmd, _ := v.Update(msg)
				if cmd != nil {
					cmd()
				}
				b.StopTimer()
				v.Update(back)
				b.StartTimer()
			}
		})
	}
}

// BenchmarkNewViewer is the one-time preparation when the lines arrive
// (run in the load command, off the UI loop).
func BenchmarkNewViewer(b *testing.B) {
	lines := manyLines(benchLines)
	c := tuitest.Common(b, 200, 60)
	for b.Loop() {
		logview.NewViewer(c, lines)
	}
}
