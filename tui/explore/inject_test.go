package explore_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/explore"
	"github.com/triagectl/triage/tui/tuitest"
)

// corpus are strings that try to act on the terminal: a clipboard write,
// a title change, a screen clear, a C1 CSI, a bidi override.
func corpus() []string {
	return []string{
		"\x1b]52;c;ZXZpbA==\x07", "\x1b]0;pwned\x07", "\x1b[2J\x1b[H", "\u009b31m", "\u202eevil",
		"ok\x1b]52;c;ZXZpbA==\x07\u202e\u009b31mmixed\nnewline",
	}
}

// sgr matches the console's own styling. Only it is removed before the
// check: ansi.Strip would also remove an injected sequence and hide it.
var sgr = regexp.MustCompile(`\x1b\[[0-9;:]*m`)

// harmless fails when a drawn view, without the console's own styling,
// still holds an escape, a BEL, a C1 control or a bidi control.
func harmless(t *testing.T, where, view string) {
	t.Helper()
	for _, r := range sgr.ReplaceAllString(view, "") {
		if r == 0x1b || r == 0x07 || (r >= 0x80 && r <= 0x9f) ||
			(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c {
			t.Errorf("%s: %U survives in the view:\n%q", where, r, view)
			return
		}
	}
}

// poisoned is the fixture report with evil in every external string the
// pages draw: span and service names, user ids, attribute values, log
// patterns, the estimate's basis and a source's error.
func poisoned(t *testing.T, evil string) *triage.Report {
	r := tuitest.Fixture(t).Report.Clone()
	for i := range r.Traces[:3] {
		tr := &r.Traces[i]
		tr.RootName, tr.User = evil, evil
		tr.ErrorOrigin = &triage.ErrorOrigin{Service: "payments", SpanName: evil, Peer: evil, Message: evil}
	}
	r.Traces[3].RootService = evil
	for i := range r.Users[:3] {
		u := &r.Users[i]
		u.ID = evil + fmt.Sprint(i)
		u.Attributes = map[string]string{"user.tier": evil, "user.region": evil}
	}
	for i := range r.LogPatterns {
		r.LogPatterns[i].Pattern = evil + r.LogPatterns[i].Pattern
		r.LogPatterns[i].Level = evil
		r.LogPatterns[i].Tag = evil
	}
	imp := *r.Impact
	est := *imp.UsersEstimate
	est.Basis = evil
	imp.UsersEstimate = &est
	r.Impact = &imp
	r.Services = append(r.Services, triage.ServiceRank{Name: evil, Role: triage.RoleImpacted})
	return r
}

func TestInjection(t *testing.T) {
	for _, evil := range corpus() {
		for _, sz := range sizes()[:2] {
			name := fmt.Sprintf("%q %dx%d", evil, sz.w, sz.h)
			c := tuitest.Common(t, sz.w, sz.h)
			graph := paymentsGraph(t)
			graph.edges = append(graph.edges, edge(evil, "payments", 1), edge("payments", evil, 2))
			c.Data.Sources.Metrics = graph
			in := fixtureRef(t)
			in.Report = poisoned(t, evil)
			pages := map[string]tui.PageFunc{
				"service":      explore.Service(c, in, "payments"),
				"evil service": explore.Service(c, in, evil),
				"traces":       explore.Traces(c, in, tui.TraceFilter{User: evil, Service: evil}),
				"all traces":   explore.Traces(c, in, tui.TraceFilter{}),
				"users":        explore.Users(c, in),
			}
			for page, f := range pages {
				app := openOver(t, c, f)
				harmless(t, name+" "+page, screen(app))
				for range 2 {
					app = drive(t, app, "tab")
					harmless(t, name+" "+page+" tab", screen(app))
				}
				// The filter echoes typed text; pasted escapes must stay inert.
				app = drive(t, app, "/")
				m, _ := app.Update(tea.KeyPressMsg{Code: 'x', Text: evil})
				if !app.Top().(tui.Filterer).Filtering() {
					t.Fatalf("%s %s: / did not open the filter", name, page)
				}
				harmless(t, name+" "+page+" filter", m.View().Content)
				app = drive(t, app, "esc", "y")
				harmless(t, name+" "+page+" copy status", screen(app))
			}

			failed := failedReport(t, triage.SourceTempo, evil)
			failed.Sources = append(failed.Sources, triage.SourceStatus{Name: triage.SourceLoki, State: triage.StateFailed, Error: evil})
			failed.LogPatterns = nil
			in.Report = failed
			c.Data.Sources.Metrics = failingMetrics{fmt.Errorf("%s", evil)}
			for page, f := range map[string]tui.PageFunc{
				"service": explore.Service(c, in, "payments"), "traces": explore.Traces(c, in, tui.TraceFilter{}), "users": explore.Users(c, in),
			} {
				app := open(t, c, f)
				view := screen(app)
				harmless(t, name+" failed "+page, view)
				if !strings.Contains(ansi.Strip(view), "unknown — ") {
					t.Errorf("%s failed %s: no unknown line", name, page)
				}
				for range 2 {
					app = drive(t, app, "tab")
					harmless(t, name+" failed "+page+" tab", screen(app))
				}
			}
		}
	}
}

// TestSizes: every page fits its area at each size, and the app's view
// fills it exactly.
func TestSizes(t *testing.T) {
	for _, sz := range append(sizes(), struct{ w, h int }{40, 10}, struct{ w, h int }{20, 5}) {
		c := tuitest.Common(t, sz.w, sz.h)
		c.Data.Sources.Metrics = paymentsGraph(t)
		in := fixtureRef(t)
		for name, f := range map[string]tui.PageFunc{
			"service": explore.Service(c, in, "payments"), "traces": explore.Traces(c, in, tui.TraceFilter{}), "users": explore.Users(c, in),
		} {
			t.Run(fmt.Sprintf("%s %dx%d", name, sz.w, sz.h), func(t *testing.T) {
				app := open(t, c, f)
				for _, keys := range [][]string{nil, {"tab"}, {"tab"}, {"G"}, {"/", "u"}, {"?"}} {
					app = drive(t, app, keys...)
					tuitest.CheckSize(t, screen(app), sz.w, sz.h)
					tuitest.CheckSize(t, app.Top().View(), sz.w, max(sz.h-2, 1))
					if n := strings.Count(app.Top().View(), "\n") + 1; n != max(sz.h-2, 1) {
						t.Errorf("after %v the page draws %d rows, want %d", keys, n, sz.h-2)
					}
				}
			})
		}
	}
}

// TestNoReport: a page opened before the investigation finished says so
// and draws no number.
func TestNoReport(t *testing.T) {
	c := tuitest.Common(t, 80, 24)
	in := tui.IncidentRef{Alert: tuitest.Fixture(t).Alert}
	for name, f := range map[string]tui.PageFunc{
		"service": explore.Service(c, in, "payments"), "traces": explore.Traces(c, in, tui.TraceFilter{}), "users": explore.Users(c, in),
	} {
		app := open(t, c, f)
		app = drive(t, app, "tab", "enter", "y", "j")
		plain := ansi.Strip(screen(app))
		if !strings.Contains(plain, "the investigation has not finished") {
			t.Errorf("%s:\n%s", name, plain)
		}
		tuitest.CheckSize(t, screen(app), 80, 24)
	}
}
