package console

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/triagectl/triage/internal/testenv"
	"github.com/triagectl/triage/sources/adapter"
	"github.com/triagectl/triage/sources/alertmanager"
	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/tuitest"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// The overlays every page shares, drawn over the verdict at both sizes:
// help, the sources panel, the command palette and the silence prompt.
func TestOverlayGoldens(t *testing.T) {
	d := tuitest.Fixture(t)
	// Latencies are measured: fixed here, so the sources panel is stable.
	r := d.Report.Clone()
	r.Sources = append([]triage.SourceStatus(nil), r.Sources...)
	for i := range r.Sources {
		r.Sources[i].LatencyMS = int64(120 * (i + 1))
	}
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		for _, tc := range []struct {
			name string
			keys []string
		}{
			{"help", []string{"?"}},
			{"sources", []string{"S"}},
			{"palette", []string{":", "t"}},
			{"silence", []string{"s", "backspace", "backspace", "3", "0", "m", "enter"}},
		} {
			t.Run(fmt.Sprintf("%s_%dx%d", tc.name, size[0], size[1]), func(t *testing.T) {
				c := testCommon(t, size[0], size[1])
				c.Data.Alerts = adapter.Alerts{C: alertmanager.NewFake()}
				app := tui.NewApp(c, Incident(c, d.Alert, r))
				m := tuitest.Drive(t, app, tc.keys...)
				view := m.(*tui.App).View().Content
				tuitest.CheckSize(t, view, size[0], size[1])
				tuitest.Golden(t, fmt.Sprintf("%s_%dx%d", tc.name, size[0], size[1]), view)
			})
		}
	}
}

// `s` silences the alert in a real Alertmanager: duration, comment,
// confirmation; the footer shows the silence id, and Alertmanager's API
// lists the silence with the alert's labels.
func TestSilenceFromTheConsole(t *testing.T) {
	am := testenv.Alertmanager(t)
	client, err := alertmanager.New(am.Config())
	if err != nil {
		t.Fatal(err)
	}
	d := tuitest.Fixture(t)
	alert := d.Alert
	alert.Labels = map[string]string{"alertname": d.Alert.Name, "service": d.Alert.Labels["service"], "test": "console-silence"}
	c := testCommon(t, 100, 30)
	c.Data.Alerts = adapter.Alerts{C: client, CreatedBy: "console test"}
	app := tui.NewApp(c, Incident(c, alert, d.Report))
	keys := []string{"s", "backspace", "backspace", "4", "5", "m", "enter"}
	for range len("investigating in triage") {
		keys = append(keys, "backspace")
	}
	for _, r := range "rolling back payments" {
		keys = append(keys, string(r))
	}
	keys = append(keys, "enter", "y")
	m := tuitest.Drive(t, app, keys...)
	view := m.(*tui.App).View().Content
	foot := view[strings.LastIndex(view, "\n")+1:]
	if !strings.Contains(foot, "silenced · id") {
		t.Fatalf("footer %q, want the silence id", foot)
	}
	list, err := client.Silences(context.Background(), alertmanager.SilencesFilter{Filter: []string{`test="console-silence"`}})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Comment != "rolling back payments" || list[0].CreatedBy != "console test" {
		t.Fatalf("silences %+v", list)
	}
	if got := list[0].EndsAt.Sub(list[0].StartsAt).Minutes(); got < 44.9 || got > 45.1 {
		t.Errorf("silence lasts %.1f min, want 45", got)
	}
	if !strings.Contains(foot, list[0].ID[:8]) {
		t.Errorf("footer %q does not show id %s", foot, list[0].ID)
	}
}

// With Jaeger as the trace backend, the sources panel names it, and says
// under it how each question Jaeger cannot ask was answered.
func TestSourcesPanelJaegerNotes(t *testing.T) {
	d := tuitest.Fixture(t)
	r := d.Report.Clone()
	r.Sources = append([]triage.SourceStatus(nil), r.Sources...)
	for i := range r.Sources {
		r.Sources[i].LatencyMS = int64(120 * (i + 1))
		if triage.IsTraceSource(r.Sources[i].Name) {
			r.Sources[i].Name = triage.SourceJaeger
			r.Sources[i].Queries = []string{`service=payments limit=1000`, `service=payments tags="error=true" limit=400`}
			r.Sources[i].Notes = []string{
				"failures below payments: Jaeger has no structural search, so triage looked for them in the newest 1000 traces of payments",
				"failed server or consumer spans of payments: error=true found none, so triage looked for failed spans in the newest 1000 traces of payments",
			}
		}
	}
	// At 80×24 the panel ends before the trace source, as it does for
	// Tempo: 120×40 shows it.
	c := testCommon(t, 120, 40)
	app := tui.NewApp(c, Incident(c, d.Alert, r))
	m := tuitest.Drive(t, app, "S")
	view := m.(*tui.App).View().Content
	tuitest.CheckSize(t, view, 120, 40)
	tuitest.Golden(t, "sources_jaeger_120x40", view)
}
