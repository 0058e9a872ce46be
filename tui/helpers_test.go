package tui

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/triagectl/triage/internal/sim"
	"github.com/triagectl/triage/internal/simsource"
	"github.com/triagectl/triage/themes"
	"github.com/triagectl/triage/triage"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// fixedNow is the clock of every console test: golden files never depend
// on the day they run.
var fixedNow = time.Date(2026, 11, 25, 3, 18, 40, 0, time.UTC)

// golden compares a page's View, without its colours, with
// testdata/golden/name.golden; -update rewrites it.
func golden(t *testing.T, name, view string) {
	t.Helper()
	got := ansi.Strip(view)
	path := filepath.Join("testdata", "golden", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (run with -update and review the diff):\n--- got\n%s\n--- want\n%s", name, path, got, want)
	}
}

// checkSize asserts that a view is exactly w×h cells at most.
func checkSize(t *testing.T, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) > h {
		t.Errorf("view has %d rows, want at most %d", len(lines), h)
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n > w {
			t.Errorf("row %d is %d cells wide, want at most %d: %q", i, n, w, ansi.Strip(l))
		}
	}
}

// testCommon is a program's Common at a fixed size and clock, on the
// generated incident's data.
func testCommon(t testing.TB, w, h int) *Common {
	t.Helper()
	inc := fixture(t)
	c := NewCommon(context.Background(), themes.Dark(), Data{
		Sources: triage.Sources{Metrics: simsource.Metrics{I: inc.src}, Logs: simsource.Logs{I: inc.src}, Traces: simsource.Traces{I: inc.src}},
		Options: inc.opts,
	})
	c.Width, c.Height = w, h
	c.Now = func() time.Time { return fixedNow }
	return c
}

type fixtureData struct {
	src    *simsource.Incident
	opts   triage.Options
	alert  triage.Alert
	report *triage.Report
}

var fixtureOnce = struct {
	sync.Once
	d   *fixtureData
	err error
}{}

// fixture is the default simulated incident and its finished report,
// computed once per test binary.
func fixture(t testing.TB) *fixtureData {
	t.Helper()
	fixtureOnce.Do(func() {
		gen, err := sim.Generate(sim.DefaultScenario(), fixedNow)
		if err != nil {
			fixtureOnce.err = err
			return
		}
		src := simsource.New(gen)
		tr := gen.Truth()
		o := triage.DefaultOptions()
		o.Now = func() time.Time { return fixedNow }
		o.Lookback = 10 * time.Minute
		a := triage.Alert{Name: tr.AlertName, Labels: map[string]string{"alertname": tr.AlertName, "service": tr.AlertService, "severity": "critical"},
			Annotations: map[string]string{"summary": "error ratio above 5% on " + tr.AlertService},
			StartsAt:    tr.IncidentStart.Add(2 * time.Minute), Fingerprint: "4bf92f3577b34da6"}
		r, err := triage.NewInvestigation(triage.Sources{Metrics: simsource.Metrics{I: src}, Logs: simsource.Logs{I: src}, Traces: simsource.Traces{I: src}},
			o, triage.REDQueries{}).Run(context.Background(), a, nil)
		fixtureOnce.d, fixtureOnce.err = &fixtureData{src: src, opts: o, alert: a, report: r}, err
	})
	if fixtureOnce.err != nil {
		t.Fatal(fixtureOnce.err)
	}
	return fixtureOnce.d
}

// press builds a key press as the terminal sends it: "enter", "esc",
// "ctrl+c", or a printable key such as "j" or "/".
func press(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "right":
		return tea.KeyPressMsg{Code: tea.KeyRight}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(k)
	return tea.KeyPressMsg{Code: r[0], Text: k}
}

// drive feeds keys to a model and runs the commands they return (and the
// commands those return), so async results arrive as they would in a
// program. Commands that block (ticks) are skipped after a short wait.
func drive(t testing.TB, m tea.Model, keys ...string) tea.Model {
	t.Helper()
	for _, k := range keys {
		var cmd tea.Cmd
		m, cmd = m.Update(press(k))
		m = runCmds(m, cmd, 0)
	}
	return m
}

// runCmds executes cmd and feeds its messages back, depth-first, up to a
// bound; a command that does not answer within a second is dropped.
func runCmds(m tea.Model, cmd tea.Cmd, depth int) tea.Model {
	if cmd == nil || depth > 50 {
		return m
	}
	ch := make(chan tea.Msg, 1)
	go func() { ch <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-ch:
	case <-time.After(time.Second):
		return m
	}
	switch msg := msg.(type) {
	case nil:
		return m
	case tea.BatchMsg:
		for _, c := range msg {
			m = runCmds(m, c, depth+1)
		}
		return m
	default:
		if _, ok := msg.(tea.QuitMsg); ok {
			return m
		}
		var next tea.Cmd
		m, next = m.Update(msg)
		return runCmds(m, next, depth+1)
	}
}
