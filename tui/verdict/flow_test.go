package verdict

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/tuitest"
)

// The acceptance flow: from the incident list, the logs of the culprit's
// first failing trace are at most four keys away (here: enter, l).
func TestKeysToTheCulpritsLogs(t *testing.T) {
	f := tuitest.Fixture(t)
	want := "Logs " + culpritTrace(t, f.Report) + " span="
	cases := []struct {
		name string
		keys []string
	}{
		{"l", []string{"l"}},
		{"palette", []string{":", "l", "o", "enter"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.keys) > 4 {
				t.Fatalf("%d keys, want at most 4", len(tc.keys))
			}
			a, _, r := finished(t, 80, 24)
			tuitest.Drive(t, a, tc.keys...)
			if r.last() != want {
				t.Errorf("%v pushed %v, want last %q", tc.keys, r.pushes, want)
			}
			if r.ref.Report != f.Report || r.ref.Alert.Fingerprint != f.Alert.Fingerprint {
				t.Error("the logs page did not get the incident")
			}
			if a.Depth() != 2 || !strings.Contains(ansi.Strip(view(a)), "HighErrorRate › "+want[:20]) {
				t.Errorf("breadcrumbs do not show the logs page:\n%s", ansi.Strip(view(a)))
			}
		})
	}
	t.Run("from the incident list", func(t *testing.T) {
		c := tuitest.Common(t, 80, 24)
		r := record(c)
		c.Nav.Verdict = func(a triage.Alert, rep *triage.Report) tui.PageFunc { return New(c, a, rep) }
		other := f.Alert
		other.Name, other.Fingerprint, other.StartsAt = "Older", "old", f.Alert.StartsAt.Add(-3600e9)
		opts := ListOptions{Report: func(fp string) *triage.Report {
			if fp == f.Alert.Fingerprint {
				return f.Report
			}
			return nil
		}}
		a := tui.NewApp(c, NewListOf(c, []triage.Alert{other, f.Alert}, opts))
		tuitest.Drive(t, a, "enter", "l")
		if r.last() != want {
			t.Errorf("enter, l pushed %v, want last %q", r.pushes, want)
		}
		if v := ansi.Strip(view(a)); !strings.Contains(v, "Incidents › HighErrorRate › Logs") {
			t.Errorf("breadcrumbs: %s", strings.SplitN(v, "\n", 2)[0])
		}
	})
	// Through the pages, as the service and trace pages will: enter on the
	// culprit opens its service page in one key.
	t.Run("enter on the culprit", func(t *testing.T) {
		a, _, r := finished(t, 80, 24)
		tuitest.Drive(t, a, "enter")
		if r.last() != "Service "+f.Report.Impact.Culprit {
			t.Errorf("enter pushed %q, want the culprit's service page", r.last())
		}
	})
}

func TestDrillKeys(t *testing.T) {
	for _, tc := range []struct {
		key, want string
	}{
		{"t", `Traces service="ledger-db" user="" failing=false`},
		{"u", "Users"},
	} {
		a, _, r := finished(t, 80, 24)
		tuitest.Drive(t, a, tc.key)
		if r.last() != tc.want {
			t.Errorf("%s pushed %q, want %q", tc.key, r.last(), tc.want)
		}
	}
	// A program without the drill-down pages says so.
	f := tuitest.Fixture(t)
	c := tuitest.Common(t, 80, 24)
	a := tui.NewApp(c, New(c, f.Alert, f.Report))
	for _, k := range []string{"enter", "l", "t", "u"} {
		tuitest.Drive(t, a, k)
		if a.Depth() != 1 || !strings.Contains(ansi.Strip(view(a)), "is not available in this program") {
			t.Errorf("%s without Nav: depth %d, footer %q", k, a.Depth(), lastLine(view(a)))
		}
	}
}

func lastLine(v string) string {
	l := strings.Split(ansi.Strip(v), "\n")
	return l[len(l)-1]
}

func TestCopyTargets(t *testing.T) {
	f := tuitest.Fixture(t)
	a, _, _ := finished(t, 120, 40)
	p := page(t, a)
	traceQL, logQL := failingTraceQL(t, f.Report), incidentLogQL(t, f.Report)
	cases := []struct {
		keys       []string
		label, txt string
	}{
		// No err% was measured: the row's evidence is the traces' TraceQL.
		{nil, "TraceQL of the failing traces", traceQL},
		{[]string{"tab", "j"}, "user id", f.Report.Users[1].ID},
		{[]string{"tab"}, "TraceQL of the failing traces", traceQL},
		{[]string{"tab"}, "LogQL", logQL},
		{[]string{"tab"}, "estimate basis", f.Report.Impact.UsersEstimate.Basis + " — method: " + f.Report.Impact.UsersEstimate.Method},
	}
	for _, tc := range cases {
		tuitest.Drive(t, a, tc.keys...)
		label, txt, ok := p.CopyTarget()
		if !ok || label != tc.label || txt != tc.txt {
			t.Errorf("after %v: copy %q %q %v, want %q %q", tc.keys, label, txt, ok, tc.label, tc.txt)
		}
	}
	// Through the app: y copies and says what.
	tuitest.Drive(t, a, "tab", "y")
	if l := lastLine(view(a)); !strings.Contains(l, "copied TraceQL of the failing traces: { resource.service.name") {
		t.Errorf("y: footer %q", l)
	}
}

