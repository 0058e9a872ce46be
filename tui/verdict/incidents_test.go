package verdict

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/tuitest"
)

// fakeAlerts is an Alertmanager that lists the given alerts, or fails.
type fakeAlerts struct {
	alerts []triage.Alert
	err    error
	calls  atomic.Int32
}

func (f *fakeAlerts) Firing(context.Context) ([]triage.Alert, error) {
	f.calls.Add(1)
	return f.alerts, f.err
}

func (f *fakeAlerts) Silence(context.Context, triage.Alert, time.Duration, string) (string, error) {
	return "", errors.New("no silences in this test")
}

// alerts are the fixture's alert and three others: older, newer and
// resolved.
func alerts(t testing.TB) []triage.Alert {
	f := tuitest.Fixture(t)
	mk := func(name, sev, svc, fp string, ago time.Duration) triage.Alert {
		return triage.Alert{Name: name, Fingerprint: fp, StartsAt: tuitest.Now.Add(-ago),
			Labels:      map[string]string{"alertname": name, "severity": sev, "service_name": svc},
			Annotations: map[string]string{"summary": name + " on " + svc}}
	}
	return []triage.Alert{
		mk("KafkaLag", "warning", "orders-consumer", "fp-kafka", 3*time.Hour+12*time.Minute),
		f.Alert,
		mk("DiskFull", "critical", "ledger-db", "fp-disk", 40*time.Minute),
		mk("CertExpiry", "info", "edge", "fp-cert", 45*time.Second),
	}
}

func resolvedDisk(a triage.Alert) bool { return a.Fingerprint == "fp-disk" }

func TestListGolden(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {120, 40}} {
		name := fmt.Sprintf("list_%dx%d", sz[0], sz[1])
		t.Run(name, func(t *testing.T) {
			c := tuitest.Common(t, sz[0], sz[1])
			status := func(fp string) string {
				if fp == tuitest.Fixture(t).Alert.Fingerprint {
					return "ready"
				}
				return ""
			}
			a := tui.NewApp(c, NewListOf(c, alerts(t), ListOptions{Resolved: resolvedDisk, Status: status}))
			v := view(a)
			tuitest.CheckSize(t, v, sz[0], sz[1])
			tuitest.Golden(t, name, v)
		})
	}
}

// Firing first, newest first, then the resolved; severity, age and the
// pre-warm status are on each row.
func TestListOrder(t *testing.T) {
	c := tuitest.Common(t, 120, 40)
	a := tui.NewApp(c, NewListOf(c, alerts(t), ListOptions{Resolved: resolvedDisk}))
	var names []string
	for _, l := range strings.Split(ansi.Strip(view(a)), "\n") {
		for _, n := range []string{"CertExpiry", "HighErrorRate", "KafkaLag", "DiskFull"} {
			if strings.Contains(l, " "+n+" ") {
				names = append(names, n)
			}
		}
	}
	if got := strings.Join(names, ","); got != "CertExpiry,HighErrorRate,KafkaLag,DiskFull" {
		t.Errorf("order %s", got)
	}
	v := ansi.Strip(view(a))
	for _, want := range []string{"3 firing · 1 resolved", "○ resolved", "▲▲ critical", "▲ warning", "ℹ info", "3h12m", "45s", "orders-consumer", "—"} {
		if !strings.Contains(v, want) {
			t.Errorf("list lacks %q:\n%s", want, v)
		}
	}
}

func TestListOpensTheVerdict(t *testing.T) {
	c := tuitest.Common(t, 80, 24)
	var opened []string
	c.Nav.Verdict = func(a triage.Alert, rep *triage.Report) tui.PageFunc {
		opened = append(opened, fmt.Sprintf("%s report=%v", a.Name, rep != nil))
		return func(context.Context) tui.Page { return stub{a.Name} }
	}
	a := tui.NewApp(c, NewListOf(c, alerts(t), ListOptions{}))
	tuitest.Drive(t, a, "j", "enter")
	if len(opened) != 1 || opened[0] != "HighErrorRate report=false" {
		t.Errorf("enter opened %v, want the second row's verdict without a report", opened)
	}
	if a.Depth() != 2 || !strings.Contains(ansi.Strip(view(a)), "Incidents › HighErrorRate") {
		t.Error("the verdict was not pushed")
	}
	// Filter, then open the match.
	tuitest.Drive(t, a, "esc", "/", "k", "a", "f", "enter", "enter")
	if opened[len(opened)-1] != "KafkaLag report=false" {
		t.Errorf("filtered enter opened %v", opened)
	}
	// Without the verdict page the list says so.
	c2 := tuitest.Common(t, 80, 24)
	a2 := tui.NewApp(c2, NewListOf(c2, alerts(t), ListOptions{}))
	tuitest.Drive(t, a2, "enter")
	if a2.Depth() != 1 || !strings.Contains(lastLine(view(a2)), "not available") {
		t.Errorf("enter without Nav.Verdict: %q", lastLine(view(a2)))
	}
}

