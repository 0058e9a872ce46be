package verdict

import (
	"context"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/triagectl/triage/tui/tuitest"
)

// A key press on the verdict must stay well under a millisecond: j and k
// in turn, so the cursor really moves.
func BenchmarkVerdictKey(b *testing.B) {
	for _, sz := range [][2]int{{80, 24}, {200, 60}} {
		b.Run(itoa(sz[0])+"x"+itoa(sz[1]), func(b *testing.B) {
			f := tuitest.Fixture(b)
			c := tuitest.Common(b, sz[0], sz[1])
			p := New(c, f.Alert, f.Report)(context.Background()).(*Page)
			p.Update(tuitest.Press("tab")) // the users: the longest list
			keys := []tea.KeyPressMsg{tuitest.Press("j"), tuitest.Press("k")}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				p.Update(keys[i&1])
				i++
			}
		})
	}
}

// Rendering the whole page, for scale.
func BenchmarkVerdictView(b *testing.B) {
	f := tuitest.Fixture(b)
	c := tuitest.Common(b, 120, 40)
	p := New(c, f.Alert, f.Report)(context.Background()).(*Page)
	b.ReportAllocs()
	for b.Loop() {
		_ = p.View()
	}
}

// A streamed snapshot: every section rebuilt.
func BenchmarkVerdictSnapshot(b *testing.B) {
	f := tuitest.Fixture(b)
	c := tuitest.Common(b, 120, 40)
	p := New(c, f.Alert, nil)(context.Background()).(*Page)
	b.ReportAllocs()
	for b.Loop() {
		p.setReport(f.Report)
		p.relayout()
	}
}
