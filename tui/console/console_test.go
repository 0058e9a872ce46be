package console

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/triagectl/triage/themes"
	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/tuitest"
)

func testCommon(t *testing.T, w, h int) *tui.Common {
	t.Helper()
	d := tuitest.Fixture(t)
	c, err := NewCommon(context.Background(), Options{Theme: themes.Dark(), Data: tui.Data{Sources: d.Sources(), Options: d.Options},
		Now: func() time.Time { return tuitest.Now }})
	if err != nil {
		t.Fatal(err)
	}
	c.Width, c.Height = w, h
	return c
}

// From the verdict, the logs of the culprit service's first failing trace
// are at most four keystrokes away, through every real page: the direct
// key, and the long way down the stack (service, trace, span).
func TestVerdictToCulpritLogs(t *testing.T) {
	d := tuitest.Fixture(t)
	for _, tc := range []struct {
		name string
		keys []string
		want int // stack depth at the logs page
	}{
		{"direct", []string{"l"}, 2},
		{"down the stack: service, trace, span", []string{"enter", "enter", "enter"}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testCommon(t, 120, 40)
			app := tui.NewApp(c, Incident(c, d.Alert, d.Report))
			m := tuitest.Run(app, app.Init())
			m = tuitest.Drive(t, m, tc.keys...)
			a := m.(*tui.App)
			if a.Depth() != tc.want || a.Top().Title() != "logs" {
				t.Fatalf("after %v: depth %d, top %q; want the logs page at depth %d\n%s", tc.keys, a.Depth(), a.Top().Title(), tc.want, a.Top().View())
			}
			view := a.Top().View()
			if !strings.Contains(view, "error") {
				t.Errorf("the culprit trace's logs show no error line:\n%s", view)
			}
		})
	}
}

// Data carrying clipboard writes, title changes, cursor moves, C1
// controls and bidi overrides goes through a real program: none of it
// reaches the terminal as a control, and it is shown as visible text.
func TestProgramOutputCarriesNoInjectedEscapes(t *testing.T) {
	d := tuitest.Fixture(t)
	inject := map[string]string{
		"osc52":  "\x1b]52;c;ZXZpbA==\x07",
		"title":  "\x1b]0;pwned\x07",
		"cursor": "\x1b[2J\x1b[H",
		"c1":     "\u009b31m",
		"bidi":   "\u202eevil",
		"dcs":    "\x1bP+q544e\x1b\\",
	}
	all := ""
	for _, v := range inject {
		all += v
	}
	alert := d.Alert
	alert.Annotations = map[string]string{"summary": "sum" + all}
	alert.Labels = map[string]string{"alertname": d.Alert.Name + inject["title"], "service": d.Alert.Labels["service"], "severity": "critical" + inject["c1"]}
	alert.Name += inject["title"]
	r := d.Report.Clone()
	r.Users = append([]triage.UserImpact(nil), r.Users...)
	r.Users[0].ID = "u-1" + inject["osc52"]
	r.LogPatterns = append([]triage.LogPattern(nil), r.LogPatterns...)
	r.LogPatterns[0].Pattern = "pool" + inject["cursor"] + inject["bidi"]
	r.Differences = append([]triage.Difference(nil), r.Differences...)
	r.Differences[0].Value = "eu" + inject["dcs"]

	c := testCommon(t, 100, 30)
	var out syncBuffer
	p := Program(context.Background(), c, Incident(c, alert, r), strings.NewReader(""), &out,
		tea.WithWindowSize(100, 30), tea.WithoutSignals())
	done := make(chan error, 1)
	go func() { _, err := p.Run(); done <- err }()
	// Walk every section and open help and the sources panel, so each
	// string is drawn.
	for _, k := range []string{"tab", "j", "tab", "j", "tab", "?", "esc", "S", "esc", "u"} {
		p.Send(tuitest.Press(k))
	}
	// Quit once the users page has drawn the injected user id as text.
	waitOutput(t, &out, `u-1\x1b]52`)
	p.Quit()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("program did not quit")
	}
	raw := out.String()
	for name, v := range inject {
		if strings.Contains(raw, v) {
			t.Errorf("%s injection reached the terminal raw: %q", name, v)
		}
	}
	for _, bad := range []string{"\x1b]52", "\x1b]0;", "\x1bP", "\u009b", "\u202e"} {
		if strings.Contains(raw, bad) {
			t.Errorf("output carries %q", bad)
		}
	}
	if !strings.Contains(raw, `\x1b]52;c;`) && !strings.Contains(raw, `\x1b]52`) {
		t.Errorf("the clipboard write is not shown as visible text")
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
