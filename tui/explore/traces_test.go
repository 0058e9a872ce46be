package explore_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/explore"
	"github.com/triagectl/triage/tui/tuitest"
)

func TestTracesGolden(t *testing.T) {
	for _, sz := range sizes()[:2] {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			c := tuitest.Common(t, sz.w, sz.h)
			app := open(t, c, explore.Traces(c, fixtureRef(t), tui.TraceFilter{}))
			tuitest.CheckSize(t, screen(app), sz.w, sz.h)
			tuitest.Golden(t, fmt.Sprintf("traces_%dx%d", sz.w, sz.h), screen(app))
		})
	}
	c := tuitest.Common(t, 80, 24)
	app := open(t, c, explore.Traces(c, fixtureRef(t), tui.TraceFilter{Service: "inventory"}))
	tuitest.Golden(t, "traces_inventory_80x24", screen(app))
}

// count is how many fixture traces pass keep, failing and slow.
func count(t *testing.T, keep func(triage.TraceRow) bool) (failing, slow int) {
	for _, tr := range tuitest.Fixture(t).Report.Traces {
		if keep(tr) {
			if tr.Failing {
				failing++
			}
			if tr.Slow {
				slow++
			}
		}
	}
	return failing, slow
}

func TestTracesFilter(t *testing.T) {
	user := tuitest.Fixture(t).Report.Users[0].ID
	cases := []struct {
		f     tui.TraceFilter
		keep  func(triage.TraceRow) bool
		title string
		line  string
	}{
		{tui.TraceFilter{}, func(triage.TraceRow) bool { return true }, "traces", "all failing and slow traces"},
		{tui.TraceFilter{Failing: true}, func(r triage.TraceRow) bool { return r.Failing }, "traces", "failing only"},
		{tui.TraceFilter{User: user}, func(r triage.TraceRow) bool { return r.User == user }, "traces · " + user, "user " + user},
		{tui.TraceFilter{User: user, Failing: true}, func(r triage.TraceRow) bool { return r.User == user && r.Failing },
			"traces · " + user, "user " + user + " · failing only"},
		{tui.TraceFilter{Service: "ledger-db"}, func(r triage.TraceRow) bool {
			return r.ErrorOrigin != nil && r.ErrorOrigin.Peer == "ledger-db"
		}, "traces · ledger-db", "service ledger-db"},
	}
	for _, tc := range cases {
		t.Run(tc.line, func(t *testing.T) {
			c := tuitest.Common(t, 120, 40)
			app := open(t, c, explore.Traces(c, fixtureRef(t), tc.f))
			failing, slow := count(t, tc.keep)
			plain := ansi.Strip(screen(app))
			mustContain(t, plain, fmt.Sprintf("✖ %d failing · ◔ %d slow", failing, slow), tc.line)
			if app.Top().Title() != tc.title {
				t.Errorf("title %q, want %q", app.Top().Title(), tc.title)
			}
			if tc.f.Failing && strings.Contains(plain, "◔  ") {
				t.Errorf("a slow-only trace is listed under failing only:\n%s", plain)
			}
		})
	}
}

func TestTracesSort(t *testing.T) {
	rep := tuitest.Fixture(t).Report
	byDur := append([]triage.TraceRow(nil), rep.Traces...)
	sort.SliceStable(byDur, func(i, j int) bool { return byDur[i].DurationMS > byDur[j].DurationMS })
	shortest := append([]triage.TraceRow(nil), rep.Traces...)
	sort.SliceStable(shortest, func(i, j int) bool { return shortest[i].DurationMS < shortest[j].DurationMS })
	c := tuitest.Common(t, 120, 40)
	app := open(t, c, explore.Traces(c, fixtureRef(t), tui.TraceFilter{}))
	for _, want := range []struct{ id, line string }{
		{byDur[0].TraceID, "sorted by duration, longest first"},
		{shortest[0].TraceID, "sorted by duration, shortest first"},
		{rep.Traces[0].TraceID, "sorted by report rank"},
	} {
		app = drive(t, app, "g", "space", "g")
		if _, id, _ := app.Top().(tui.Copier).CopyTarget(); id != want.id {
			t.Errorf("%s: first row is %s, want %s", want.line, id, want.id)
		}
		mustContain(t, ansi.Strip(screen(app)), want.line, "space changes")
	}
	app = drive(t, app, "?")
	mustContain(t, ansi.Strip(screen(app)), "space", "sort: report rank, then duration longest first, then shortest first")
}

