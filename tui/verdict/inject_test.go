package verdict

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/tuitest"
)

// evil are strings that try to act on the terminal: a clipboard write, a
// title change, a screen clear, a C1 CSI and a bidi override.
var evil = []string{"\x1b]52;c;ZXZpbA==\x07", "\x1b]0;pwned\x07", "\x1b[2J\x1b[H", "\u009b31m", "\u202eevil"}

func poison(i int, s string) string { return s + evil[i%len(evil)] + "x" }

// checkInert fails when a view could act on the terminal.
func checkInert(t *testing.T, where, v string) {
	t.Helper()
	if err := inert(v); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
}

// inert says why a view could act on the terminal: every ESC must open one
// of the console's own SGR sequences, and once those are stripped no ESC,
// BEL, C1 control or bidi control may remain.
func inert(v string) error {
	for i := 0; i < len(v); i++ {
		if v[i] != 0x1b {
			continue
		}
		j := i + 1
		if j >= len(v) || v[j] != '[' {
			return fmt.Errorf("an escape that is not SGR at byte %d: %q", i, v[i:min(i+12, len(v))])
		}
		for j++; j < len(v) && (v[j] >= '0' && v[j] <= '9' || v[j] == ';' || v[j] == ':'); j++ {
		}
		if j >= len(v) || v[j] != 'm' {
			return fmt.Errorf("a CSI that is not SGR at byte %d: %q", i, v[i:min(j+1, len(v))])
		}
	}
	for _, r := range ansi.Strip(v) {
		if r == 0x1b || r == 0x07 || (r >= 0x80 && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f {
			return fmt.Errorf("%U reached the screen", r)
		}
	}
	return nil
}

// The check itself catches each of the corpus's strings drawn raw.
func TestInertCatchesRawEscapes(t *testing.T) {
	if err := inert("\x1b[1mok\x1b[0m " + strings.Join([]string{`\x1b]0;x\x07`, `\u202e`}, " ")); err != nil {
		t.Fatalf("safe text flagged: %v", err)
	}
	for _, e := range evil {
		if inert("\x1b[1m"+e+"\x1b[0m") == nil {
			t.Errorf("%q passed the check", e)
		}
	}
}

func poisoned(t *testing.T) (triage.Alert, *triage.Report) {
	f := tuitest.Fixture(t)
	a := f.Alert
	a.Name = poison(0, "HighErrorRate")
	a.Labels = map[string]string{"alertname": a.Name, "service": poison(1, "storefront"), "severity": poison(2, "critical"), "namespace": poison(3, "prod")}
	a.Annotations = map[string]string{"summary": poison(4, "error ratio")}
	r := f.Report.Clone()
	r.Services = append([]triage.ServiceRank(nil), r.Services...)
	for i := range r.Services {
		r.Services[i].Name = poison(i, r.Services[i].Name)
		r.Services[i].Evidence = []string{poison(i+1, "ev")}
	}
	r.Impact.Culprit = r.Services[0].Name
	r.Impact.EntryPoints = []string{poison(2, "POST /checkout")}
	est := *r.Impact.UsersEstimate // Clone shares it with the fixture
	est.Basis = poison(3, "basis")
	r.Impact.UsersEstimate = &est
	r.Traces = append([]triage.TraceRow(nil), r.Traces...)
	o := *r.Traces[0].ErrorOrigin
	o.Service, o.Peer, o.Message = poison(0, "payments"), r.Impact.Culprit, poison(1, "boom")
	r.Traces[0].ErrorOrigin, r.Traces[0].Failing = &o, true
	r.Users = append([]triage.UserImpact(nil), r.Users[:5]...)
	for i := range r.Users {
		r.Users[i].ID = poison(i, "u")
		r.Users[i].Attributes = map[string]string{"user.tier": poison(i+1, "t"), "user.region": poison(i+2, "r")}
	}
	r.Differences = append([]triage.Difference(nil), r.Differences...)
	for i := range r.Differences {
		r.Differences[i].Attribute, r.Differences[i].Value, r.Differences[i].Where = poison(i, "k"), poison(i+1, "v"), poison(i+2, "w")
	}
	r.LogPatterns = append([]triage.LogPattern(nil), r.LogPatterns...)
	for i := range r.LogPatterns {
		lp := &r.LogPatterns[i]
		lp.Pattern, lp.Level, lp.Tag, lp.Services = poison(i, "level=error msg=")+"\n"+evil[0], poison(i+1, "error"), poison(i+2, "new"), []string{poison(i+3, "svc")}
	}
	r.Timeline = &triage.Timeline{BeganAt: r.Timeline.BeganAt, Basis: poison(4, "first")}
	return a, r
}

func TestVerdictInjection(t *testing.T) {
	a, r := poisoned(t)
	for _, sz := range [][2]int{{80, 24}, {120, 40}, {200, 60}} {
		c := tuitest.Common(t, sz[0], sz[1])
		record(c)
		c.Demo = true
		app := tui.NewApp(c, New(c, a, r))
		checkInert(t, "verdict", view(app))
		tuitest.CheckSize(t, view(app), sz[0], sz[1])
		for _, keys := range [][]string{{"tab"}, {"tab"}, {"tab"}, {"tab"}, {"?"}, {"esc", "S"}, {"esc", "/", "\x1b"}, {"enter"}} {
			tuitest.Drive(t, app, keys...)
			checkInert(t, "after "+strings.Join(keys, " "), view(app))
		}
	}
	// The failed source's reason is external too.
	rf := r.Clone()
	rf.LogPatterns = nil
	for i := range rf.Sources {
		if rf.Sources[i].Name == triage.SourceLoki {
			rf.Sources[i].State, rf.Sources[i].Error = triage.StateFailed, poison(0, "reset")+poison(4, "")
		}
	}
	c := tuitest.Common(t, 120, 40)
	app := tui.NewApp(c, New(c, a, rf))
	v := view(app)
	checkInert(t, "failed loki", v)
	if l := line(v, "LOGS"); !strings.Contains(l, `unknown — loki: reset\x1b]52;c;ZXZpbA==\x07x`) {
		t.Errorf("the escape is not shown as text: %q", l)
	}
}

func TestListInjection(t *testing.T) {
	a, _ := poisoned(t)
	b := a
	b.Fingerprint = poison(1, "fp")
	for _, sz := range [][2]int{{80, 24}, {120, 40}} {
		c := tuitest.Common(t, sz[0], sz[1])
		opts := ListOptions{Status: func(fp string) string { return poison(2, "ready") }}
		app := tui.NewApp(c, NewListOf(c, []triage.Alert{a, b}, opts))
		checkInert(t, "list", view(app))
		tuitest.CheckSize(t, view(app), sz[0], sz[1])
		// A load error's text is external as well.
		p := app.Top().(*Incidents)
		p.loadErr = poison(3, "Alertmanager: ")
		checkInert(t, "list error", view(app))
		app.Update(tea.WindowSizeMsg{Width: 200, Height: 60})
		checkInert(t, "list wide", view(app))
	}
}
