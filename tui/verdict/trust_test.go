package verdict

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/triagectl/triage/internal/simsource"
	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/tuitest"
)

// emptyBaselineLogs is Loki with nothing at all in the baseline window:
// retention, or a pipeline that was not running then.
type emptyBaselineLogs struct {
	triage.LogsSource
	incidentStart time.Time
}

func (l emptyBaselineLogs) Lines(ctx context.Context, q triage.LogQuery) ([]triage.LogLine, error) {
	if q.End.Before(l.incidentStart) || q.End.Equal(l.incidentStart) {
		return []triage.LogLine{}, nil
	}
	return l.LogsSource.Lines(ctx, q)
}

func (l emptyBaselineLogs) Volume(ctx context.Context, sel string, start, end time.Time) (map[string]int, error) {
	return map[string]int{}, nil
}

// laggingLogs is Loki whose newest line is lag old at the window's end:
// it stopped receiving lines, so it finds no error in the window.
type laggingLogs struct {
	triage.LogsSource
	lag time.Duration
}

func (l laggingLogs) Lines(ctx context.Context, q triage.LogQuery) ([]triage.LogLine, error) {
	if q.Limit == 1 { // the newest line of the scope
		return []triage.LogLine{{Time: q.End.Add(-l.lag), Service: "storefront", Level: "info", Line: "level=info msg=ok"}}, nil
	}
	return []triage.LogLine{}, nil
}

// run investigates the fixture's alert on src and returns the finished app.
func run(t *testing.T, w, h int, src triage.Sources) *tui.App {
	t.Helper()
	f := tuitest.Fixture(t)
	c := tuitest.Common(t, w, h)
	c.Data.Sources = src
	a := tui.NewApp(c, New(c, f.Alert, nil))
	tuitest.Run(a, a.Init())
	return a
}

// The baseline window had no log lines at all: no pattern is called new,
// each says "no baseline", and the sources panel says why.
func TestVerdictEmptyBaseline(t *testing.T) {
	f := tuitest.Fixture(t)
	for _, sz := range [][2]int{{80, 24}, {120, 40}} {
		src := f.Sources()
		src.Logs = emptyBaselineLogs{LogsSource: src.Logs, incidentStart: f.Report.Window.Start}
		a := run(t, sz[0], sz[1], src)
		v := ansi.Strip(view(a))
		if l := line(v, "LOGS"); !strings.Contains(l, "LOGS") {
			t.Fatalf("%dx%d: no LOGS section:\n%s", sz[0], sz[1], v)
		}
		if strings.Contains(v, " new ") {
			t.Errorf("%dx%d: a pattern is called new without a baseline:\n%s", sz[0], sz[1], v)
		}
		if !strings.Contains(v, "no baseline") {
			t.Errorf("%dx%d: no pattern says it has no baseline:\n%s", sz[0], sz[1], v)
		}
		r := page(t, a).Report()
		var loki triage.SourceStatus
		for _, s := range r.Sources {
			if s.Name == triage.SourceLoki {
				loki = s
			}
		}
		if len(loki.Notes) == 0 || !strings.Contains(loki.Notes[0], "no log lines at all in the baseline window") {
			t.Errorf("%dx%d: loki's notes %q do not say why", sz[0], sz[1], loki.Notes)
		}
		tuitest.Golden(t, fmt.Sprintf("verdict_empty_baseline_%dx%d", sz[0], sz[1]), view(a))
	}
}

// Loki's newest line is 6m old and it found no error line: the LOGS
// section does not read as all clear, the header marks Loki lagging, and
// the sources panel says how old its newest line is.
func TestVerdictLaggingLoki(t *testing.T) {
	f := tuitest.Fixture(t)
	for _, sz := range [][2]int{{80, 24}, {120, 40}} {
		src := f.Sources()
		src.Logs = laggingLogs{LogsSource: src.Logs, lag: 6 * time.Minute}
		a := run(t, sz[0], sz[1], src)
		v := ansi.Strip(view(a))
		if l := line(v, "LOGS"); !strings.Contains(l, "no error lines — but loki's newest line for storefront is 6m old") {
			t.Errorf("%dx%d: LOGS reads %q", sz[0], sz[1], l)
		}
		if !strings.Contains(strings.Split(v, "\n")[1], "◔") {
			t.Errorf("%dx%d: the header does not mark loki lagging:\n%s", sz[0], sz[1], v)
		}
		tuitest.Golden(t, fmt.Sprintf("verdict_lagging_loki_%dx%d", sz[0], sz[1]), view(a))
		a.Update(tuitest.Press("S"))
		if p := ansi.Strip(view(a)); !strings.Contains(p, "◔ lagging 6m: newest log line of storefront at") {
			t.Errorf("%dx%d: the sources panel does not say loki lags:\n%s", sz[0], sz[1], p)
		}
	}
}

// Alertmanager cannot be reached: the list says unknown, never 0 firing.
func TestIncidentListAlertmanagerDown(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {120, 40}} {
		c := tuitest.Common(t, sz[0], sz[1])
		// The client's typed error, as the Alertmanager client gives it.
		c.Data.Alerts = &fakeAlerts{err: simsource.Err("unreachable", "connection refused")}
		a := tui.NewApp(c, NewList(c))
		tuitest.Run(a, a.Init())
		v := ansi.Strip(view(a))
		if !strings.Contains(v, "INCIDENTS  unknown — alertmanager: connection refused · r retries") {
			t.Errorf("%dx%d:\n%s", sz[0], sz[1], v)
		}
		if strings.Contains(v, "0 firing") || strings.Contains(v, "no alert is firing") {
			t.Errorf("%dx%d: unknown reads as zero:\n%s", sz[0], sz[1], v)
		}
		tuitest.Golden(t, fmt.Sprintf("incidents_am_down_%dx%d", sz[0], sz[1]), view(a))
	}
}