func TestTracesNavigation(t *testing.T) {
	c := tuitest.Common(t, 80, 24)
	var rec navRecorder
	rec.wire(c)
	in := fixtureRef(t)
	app := openOver(t, c, explore.Traces(c, in, tui.TraceFilter{}))
	second := in.Report.Traces[1].TraceID

	app = drive(t, app, "j", "enter")
	if got := rec.last(); got.kind != "trace" || got.traceID != second || got.in.Report != in.Report {
		t.Errorf("enter: %+v, want the trace %s", got, second)
	}
	if app.Top().Title() != "trace "+second[:7] {
		t.Errorf("enter pushed %q", app.Top().Title())
	}
	app = drive(t, app, "esc", "l")
	if got := rec.last(); got.kind != "logs" || got.traceID != second || got.spanID != "" || got.tr != nil {
		t.Errorf("l: %+v, want the logs of %s", got, second)
	}
	app = drive(t, app, "esc", "y")
	mustContain(t, ansi.Strip(screen(app)), "copied trace id: "+second)

	c.Nav = tui.Nav{}
	app = drive(t, app, "enter")
	if app.Depth() != 2 {
		t.Errorf("enter without a trace page pushed %q", app.Top().Title())
	}
	mustContain(t, ansi.Strip(screen(app)), "the trace page is not available here")
}

// TestFilterFlow: / opens the filter, text narrows, esc clears it, and the
// next esc goes back; an applied filter (enter) is cleared by esc first.
func TestFilterFlow(t *testing.T) {
	user := tuitest.Fixture(t).Report.Users[0].ID
	pages := map[string]func(c *tui.Common) tui.PageFunc{
		"traces":  func(c *tui.Common) tui.PageFunc { return explore.Traces(c, fixtureRef(t), tui.TraceFilter{}) },
		"users":   func(c *tui.Common) tui.PageFunc { return explore.Users(c, fixtureRef(t)) },
		"service": func(c *tui.Common) tui.PageFunc { return explore.Service(c, fixtureRef(t), "payments") },
	}
	for name, page := range pages {
		t.Run(name, func(t *testing.T) {
			c := tuitest.Common(t, 120, 40)
			app := openOver(t, c, page(c))
			before := ansi.Strip(screen(app))
			keys := append([]string{"/"}, strings.Split(user, "")...)
			app = drive(t, app, keys...)
			if f := app.Top().(tui.Filterer); !f.Filtering() {
				t.Fatal("/ did not open the filter")
			}
			plain := ansi.Strip(screen(app))
			mustContain(t, plain, "/"+user+"█")
			for _, l := range strings.Split(plain, "\n") {
				if strings.HasPrefix(l, " ✖") || strings.HasPrefix(l, " u-") {
					if !strings.Contains(l, user) {
						t.Errorf("row %q does not match the filter %q", l, user)
					}
				}
			}
			app = drive(t, app, "esc")
			if app.Depth() != 2 || ansi.Strip(screen(app)) != before {
				t.Fatalf("esc while typing did not clear the filter (depth %d)", app.Depth())
			}
			app = drive(t, app, "esc")
			if app.Depth() != 1 {
				t.Fatalf("the second esc did not go back (depth %d)", app.Depth())
			}

			app = openOver(t, c, page(c))
			app = drive(t, app, append(keys, "enter")...)
			if f := app.Top().(tui.Filterer); f.Filtering() {
				t.Fatal("enter did not apply the filter")
			}
			mustContain(t, ansi.Strip(screen(app)), "/"+user+" ")
			app = drive(t, app, "esc")
			if app.Depth() != 2 || ansi.Strip(screen(app)) != before {
				t.Fatal("esc did not clear the applied filter first")
			}
			app = drive(t, app, "esc")
			if app.Depth() != 1 {
				t.Fatal("esc after clearing did not go back")
			}
		})
	}
}

func TestTracesFailedSource(t *testing.T) {
	c := tuitest.Common(t, 80, 24)
	in := fixtureRef(t)
	in.Report = failedReport(t, triage.SourceTempo, "HTTP 500: failed to search: context canceled")
	app := open(t, c, explore.Traces(c, in, tui.TraceFilter{}))
	plain := ansi.Strip(screen(app))
	mustContain(t, plain, "TRACES  unknown — tempo: HTTP 500: failed to search: context canceled")
	mustNotContain(t, plain, "0 failing", "no sampled trace")
	tuitest.Golden(t, "traces_failed_80x24", screen(app))

	in.Report = nil
	app = open(t, c, explore.Traces(c, in, tui.TraceFilter{}))
	mustContain(t, ansi.Strip(screen(app)), "the investigation has not finished")
}
