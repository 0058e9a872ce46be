package console

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

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
			{"help_end", []string{"?", "G"}},
			{"sources", []string{"S"}},
			{"sources_tempo", []string{"S", "tab", "tab"}},
			{"palette", []string{":", "t"}},
			// The confirmation, No selected: enter alone does not silence.
			{"silence", []string{"s", "9", "0", "m", "enter", "enter"}},
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
	// At 120×40 the panel shows the trace source without scrolling.
	c := testCommon(t, 120, 40)
	app := tui.NewApp(c, Incident(c, d.Alert, r))
	m := tuitest.Drive(t, app, "S")
	view := m.(*tui.App).View().Content
	tuitest.CheckSize(t, view, 120, 40)
	tuitest.Golden(t, "sources_jaeger_120x40", view)
}

// The silence prompt as a k9s or amtool user expects it: amtool's
// durations, a comment box that starts empty (its placeholder is the
// default), and No as the confirmation's default.
func TestSilencePrompt(t *testing.T) {
	d := tuitest.Fixture(t)
	type result struct {
		created []alertmanager.Silence
		foot    string
	}
	run := func(t *testing.T, setup func(*tui.Common), keys ...string) result {
		t.Helper()
		c := testCommon(t, 100, 30)
		am := alertmanager.NewFake()
		c.Data.Alerts = adapter.Alerts{C: am}
		if setup != nil {
			setup(c)
		}
		app := tui.NewApp(c, Incident(c, d.Alert, d.Report))
		m := tuitest.Drive(t, app, keys...)
		view := m.(*tui.App).View().Content
		return result{am.Created(), ansi.Strip(view[strings.LastIndex(view, "\n")+1:])}
	}
	t.Run("enter at the confirmation is No", func(t *testing.T) {
		r := run(t, nil, "s", "enter", "enter", "enter")
		if len(r.created) != 0 || !strings.Contains(r.foot, "silence cancelled") {
			t.Fatalf("enter, enter, enter posted %d silences; footer %q", len(r.created), r.foot)
		}
	})
	t.Run("the placeholders are the defaults; y posts", func(t *testing.T) {
		r := run(t, nil, "s", "enter", "enter", "y")
		if len(r.created) != 1 || r.created[0].Comment != "investigating in triage" || r.created[0].EndsAt.Sub(r.created[0].StartsAt) != 2*time.Hour {
			t.Fatalf("created %+v", r.created)
		}
	})
	t.Run("typing replaces the placeholder; right then enter is Yes", func(t *testing.T) {
		keys := []string{"s", "1", "d", "enter"}
		for _, r := range "db failover" {
			keys = append(keys, string(r))
		}
		r := run(t, nil, append(keys, "enter", "right", "enter")...)
		if len(r.created) != 1 || r.created[0].Comment != "db failover" || r.created[0].EndsAt.Sub(r.created[0].StartsAt) != 24*time.Hour {
			t.Fatalf("created %+v", r.created)
		}
	})
	t.Run("a bad duration says what is wanted", func(t *testing.T) {
		c := testCommon(t, 100, 30)
		c.Data.Alerts = adapter.Alerts{C: alertmanager.NewFake()}
		app := tui.NewApp(c, Incident(c, d.Alert, d.Report))
		m := tuitest.Drive(t, app, "s", "9", "0", "x", "enter")
		if v := ansi.Strip(m.(*tui.App).View().Content); !strings.Contains(v, "want a duration such as 90m, 2h, 1d or 1w") {
			t.Fatalf("no error for 90x:\n%s", v)
		}
	})
	for _, tc := range []struct {
		name  string
		setup func(*tui.Common)
		want  string
	}{
		{"the demo", func(c *tui.Common) { c.Demo, c.Recorded = true, true }, "not available in the demo"},
		{"a bundle", func(c *tui.Common) { c.Recorded = true }, "not available in a bundle"},
	} {
		t.Run("not in "+tc.name, func(t *testing.T) {
			r := run(t, tc.setup, "s")
			if len(r.created) != 0 || !strings.Contains(r.foot, tc.want) {
				t.Fatalf("%d silences posted; footer %q, want %q", len(r.created), r.foot, tc.want)
			}
		})
	}
}

func TestParseSilenceDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{{"90m", 90 * time.Minute}, {"2h", 2 * time.Hour}, {"1d", 24 * time.Hour},
		{"1w", 7 * 24 * time.Hour}, {"1h30m", 90 * time.Minute}, {" 45m ", 45 * time.Minute}} {
		in, want := tc.in, tc.want
		if got, err := tui.ParseSilenceDuration(in); err != nil || got != want {
			t.Errorf("%q: %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0m", "-1h", "5x", "31d", "1y", "2 h"} {
		if _, err := tui.ParseSilenceDuration(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// The sources panel scrolls, moves a cursor over the queries, and y
// copies the one under it, whole, without its (baseline) tag.
func TestSourcesPanelCopiesTheQuery(t *testing.T) {
	d := tuitest.Fixture(t)
	c := testCommon(t, 80, 24)
	app := tui.NewApp(c, Incident(c, d.Alert, d.Report))
	var tempo []string
	for _, s := range d.Report.Sources {
		if s.Name == triage.SourceTempo {
			tempo = s.Queries
		}
	}
	m := tuitest.Drive(t, app, "S", "tab", "tab", "y")
	foot := ansi.Strip(lastRow(m.(*tui.App).View().Content))
	if !strings.HasPrefix(foot, " copied tempo query: "+tempo[0][:20]) {
		t.Errorf("footer %q, want Tempo's first query copied", foot)
	}
	m = tuitest.Drive(t, m, "G", "y")
	last := tempo[len(tempo)-1]
	if foot := ansi.Strip(lastRow(m.(*tui.App).View().Content)); !strings.Contains(foot, last[:40]) {
		t.Errorf("after G: footer %q, want the last query %q", foot, last)
	}
	// esc closes the panel, and the page has the keys again.
	m = tuitest.Drive(t, m, "esc")
	if v := ansi.Strip(m.(*tui.App).View().Content); strings.Contains(v, "SOURCES") || !strings.Contains(v, "IMPACT") {
		t.Errorf("esc did not close the panel:\n%s", v)
	}
}

func lastRow(v string) string { return v[strings.LastIndex(v, "\n")+1:] }
