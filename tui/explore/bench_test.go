package explore_test

import (
	"testing"

	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/explore"
	"github.com/triagectl/triage/tui/tuitest"
)

// BenchmarkUpdateKey is one key press through the app on each page: the
// cursor moves down and back up, alternately (target: ≤ 1 ms).
func BenchmarkUpdateKey(b *testing.B) {
	c := tuitest.Common(b, 120, 40)
	c.Data.Sources.Metrics = paymentsGraph(b)
	in := fixtureRef(b)
	for _, page := range []struct {
		name string
		f    tui.PageFunc
	}{
		{"service", explore.Service(c, in, "payments")},
		{"traces", explore.Traces(c, in, tui.TraceFilter{})},
		{"users", explore.Users(c, in)},
	} {
		b.Run(page.name, func(b *testing.B) {
			app := open(b, c, page.f)
			keys := [2]any{tuitest.Press("j"), tuitest.Press("k")}
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				app.Update(keys[i&1])
				i++
			}
		})
	}
}

// BenchmarkUpdateView is a key press and the redraw that follows it.
func BenchmarkUpdateView(b *testing.B) {
	c := tuitest.Common(b, 120, 40)
	c.Data.Sources.Metrics = paymentsGraph(b)
	in := fixtureRef(b)
	app := open(b, c, explore.Service(c, in, "payments"))
	keys := [2]any{tuitest.Press("j"), tuitest.Press("k")}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		app.Update(keys[i&1])
		_ = app.View()
		i++
	}
}
