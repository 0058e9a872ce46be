package verdict

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/tuitest"
)

func TestVerdictGolden(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {120, 40}, {200, 60}} {
		name := fmt.Sprintf("verdict_%dx%d", sz[0], sz[1])
		t.Run(name, func(t *testing.T) {
			a, _, _ := finished(t, sz[0], sz[1])
			v := view(a)
			tuitest.CheckSize(t, v, sz[0], sz[1])
			if n := strings.Count(v, "\n") + 1; n != sz[1] {
				t.Errorf("app view has %d rows, want %d", n, sz[1])
			}
			tuitest.Golden(t, name, v)
		})
	}
}

// The verdict answers the 3 AM questions on one 80×24 screen.
func TestVerdictShowsTheAnswers(t *testing.T) {
	a, _, _ := finished(t, 80, 24)
	f := tuitest.Fixture(t)
	// IMPACT's sentences wrap under its label: read them whole.
	v := strings.ReplaceAll(ansi.Strip(view(a)), "\n         ", " ")
	for _, want := range []string{
		"HighErrorRate", "storefront", "▲▲ critical", "firing 7m", // header: name, scope, severity, age
		"prom ●", "loki ●", "tempo ●", // one dot per source
		"IMPACT", "≈47 users failed", "(est. 47–47", "47 seen in 200 sampled traces", "65 more slow",
		"culprit: payments → ledger-db (timeout)", "began 03:08:42, 2m2s before the alert",
		"SERVICES 6", "▸ledger-db (peer)", "culprit", "propagating",
		"USERS 112", "u-10229", "DIFFERENT 3", "user.region=eu-west", "100%", "LOGS 9",
		"enter drill", "l logs",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("80×24 verdict lacks %q:\n%s", want, v)
		}
	}
	if f.Report.Impact.UsersEstimate.Value != 47 {
		t.Fatalf("fixture changed: estimate %v", f.Report.Impact.UsersEstimate.Value)
	}
	// The recorded demo says so once, in the breadcrumbs every page has.
	dc := tuitest.Common(t, 80, 24)
	dc.Demo = true
	demo := ansi.Strip(tui.NewApp(dc, New(dc, f.Alert, f.Report)).View().Content)
	if rows := strings.Split(demo, "\n"); strings.Count(demo, "DEMO") != 1 || !strings.Contains(rows[0], "DEMO") || !strings.Contains(rows[1], "tempo ●") {
		t.Errorf("demo header:\n%s", demo)
	}
	// Unmeasured numbers read "?", never 0.
	if !regexp.MustCompile(`culprit +\? +\? +\? +\?`).MatchString(v) {
		t.Errorf("unmeasured RED numbers are not marked unknown:\n%s", v)
	}
}

// From 120 columns the estimate's basis is on screen, and the alert's
// summary and the extra columns appear.
func TestVerdictUsesTheRoom(t *testing.T) {
	narrow := ansi.Strip(view(first(finished(t, 80, 24))))
	mid := ansi.Strip(view(first(finished(t, 120, 40))))
	wide := ansi.Strip(view(first(finished(t, 200, 60))))
	for _, want := range []string{"estimate: 47 users seen in 87 of ≈87 failing requests", "error ratio above 5% on storefront", "failing  slow", "firing 7m (03:10:45)"} {
		if !strings.Contains(mid, want) {
			t.Errorf("120×40 lacks %q", want)
		}
		if strings.Contains(narrow, want) {
			t.Errorf("80×24 has %q, which needs the room", want)
		}
	}
	if !strings.Contains(wide, "evidence") || !strings.Contains(wide, "trace ids") {
		t.Error("200×60 lacks the evidence and trace id columns")
	}
	if rows(mid, " u-") <= rows(narrow, " u-") || rows(wide, " u-") <= rows(mid, " u-") {
		t.Errorf("user rows do not grow with the height: %d, %d, %d", rows(narrow, " u-"), rows(mid, " u-"), rows(wide, " u-"))
	}
}

func first[A, B, C any](a A, _ B, _ C) A { return a }

