package waterfall_test

import (
	"context"
	"strings"
	"testing"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/tuitest"
	"github.com/triagectl/triage/tui/waterfall"
)

// `c` sets the failing trace beside a healthy one of its route, found and
// compared as the MCP tool compare_traces does: the aligned operations
// carry the engine's figures, and enter and t open either trace.
func TestCompare(t *testing.T) {
	d, id := firstTrace(t)
	c := tuitest.Common(t, 80, 24)
	var calls []string
	c.Nav.Trace = func(_ tui.IncidentRef, id string) tui.PageFunc {
		calls = append(calls, "trace "+id)
		return stub("trace")
	}
	c.Nav.Compare = func(in tui.IncidentRef, id string) tui.PageFunc { return waterfall.Compare(c, in, id) }
	a := tui.NewApp(c, waterfall.New(c, ref(d), id))
	a = tuitest.Run(a, a.Init()).(*tui.App)
	press(t, a, "c")
	if a.Depth() != 2 || a.Top().Title() != "compare "+tui.Fit(id, 8) {
		t.Fatalf("c opened %q at depth %d:\n%s", a.Top().Title(), a.Depth(), stripped(a))
	}
	v := content(a)
	tuitest.CheckSize(t, v, 80, 24)
	tuitest.Golden(t, "compare_80x24", v)

	// The figures are the engine's: the same search, the same comparison.
	src := d.Sources().Traces
	failing, err := src.Trace(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	fa := triage.AnalyzeTrace(failing, d.Options.Analysis())
	f := triage.FindHealthyTrace(t.Context(), src, d.Report.Alert.Scope, d.Report.Window, d.Options, &fa)
	if f.Trace == nil {
		t.Fatalf("the fixture has no healthy trace of the route: %+v", f.Searches)
	}
	cmp := triage.CompareTraces(failing, f.Trace, d.Options.Analysis())
	plain := stripped(a)
	if !strings.Contains(plain, f.Trace.ID[:8]) || !strings.Contains(plain, tui.Duration(cmp.Healthy.Duration)) {
		t.Errorf("the page does not name healthy trace %s of %s:\n%s", f.Trace.ID, tui.Duration(cmp.Healthy.Duration), plain)
	}
	root := cmp.Aligned()[0]
	if want := "+" + tui.Duration(root.Delta()); !strings.Contains(plain, want) {
		t.Errorf("the root operation's difference %s is not shown:\n%s", want, plain)
	}

	press(t, a, "enter")
	press(t, a, "esc", "t")
	if len(calls) != 2 || calls[0] != "trace "+id || calls[1] != "trace "+f.Trace.ID {
		t.Errorf("enter and t opened %v, want the failing then the healthy trace", calls)
	}
}

// Without a trace source or an incident window the page says why it
// cannot compare; with no healthy trace of the route it says where it
// looked.
func TestCompareStates(t *testing.T) {
	d, id := firstTrace(t)
	c := tuitest.Common(t, 80, 24)
	c.Data.Sources.Traces = nil
	a := tui.NewApp(c, waterfall.Compare(c, ref(d), id))
	a = tuitest.Run(a, a.Init()).(*tui.App)
	if v := stripped(a); !strings.Contains(v, "sources.tempo.url") {
		t.Errorf("without tempo:\n%s", v)
	}

	c = tuitest.Common(t, 80, 24)
	c.Data.Sources.Traces = onlyFailing{d.Sources().Traces}
	a = tui.NewApp(c, waterfall.Compare(c, ref(d), id))
	a = tuitest.Run(a, a.Init()).(*tui.App)
	v := stripped(a)
	for _, want := range []string{"no healthy trace of this route was found", "searched the baseline window: 0 healthy traces", "r searches again"} {
		if !strings.Contains(v, want) {
			t.Errorf("no healthy trace: %q missing:\n%s", want, v)
		}
	}
}

// onlyFailing finds no trace in any search.
type onlyFailing struct{ triage.TracesSource }

func (onlyFailing) Search(_ context.Context, _ triage.TraceSearch) (triage.TraceHits, error) {
	return triage.TraceHits{}, nil
}
