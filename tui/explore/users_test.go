package explore_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/explore"
	"github.com/triagectl/triage/tui/tuitest"
)

func TestUsersGolden(t *testing.T) {
	rep := tuitest.Fixture(t).Report
	e := rep.Impact.UsersEstimate
	for _, sz := range sizes()[:2] {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			c := tuitest.Common(t, sz.w, sz.h)
			app := open(t, c, explore.Users(c, fixtureRef(t)))
			tuitest.CheckSize(t, screen(app), sz.w, sz.h)
			tuitest.Golden(t, fmt.Sprintf("users_%dx%d", sz.w, sz.h), screen(app))
			u := rep.Users[0]
			plain := words(ansi.Strip(screen(app)))
			mustContain(t, plain,
				fmt.Sprintf("%d listed", len(rep.Users)),
				fmt.Sprintf("≈%.0f users failed (est. %.0f–%.0f", e.Value, e.Low, e.High),
				fmt.Sprintf("%d seen in %d sampled traces", *rep.Impact.UsersSeen, *rep.Impact.SampledTraces),
				"basis: "+e.Basis[:20], "TIER", "REGION", "FIRST", "LAST",
				u.Attributes["user.tier"], u.Attributes["user.region"], u.FirstSeen.Format("15:04:05"))
			row := lineWith(plain, u.ID)
			mustContain(t, row, fmt.Sprintf("%d", u.Failed), fmt.Sprintf("%d", len(u.TraceIDs)))
		})
	}
}

func TestUsersNavigation(t *testing.T) {
	c := tuitest.Common(t, 80, 24)
	var rec navRecorder
	rec.wire(c)
	in := fixtureRef(t)
	app := openOver(t, c, explore.Users(c, in))
	for i, keys := range [][]string{{"enter"}, {"j", "enter"}} {
		app = drive(t, app, keys...)
		want := tui.TraceFilter{User: in.Report.Users[i].ID}
		if got := rec.last(); got.kind != "traces" || got.filter != want || got.in.Report != in.Report {
			t.Errorf("enter on user %d: %+v, want traces %+v", i, got, want)
		}
		if app.Depth() != 3 {
			t.Errorf("enter did not push the traces page")
		}
		app = drive(t, app, "esc")
	}
	app = drive(t, app, "y")
	mustContain(t, ansi.Strip(screen(app)), "copied user id: "+in.Report.Users[1].ID)
	if label, id, ok := app.Top().(tui.Copier).CopyTarget(); !ok || label != "user id" || id != in.Report.Users[1].ID {
		t.Errorf("CopyTarget = %q %q %v", label, id, ok)
	}
}

func TestUsersFailedSources(t *testing.T) {
	cases := []struct {
		name   string
		report *triage.Report
		wants  []string
		bans   []string
	}{
		{"tempo failed", failedReport(t, triage.SourceTempo, "context deadline exceeded after 10s"),
			[]string{"USERS unknown — tempo: context deadline exceeded after 10s"}, []string{"(no rows)", "≈"}},
		{"prometheus failed", failedReport(t, triage.SourcePrometheus, "HTTP 503: overloaded"),
			[]string{"no estimate: prometheus: HTTP 503: overloaded", " seen in "}, []string{"≈"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := tuitest.Common(t, 120, 40)
			in := fixtureRef(t)
			in.Report = tc.report
			app := open(t, c, explore.Users(c, in))
			plain := words(ansi.Strip(screen(app)))
			mustContain(t, plain, tc.wants...)
			mustNotContain(t, plain, tc.bans...)
		})
	}
	c := tuitest.Common(t, 80, 24)
	in := fixtureRef(t)
	in.Report = failedReport(t, triage.SourceTempo, "context deadline exceeded after 10s")
	tuitest.Golden(t, "users_failed_80x24", screen(open(t, c, explore.Users(c, in))))
}

// TestUsersDetailColumns follows the configured detail attributes.
func TestUsersDetailColumns(t *testing.T) {
	c := tuitest.Common(t, 120, 40)
	c.Data.Options.UserDetailAttributes = []string{"user.region"}
	plain := ansi.Strip(screen(open(t, c, explore.Users(c, fixtureRef(t)))))
	mustContain(t, plain, "REGION")
	mustNotContain(t, plain, "TIER")

	c.Data.Options.UserDetailAttributes = []string{}
	plain = ansi.Strip(screen(open(t, c, explore.Users(c, fixtureRef(t)))))
	mustNotContain(t, plain, "REGION", "TIER")
}

// words joins the screen's words with single spaces: wrapped sentences read
// whole.
func words(s string) string { return strings.Join(strings.Fields(s), " ") }