func rows(v, prefix string) int {
	n := 0
	for _, l := range strings.Split(v, "\n") {
		if strings.HasPrefix(l, prefix) || strings.HasPrefix(l, "▸"+prefix[1:]) {
			n++
		}
	}
	return n
}

func TestVerdictResize(t *testing.T) {
	a, _, _ := finished(t, 80, 24)
	for _, sz := range [][2]int{{200, 60}, {120, 40}, {80, 24}, {60, 16}, {200, 60}} {
		m, _ := a.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		v := view(m)
		tuitest.CheckSize(t, v, sz[0], sz[1])
		pv := page(t, a).View()
		tuitest.CheckSize(t, pv, sz[0], sz[1]-2)
		if n := strings.Count(pv, "\n") + 1; n != sz[1]-2 {
			t.Errorf("%d×%d: page view has %d rows, want %d", sz[0], sz[1], n, sz[1]-2)
		}
		if !strings.Contains(ansi.Strip(v), "SERVICES") {
			t.Errorf("%d×%d: the services are gone", sz[0], sz[1])
		}
	}
}

// At 80×24 the services keep every row; the other sections shrink.
func TestVerdictCollapseOrder(t *testing.T) {
	a, _, _ := finished(t, 80, 24)
	p := page(t, a)
	pl := p.layout()
	if pl.body[secServices] != 6 {
		t.Errorf("services get %d rows at 80×24, want all 6", pl.body[secServices])
	}
	for _, s := range []int{secUsers, secDifferent, secLogs} {
		if pl.body[s] < 1 || pl.body[s] > 3 {
			t.Errorf("section %d gets %d rows at 80×24, want 1–3", s, pl.body[s])
		}
	}
	a.Update(tea.WindowSizeMsg{Width: 80, Height: 18})
	pl = p.layout()
	if pl.body[secServices] != 6 || pl.body[secUsers] != 1 || pl.body[secLogs] != 1 {
		t.Errorf("at 80×18 the plan is %v, want services whole and one row for the others", pl.body)
	}
}

func TestVerdictTabAndMove(t *testing.T) {
	a, _, r := finished(t, 120, 40)
	tuitest.Drive(t, a, "j", "enter")
	if r.last() != "Service payments" {
		t.Errorf("j, enter pushed %q, want the second service", r.last())
	}
	a.Update(tuitest.Press("esc"))
	tuitest.Drive(t, a, "tab", "j", "enter")
	if r.last() != `Traces service="" user="u-10294" failing=false` {
		t.Errorf("tab, j, enter pushed %q, want the second user's traces", r.last())
	}
	a.Update(tuitest.Press("esc"))
	tuitest.Drive(t, a, "tab", "enter")
	if r.last() != `Traces service="" user="" failing=true` {
		t.Errorf("enter on a difference pushed %q, want the failing traces", r.last())
	}
	a.Update(tuitest.Press("esc"))
	f := tuitest.Fixture(t)
	tuitest.Drive(t, a, "tab", "enter")
	if want := "Pattern " + f.Report.LogPatterns[0].Pattern; r.last() != want {
		t.Errorf("enter on a log pattern pushed %q, want %q", r.last(), want)
	}
	a.Update(tuitest.Press("esc"))
	tuitest.Drive(t, a, "tab")
	if p := page(t, a); p.focus != focusImpact || !strings.Contains(ansi.Strip(view(a)), "▸IMPACT") {
		t.Errorf("the fifth tab did not reach the impact block (focus %d)", p.focus)
	}
	tuitest.Drive(t, a, "tab")
	if page(t, a).focus != secServices {
		t.Error("tab does not come round to the services")
	}
	// The unfocused sections draw no cursor: one ▸ on screen.
	if n := strings.Count(ansi.Strip(view(a)), "▸"); n != 1 {
		t.Errorf("%d cursors on screen, want 1", n)
	}
}

