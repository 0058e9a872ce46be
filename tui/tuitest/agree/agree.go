// Package agree checks that the console's pages and the report agree: each
// figure on the verdict (per service err%, p99, failed/s, failing and slow
// traces; per user failed and slow; each log pattern's count) is the one on
// its drill-down page and in the report JSON.
package agree

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/console"
	"github.com/triagectl/triage/tui/tuitest"
)

// Check renders the verdict of r, then each service's page and the users
// page, at 160×60 (every column shows), and fails t on any figure that
// differs between them or from r as the report JSON encodes it.
func Check(t testing.TB, c *tui.Common, alert triage.Alert, r *triage.Report) {
	t.Helper()
	c.Width, c.Height = 160, 60
	c.Nav = console.Nav(c)
	// The report as scripts read it: encoded and decoded again.
	var rep triage.Report
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	ref := tui.IncidentRef{Alert: alert, Report: r}

	app := tui.NewApp(c, c.Nav.Verdict(alert, r))
	verdict := screen(app)
	services := rows(verdict, "SERVICES")
	if rep.Services != nil && len(services) != len(rep.Services) {
		t.Errorf("the verdict lists %d services, the report %d:\n%s", len(services), len(rep.Services), verdict)
	}
	for _, s := range rep.Services {
		want := []string{pct(s.ErrorRatio), rate(s.FailedPerS), millis(s.P99MS), fmt.Sprint(s.FailingTraces), fmt.Sprint(s.SlowTraces)}
		row, ok := services[s.Name]
		if !ok {
			t.Errorf("the verdict has no row for %s", s.Name)
			continue
		}
		// name, role, err%, Δ, fail/s, p99, failing, slow, evidence…
		if got := []string{row[2], row[4], row[5], row[6], row[7]}; !slices.Equal(got, want) {
			t.Errorf("%s: the verdict shows err%%, fail/s, p99, failing, slow %q; the report %q", s.Name, got, want)
		}
		papp := tui.NewApp(c, c.Nav.Service(ref, s.Name))
		var pm tea.Model = papp
		pm = tuitest.Run(pm, papp.Init())
		page := screen(pm)
		for _, figure := range []string{
			"err% " + tui.Percent(deref(s.ErrorRatio)), "fail/s " + rate(s.FailedPerS), "p99 " + millis(s.P99MS),
			fmt.Sprintf("%d failing · %d slow traces", s.FailingTraces, s.SlowTraces),
		} {
			if s.ErrorRatio == nil && strings.HasPrefix(figure, "err% ") {
				figure = "err% —"
			}
			if s.FailedPerS == nil && strings.HasPrefix(figure, "fail/s") {
				figure = "fail/s —"
			}
			if s.P99MS == nil && strings.HasPrefix(figure, "p99") {
				figure = "p99 —"
			}
			if !strings.Contains(page, figure) {
				t.Errorf("%s: its page lacks %q, the verdict's and the report's figure:\n%s", s.Name, figure, page)
			}
		}
		// Its log patterns: the tab's count, then each row's count.
		var mine []triage.LogPattern
		for _, lp := range rep.LogPatterns {
			if slices.Contains(lp.Services, s.Name) || s.Uninstrumented && strings.Contains(lp.Pattern, s.Name) {
				mine = append(mine, lp)
			}
		}
		if !strings.Contains(page, fmt.Sprintf("LOGS %d", len(mine))) {
			t.Errorf("%s: its page's LOGS tab does not count its %d patterns:\n%s", s.Name, len(mine), page)
		}
		pm = tuitest.Drive(t, pm, "tab")
		logsTab := screen(pm)
		for _, lp := range mine {
			if n := patternCount(logsTab, lp.Pattern); n != "" && n != triage.Thousands(float64(lp.Count)) {
				t.Errorf("%s: its page counts %s lines of %q, the report %d", s.Name, n, lp.Pattern, lp.Count)
			}
		}
	}

	users := rows(verdict, "USERS")
	page := open(c, c.Nav.Users(ref))
	listed := rows(page, "USER")
	for _, u := range rep.Users {
		want := []string{u.FailedText(), u.SlowText()}
		if row, ok := users[u.ID]; ok && !slices.Equal(row[1:3], want) {
			t.Errorf("user %s: the verdict shows failed, slow %q; the report %q", u.ID, row[1:3], want)
		}
		if row, ok := listed[u.ID]; ok && !slices.Equal(row[1:3], want) {
			t.Errorf("user %s: the users page shows failed, slow %q; the report %q", u.ID, row[1:3], want)
		}
	}
	if rep.Users != nil && !strings.Contains(verdict, fmt.Sprintf("USERS %d", len(rep.Users))) {
		t.Errorf("the verdict's USERS header is not the %d users listed:\n%s", len(rep.Users), verdict)
	}
	if rep.Users != nil && !strings.Contains(page, fmt.Sprintf("%d listed", len(rep.Users))) {
		t.Errorf("the users page does not list the report's %d users:\n%s", len(rep.Users), page)
	}
	if imp := rep.Impact; imp != nil {
		text := triage.ImpactUsers(imp, func(f string) string { return triage.WhyUnknown(&rep, f) })
		if flat := words(verdict); !strings.Contains(flat, words(text)) {
			t.Errorf("the verdict's IMPACT does not read %q:\n%s", text, verdict)
		}
		if flat := words(page); !strings.Contains(flat, words(text)) {
			t.Errorf("the users page does not read %q:\n%s", text, page)
		}
	}

	for _, lp := range rep.LogPatterns {
		if n := patternCount(verdict, lp.Pattern); n != "" && n != triage.Thousands(float64(lp.Count)) {
			t.Errorf("pattern %q: the verdict counts %s, the report %d", lp.Pattern, n, lp.Count)
		}
	}
}