func TestListFromAlertmanager(t *testing.T) {
	c := tuitest.Common(t, 80, 24)
	am := &fakeAlerts{alerts: alerts(t)}
	c.Data.Alerts = am
	a := tui.NewApp(c, NewList(c))
	if v := ansi.Strip(view(a)); !strings.Contains(v, "loading alerts") {
		t.Errorf("before the answer: %s", strings.Split(v, "\n")[1])
	}
	tuitest.Run(a, a.Init())
	v := ansi.Strip(view(a))
	if !strings.Contains(v, "4 firing") || !strings.Contains(v, "KafkaLag") || strings.Contains(v, "loading") {
		t.Errorf("after the answer:\n%s", v)
	}
	am.alerts = am.alerts[:1]
	tuitest.Drive(t, a, "r")
	if am.calls.Load() != 2 || !strings.Contains(ansi.Strip(view(a)), "1 firing") {
		t.Errorf("r: %d calls\n%s", am.calls.Load(), ansi.Strip(view(a)))
	}
	// A failure keeps the rows and says why.
	am.err = errors.New("connection refused")
	tuitest.Drive(t, a, "r")
	v = ansi.Strip(view(a))
	if !strings.Contains(v, "✖ alertmanager: connection refused") || !strings.Contains(v, "r retries") || !strings.Contains(v, "KafkaLag") {
		t.Errorf("after a failed refresh:\n%s", v)
	}
	// No alert firing is said plainly.
	am.err, am.alerts = nil, []triage.Alert{}
	tuitest.Drive(t, a, "r")
	if v := ansi.Strip(view(a)); !strings.Contains(v, "no alert is firing") {
		t.Errorf("no alerts:\n%s", v)
	}
}

func TestListSpinnerAndStaleAnswers(t *testing.T) {
	c := tuitest.Common(t, 80, 24)
	c.Data.Alerts = &fakeAlerts{alerts: alerts(t)}
	p := NewList(c)(context.Background()).(*Incidents)
	first := exec(t, p.Init()).(tea.BatchMsg)
	p.Update(exec(t, first[1]))
	if !strings.Contains(ansi.Strip(p.View()), spinner.MiniDot.Frames[0]+" loading alerts") {
		t.Errorf("no spinner after the delay:\n%s", p.View())
	}
	// An answer to an earlier request, or to another list, is dropped.
	other := NewList(c)(context.Background()).(*Incidents)
	otherBatch := exec(t, other.Init()).(tea.BatchMsg)
	p.Update(exec(t, otherBatch[0]))
	second := exec(t, p.reload()).(tea.BatchMsg)
	p.Update(exec(t, first[0]))
	if len(p.alerts) != 0 || !p.load.Loading() {
		t.Error("a stale answer was taken")
	}
	p.Update(exec(t, second[0]))
	if len(p.alerts) != 4 || p.load.Loading() {
		t.Error("the answer was not taken")
	}
}

func TestListWithoutAlertmanager(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {120, 40}} {
		c := tuitest.Common(t, sz[0], sz[1])
		a := tui.NewApp(c, NewList(c))
		tuitest.Run(a, a.Init())
		v := view(a)
		tuitest.CheckSize(t, v, sz[0], sz[1])
		plain := ansi.Strip(v)
		for _, want := range []string{"no Alertmanager configured", "sources.alertmanager.url", "TRIAGE_SOURCES_ALERTMANAGER_URL", "--alertmanager-url", "triage open --alert-file"} {
			if !strings.Contains(plain, want) {
				t.Errorf("%d×%d lacks %q", sz[0], sz[1], want)
			}
		}
		if strings.Contains(lastLine(v), "enter") {
			t.Errorf("the footer offers keys that do nothing: %q", lastLine(v))
		}
		tuitest.Golden(t, fmt.Sprintf("list_no_alertmanager_%dx%d", sz[0], sz[1]), v)
	}
}