// A service with a measured error ratio copies the PromQL behind it.
func TestCopyPromQL(t *testing.T) {
	f := tuitest.Fixture(t)
	rep := f.Report.Clone()
	ratio := 0.42
	rep.Services[0].ErrorRatio = &ratio
	c := tuitest.Common(t, 80, 24)
	a := tui.NewApp(c, New(c, f.Alert, rep))
	label, q, ok := page(t, a).CopyTarget()
	if !ok || label != "PromQL of err%" || !strings.Contains(q, "STATUS_CODE_ERROR") || !strings.Contains(q, ") / (") {
		t.Errorf("copy %q %q %v, want the error-ratio PromQL", label, q, ok)
	}
	if v := ansi.Strip(view(a)); !regexp.MustCompile(`ledger-db \(peer\) +culprit +42\.0 `).MatchString(v) {
		t.Errorf("err%% not shown:\n%s", v)
	}
}

func TestExploreLinks(t *testing.T) {
	f := tuitest.Fixture(t)
	a, c, _ := finished(t, 120, 40)
	p := page(t, a)
	if _, ok := p.ExploreLink(); ok {
		t.Error("a link without grafana.url")
	}
	tuitest.Drive(t, a, "o")
	if l := lastLine(view(a)); !strings.Contains(l, "no Grafana link") {
		t.Errorf("o without Grafana: %q", l)
	}
	c.Grafana = tui.Grafana{URL: "https://grafana.example/g/", Datasources: map[string]string{"prometheus": "P1", "loki": "L1", "tempo": "T1"}}
	cases := []struct {
		keys     []string
		uid, typ string
		query    string
	}{
		{nil, "T1", "tempo", failingTraceQL(t, f.Report)},
		{[]string{"tab"}, "T1", "tempo", f.Report.Users[0].TraceIDs[0]},
		{[]string{"tab", "tab"}, "L1", "loki", incidentLogQL(t, f.Report)},
	}
	for _, tc := range cases {
		tuitest.Drive(t, a, tc.keys...)
		link, ok := p.ExploreLink()
		if !ok {
			t.Fatalf("after %v: no link", tc.keys)
		}
		pane := decodePane(t, link)
		q := pane.Queries[0]
		if pane.Datasource != tc.uid || q.Datasource.Type != tc.typ || q.Expr+q.Query != tc.query {
			t.Errorf("after %v: %+v, want %s %s %q", tc.keys, pane, tc.uid, tc.typ, tc.query)
		}
		if !strings.HasPrefix(link, "https://grafana.example/g/explore?schemaVersion=1&panes=") {
			t.Errorf("link %q", link)
		}
	}
	// No uid for a source: no link rather than a broken one.
	c.Grafana.Datasources = map[string]string{"prometheus": "P1"}
	if _, ok := p.ExploreLink(); ok {
		t.Error("a link without the datasource's uid")
	}
}

func decodePane(t *testing.T, link string) explorePane {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	var panes map[string]explorePane
	if err := json.Unmarshal([]byte(u.Query().Get("panes")), &panes); err != nil {
		t.Fatalf("panes of %q: %v", link, err)
	}
	if len(panes) != 1 || len(panes["triage"].Queries) != 1 {
		t.Fatalf("panes %+v", panes)
	}
	return panes["triage"]
}

// failingTraceQL is the search that found the scope's failing requests.
func failingTraceQL(t *testing.T, r *triage.Report) string {
	t.Helper()
	st, _ := sourceStatus(r, triage.SourceTempo)
	for _, q := range st.Queries {
		if strings.Contains(q, "(kind = server || kind = consumer) && status = error }") && !strings.HasSuffix(q, "(baseline)") {
			return q
		}
	}
	t.Fatalf("no failing-trace search among %q", st.Queries)
	return ""
}

// incidentLogQL is Loki's query over the incident window, not the
// baseline's.
func incidentLogQL(t *testing.T, r *triage.Report) string {
	t.Helper()
	st, _ := sourceStatus(r, triage.SourceLoki)
	for _, q := range st.Queries {
		if !strings.HasSuffix(q, "(baseline)") {
			return q
		}
	}
	t.Fatalf("no incident LogQL among %q", st.Queries)
	return ""
}

// explorePane is an Explore link's pane as Grafana reads it.
type explorePane struct {
	Datasource string `json:"datasource"`
	Queries    []struct {
		RefID      string `json:"refId"`
		Datasource struct {
			Type string `json:"type"`
			UID  string `json:"uid"`
		} `json:"datasource"`
		Expr      string `json:"expr"`
		Query     string `json:"query"`
		QueryType string `json:"queryType"`
	} `json:"queries"`
	Range struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"range"`
}