// patternCount finds the row showing pattern (cut or whole) and returns
// the count beside it; "" when no row shows it.
func patternCount(view, pattern string) string {
	for _, l := range strings.Split(view, "\n") {
		f := strings.Fields(strings.TrimLeft(l, " ▸"))
		for i, w := range f {
			if i == 0 || strings.Trim(w, "0123456789,") != "" {
				continue
			}
			shown := strings.Join(f[:i], " ")
			if len(f) > 0 && (f[0] == "error" || f[0] == "warn" || f[0] == "?") && i == 1 {
				continue // a level column first (the service page): the count follows it
			}
			cut := strings.TrimSuffix(shown, "…")
			if strings.HasPrefix(words(pattern), cut) && (cut != shown || words(pattern) == shown) && len(cut) > 10 {
				return w
			}
			break
		}
		if len(f) > 2 && (f[0] == "error" || f[0] == "warn") && strings.Trim(f[1], "0123456789,") == "" {
			// The service page: level, count, tag, pattern.
			if rest := strings.TrimSuffix(strings.Join(f[3:], " "), "…"); len(rest) > 10 && strings.HasPrefix(words(pattern), rest) {
				return f[1]
			}
		}
	}
	return ""
}

func deref(v *float64) float64 {
	if v == nil {
		return 0
	}
	return *v
}

func pct(v *float64) string {
	if v == nil {
		return "?"
	}
	return tui.Bare(tui.Percent(*v))
}

func rate(v *float64) string {
	if v == nil {
		return "?"
	}
	return tui.Rate(*v)
}

func millis(v *float64) string {
	if v == nil {
		return "?"
	}
	return tui.Millis(*v)
}

// open runs a page as an app's root and returns its screen once loaded.
func open(c *tui.Common, f tui.PageFunc) string {
	app := tui.NewApp(c, f)
	var m tea.Model = app
	m = tuitest.Run(m, app.Init())
	return screen(m)
}

func screen(m tea.Model) string { return ansi.Strip(m.View().Content) }

func words(s string) string { return strings.Join(strings.Fields(s), " ") }

// rows are the rows of the section whose title row starts with title,
// keyed by their first cell (a service's " (peer)" mark dropped), each as
// its cells.
func rows(view, title string) map[string][]string {
	out := map[string][]string{}
	in := false
	for _, l := range strings.Split(view, "\n") {
		f := strings.Fields(strings.TrimLeft(l, " ▸"))
		switch {
		case len(f) > 0 && (f[0] == title || strings.HasPrefix(f[0], title+" ")):
			in = true
			continue
		case !in:
			continue
		case len(f) == 0 || isTitle(f[0]):
			return out
		}
		if len(f) > 1 && f[1] == "(peer)" {
			f = append(f[:1], f[2:]...)
		}
		out[f[0]] = f
	}
	return out
}

// isTitle reports a section title: a word in capitals.
func isTitle(w string) bool {
	return len(w) > 2 && strings.ToUpper(w) == w && strings.IndexFunc(w, func(r rune) bool { return r >= 'A' && r <= 'Z' }) >= 0 && !strings.ContainsAny(w, "=\"")
}