func TestVerdictHelp(t *testing.T) {
	a, _, _ := finished(t, 120, 40)
	tuitest.Drive(t, a, "?")
	v := ansi.Strip(view(a))
	// Help scrolls: its end is one G away.
	tuitest.Drive(t, a, "G")
	v += ansi.Strip(view(a))
	for _, want := range []string{"HELP", "next section", "drill", "traces", "logs", "users", "services", "refresh", "copy", "grafana link", "filter", ":logs", ":services", ":trace", ":traces", ":users"} {
		if !strings.Contains(v, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	tuitest.Drive(t, a, "esc")
	if v := ansi.Strip(view(a)); strings.Contains(v, "HELP") || !strings.Contains(v, "SERVICES") {
		t.Error("esc did not close help")
	}
	// The sources panel finds the verdict's report: it is the incident.
	tuitest.Drive(t, a, "S")
	if v := ansi.Strip(view(a)); !strings.Contains(v, "SOURCES") || !strings.Contains(v, "tempo ok") || !strings.Contains(v, "› { resource.service.name") {
		t.Errorf("sources panel:\n%s", v)
	}
	tuitest.Drive(t, a, "esc")
	if a.Depth() != 1 {
		t.Errorf("esc on help popped a page: depth %d", a.Depth())
	}
}

func TestVerdictPalette(t *testing.T) {
	a, _, r := finished(t, 120, 40)
	f := tuitest.Fixture(t)
	tuitest.Drive(t, a, ":", "l", "o", "g")
	if v := ansi.Strip(view(a)); !strings.Contains(v, ":log") || !strings.Contains(v, "logs") {
		t.Errorf("palette does not offer logs:\n%s", v)
	}
	tuitest.Drive(t, a, "enter")
	if want := "Logs " + culpritTrace(t, f.Report) + " span="; r.last() != want {
		t.Errorf(":logs pushed %q, want %q", r.last(), want)
	}
	for cmd, want := range map[string]string{"users": "Users", "traces": `Traces service="ledger-db" user="" failing=false`} {
		keys := []string{":"}
		for _, c := range cmd {
			keys = append(keys, string(c))
		}
		tuitest.Drive(t, a, append(keys, "enter")...)
		if r.last() != want {
			t.Errorf(":%s pushed %q, want %q", cmd, r.last(), want)
		}
		if a.Depth() != 2 {
			t.Errorf(":%s left %d pages, want the verdict and the new page", cmd, a.Depth())
		}
	}
	tuitest.Drive(t, a, "esc", "tab", ":", "s", "e", "r", "v", "enter")
	if p := page(t, a); p.focus != secServices {
		t.Errorf(":services left the focus on %d", p.focus)
	}
}

func TestVerdictFilter(t *testing.T) {
	a, _, r := finished(t, 80, 24)
	tuitest.Drive(t, a, "/", "p", "a", "y")
	p := page(t, a)
	if !p.Filtering() {
		t.Fatal("/ did not start the filter")
	}
	tuitest.Drive(t, a, "enter")
	v := ansi.Strip(view(a))
	if !strings.Contains(v, "/pay") || !strings.Contains(v, "▸payments") || strings.Contains(v, "checkout  ") {
		t.Errorf("the services filter did not narrow to payments:\n%s", v)
	}
	tuitest.Drive(t, a, "enter")
	if r.last() != "Service payments" {
		t.Errorf("enter on the filtered row pushed %q", r.last())
	}
	tuitest.Drive(t, a, "esc", "esc")
	if a.Depth() != 1 || p.secs[secServices].list.Filter() != "" {
		t.Errorf("esc did not clear the filter (depth %d, filter %q)", a.Depth(), p.secs[secServices].list.Filter())
	}
	// Filter the users, then drill into the match.
	tuitest.Drive(t, a, "tab", "/", "u", "-", "1", "0", "2", "9", "4", "enter", "enter")
	if r.last() != `Traces service="" user="u-10294" failing=false` {
		t.Errorf("filtered user drill pushed %q", r.last())
	}
	tuitest.Drive(t, a, "esc")
	tuitest.CheckSize(t, view(a), 80, 24)
	// A filter that matches nothing says so.
	tuitest.Drive(t, a, "esc", "/", "z", "z", "z", "enter")
	if v := ansi.Strip(view(a)); !strings.Contains(v, "no rows match zzz") {
		t.Errorf("an empty filter result is not explained:\n%s", v)
	}
}
