// Package tuitest holds what the console's tests share: a fixed clock, the
// simulated incident and its report, golden files, key presses, and a
// driver that runs a model's commands as a program would.
package tuitest

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
	"github.com/triagectl/triage/tui"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// Now is the clock of every console test: golden files never depend
// on the day they run.
var Now = time.Date(2026, 11, 25, 3, 18, 40, 0, time.UTC)

// Golden compares a page's View, without its colours, with
// testdata/golden/name.golden; -update rewrites it.
func Golden(t *testing.T, name, view string) {
	t.Helper()
	got := ansi.Strip(view)
	path := filepath.Join("testdata", "golden", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
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

// CheckSize asserts that a view fits in w×h cells, on a terminal that
// measures grapheme clusters and on one that measures code points.
func CheckSize(t *testing.T, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) > h {
		t.Errorf("view has %d rows, want at most %d", len(lines), h)
	}
	for i, l := range lines {
		if n := max(ansi.StringWidth(l), ansi.StringWidthWc(l)); n > w {
			t.Errorf("row %d is %d cells wide, want at most %d: %q", i, n, w, ansi.Strip(l))
		}
	}
}

// Common is a program's Common at a fixed size and clock, on the
// generated incident's data.
func Common(t testing.TB, w, h int) *tui.Common {
	t.Helper()
	inc := Fixture(t)
	c := tui.NewCommon(context.Background(), themes.Dark(), tui.Data{
		Sources: inc.Sources(),
		Options: inc.Options,
	})
	c.Width, c.Height = w, h
	c.Now = func() time.Time { return Now }
	return c
}

// Data is the simulated incident (the simulator's default scenario,
// generated at Now), the alert that fired for it, and its finished report.
type Data struct {
	Incident *simsource.Incident
	Options  triage.Options
	Alert    triage.Alert
	Report   *triage.Report
}

// Sources serves the incident through the engine's source interfaces.
func (d *Data) Sources() triage.Sources {
	return triage.Sources{Metrics: simsource.Metrics{I: d.Incident}, Logs: simsource.Logs{I: d.Incident}, Traces: simsource.Traces{I: d.Incident}}
}

var fixtureOnce = struct {
	sync.Once
	d   *Data
	err error
}{}

// Fixture is the default simulated incident and its finished report,
// computed once per test binary.
func Fixture(t testing.TB) *Data {
	t.Helper()
	fixtureOnce.Do(func() {
		gen, err := sim.Generate(sim.DefaultScenario(), Now)
		if err != nil {
			fixtureOnce.err = err
			return
		}
		src := simsource.New(gen)
		tr := gen.Truth()
		o := triage.DefaultOptions()
		o.Now = func() time.Time { return Now }
		o.Lookback = 10 * time.Minute
		a := triage.Alert{Name: tr.AlertName, Labels: map[string]string{"alertname": tr.AlertName, "service": tr.AlertService, "severity": "critical"},
			Annotations: map[string]string{"summary": "error ratio above 5% on " + tr.AlertService},
			StartsAt:    tr.IncidentStart.Add(2 * time.Minute), Fingerprint: "4bf92f3577b34da6"}
		d := &Data{Incident: src, Options: o, Alert: a}
		d.Report, err = triage.NewInvestigation(d.Sources(), o, triage.REDQueries{}).Run(context.Background(), a, nil)
		fixtureOnce.d, fixtureOnce.err = d, err
	})
	if fixtureOnce.err != nil {
		t.Fatal(fixtureOnce.err)
	}
	return fixtureOnce.d
}

// Press builds a key press as the terminal sends it: "enter", "esc",
// "ctrl+c", or a printable key such as "j" or "/".
func Press(k string) tea.KeyPressMsg {
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

// Drive feeds keys to a model and runs the commands they return (and the
// commands those return), so async results arrive as they would in a
// program. Commands that block (ticks) are skipped after a short wait.
func Drive(t testing.TB, m tea.Model, keys ...string) tea.Model {
	t.Helper()
	for _, k := range keys {
		var cmd tea.Cmd
		m, cmd = m.Update(Press(k))
		m = Run(m, cmd)
	}
	return m
}

// Run executes cmd and feeds its messages back to m, as a program would.
func Run(m tea.Model, cmd tea.Cmd) tea.Model { return runCmds(m, cmd, 0) }

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
