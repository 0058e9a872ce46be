package triage_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/triagectl/triage/triage"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files")

// loadReport reads a recorded report: db-region.json is the demo
// incident's, as the live backends gave it.
func loadReport(t *testing.T, name string) *triage.Report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "report", name))
	if err != nil {
		t.Fatal(err)
	}
	var r triage.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

var grafana = triage.Grafana{URL: "https://grafana.example/",
	Datasources: map[string]string{"prometheus": "prom-uid", "loki": "loki-uid", "tempo": "tempo-uid"}}

// reportCases are the reports the golden files show.
func reportCases(t *testing.T) []struct {
	name string
	r    *triage.Report
	o    triage.ReportOptions
} {
	full := loadReport(t, "db-region.json")

	tempoDown := full.Clone()
	for i := range tempoDown.Sources {
		if tempoDown.Sources[i].Name == triage.SourceTempo {
			tempoDown.Sources[i].State, tempoDown.Sources[i].Error, tempoDown.Sources[i].ErrorKind =
				triage.StateFailed, "context deadline exceeded after 10s", "timeout"
		}
	}
	tempoDown.Services, tempoDown.Users, tempoDown.Differences, tempoDown.Traces = nil, nil, nil, nil
	imp := *tempoDown.Impact
	imp.UsersEstimate, imp.UsersSeen, imp.Culprit = nil, nil, ""
	tempoDown.Impact = &imp

	empty := full.Clone()
	empty.Services, empty.Users, empty.Differences, empty.LogPatterns = []triage.ServiceRank{}, []triage.UserImpact{}, []triage.Difference{}, []triage.LogPattern{}

	hostile := full.Clone()
	hostile.Alert.Name = "*Bold* _it_ `tick` <!channel> [x](http://evil) $x$ a|b\x1b]52;c;ZXZpbA==\x07"
	hostile.Alert.Scope.Service = "svc\u202eevil"
	hostile.LogPatterns = append([]triage.LogPattern{{Pattern: "a `quoted` | piped line\nwith a newline <@U123>", Level: "error", Count: 3, Tag: "new",
		Services: []string{"svc"}, SampleTraceIDs: []string{}, Source: "client_miner"}}, hostile.LogPatterns...)
	hostile.Services = append([]triage.ServiceRank{{Name: "pipe|d <b>svc</b>", Role: triage.RoleImpacted, Evidence: []string{}}}, hostile.Services...)
	for i := 0; i < 40; i++ {
		hostile.Users = append(hostile.Users, hostile.Users[0])
	}

	demo := full.Clone()
	demo.Demo = true
	for i := 0; i < 8; i++ {
		s := full.Services[len(full.Services)-1]
		s.Name = fmt.Sprintf("%s-%d", s.Name, i)
		demo.Services = append(demo.Services, s)
	}

	return []struct {
		name string
		r    *triage.Report
		o    triage.ReportOptions
	}{
		{"db-region", full, triage.ReportOptions{}},
		{"db-region-grafana", full, triage.ReportOptions{Grafana: grafana}},
		{"tempo-down-grafana", tempoDown, triage.ReportOptions{Grafana: grafana}},
		{"known-empty", empty, triage.ReportOptions{}},
		{"hostile", hostile, triage.ReportOptions{}},
		{"demo-many-services", demo, triage.ReportOptions{}},
	}
}

// formats are the report writers the goldens cover, by directory.
var formats = []struct {
	dir, ext string
	write    func(w io.Writer, r *triage.Report, o triage.ReportOptions) error
}{
	{"markdown", ".md", triage.WriteMarkdownWith},
	{"slack", ".txt", triage.WriteSlack},
	{"text", ".txt", triage.WriteText},
}

// The text, markdown and Slack reports of each case, against their
// golden files: the verdict, services, users, the difference, patterns,
// traces and, with Grafana, links; unknown sections say why, and each
// section says what it leaves out. No control or bidi rune survives.
func TestReportGoldens(t *testing.T) {
	for _, f := range formats {
		for _, c := range reportCases(t) {
			t.Run(f.dir+"/"+c.name, func(t *testing.T) {
				var buf bytes.Buffer
				if err := f.write(&buf, c.r, c.o); err != nil {
					t.Fatal(err)
				}
				got := buf.String()
				if n := strings.Count(got, "\n"); f.dir == "slack" && n > triage.MaxSlackLines {
					t.Errorf("%d lines, want at most %d", n, triage.MaxSlackLines)
				}
				for _, r := range got {
					if r != '\n' && (unicode.IsControl(r) || r == '\u202e') {
						t.Fatalf("control or bidi rune %U in the output", r)
					}
				}
				path := filepath.Join("testdata", f.dir, c.name+f.ext)
				if *updateGolden {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run with -update)", err)
				}
				if got != string(want) {
					t.Errorf("output differs from %s (run with -update and review the diff):\n%s", path, got)
				}
			})
		}
	}
}

// Each report says what it leaves out, and a demo says it is one.
func TestReportsSayWhatTheyLeaveOut(t *testing.T) {
	var demo *triage.Report
	for _, c := range reportCases(t) {
		if c.name == "demo-many-services" {
			demo = c.r
		}
	}
	users, patterns := len(demo.Users), len(demo.LogPatterns)
	want := map[string][]string{
		"markdown": {"> **DEMO**", "_+4 more services: recommendations-4, recommendations-5, recommendations-6, recommendations-7_", fmt.Sprintf("_+%d more users_", users-5), fmt.Sprintf("_+%d more patterns_", patterns-5)},
		"slack":    {"*DEMO*", "+9 more services: recommendations, recommendations-0,", fmt.Sprintf("+%d more users", users-5), fmt.Sprintf("+%d more patterns", patterns-3)},
		"text":     {"DEMO —", "+4 more services: recommendations-4, recommendations-5, recommendations-6, recommendations-7\n", fmt.Sprintf("+%d more users", users-5), fmt.Sprintf("+%d more patterns", patterns-5)},
	}
	for _, f := range formats {
		var buf bytes.Buffer
		if err := f.write(&buf, demo, triage.ReportOptions{}); err != nil {
			t.Fatal(err)
		}
		for _, w := range want[f.dir] {
			if !strings.Contains(buf.String(), w) {
				t.Errorf("%s lacks %q:\n%s", f.dir, w, buf.String())
			}
		}
	}
}

// The markdown's tables keep their shape whatever the strings hold: every
// row has the header's columns (a pipe in a name is escaped), and nothing
// from the alert becomes a link, a mention or HTML.
func TestMarkdownTablesHold(t *testing.T) {
	for _, c := range reportCases(t) {
		var buf bytes.Buffer
		if err := triage.WriteMarkdownWith(&buf, c.r, c.o); err != nil {
			t.Fatal(err)
		}
		cols := -1
		for _, l := range strings.Split(buf.String(), "\n") {
			if !strings.HasPrefix(l, "|") {
				cols = -1
				continue
			}
			n := strings.Count(l, "|") - strings.Count(l, "\\|")
			if cols < 0 {
				cols = n
			} else if n != cols {
				t.Errorf("%s: row %q has %d cells' pipes, the header %d", c.name, l, n, cols)
			}
		}
		if c.name == "hostile" {
			out := buf.String()
			for _, bad := range []string{"<!channel>", "<b>", "[x](http://evil)", " $x$"} {
				if strings.Contains(out, bad) {
					t.Errorf("hostile markup %q survived:\n%s", bad, out)
				}
			}
		}
	}
	var buf bytes.Buffer
	for _, c := range reportCases(t) {
		if c.name == "hostile" {
			if err := triage.WriteSlack(&buf, c.r, c.o); err != nil {
				t.Fatal(err)
			}
		}
	}
	if strings.Contains(buf.String(), "<!channel>") || strings.Contains(buf.String(), "<@U123>") {
		t.Errorf("a Slack mention survived:\n%s", buf.String())
	}
}

// The links open the right datasource on the incident's window, in every
// format: Slack's <url|text>, markdown's [text](url) and the text's list.
func TestGrafanaLinks(t *testing.T) {
	r := loadReport(t, "db-region.json")
	links := triage.EvidenceLinks(r, grafana)
	if len(links) != 4 {
		t.Fatalf("%d links, want 4 (trace, traces, logs, metrics): %+v", len(links), links)
	}
	wantUID := []string{"tempo-uid", "tempo-uid", "loki-uid", "prom-uid"}
	for i, l := range links {
		u, err := url.Parse(l.URL)
		if err != nil || u.Host != "grafana.example" || u.Path != "/explore" {
			t.Fatalf("link %q", l.URL)
		}
		var panes map[string]struct {
			Datasource string
			Queries    []map[string]any
			Range      struct{ From, To string }
		}
		if err := json.Unmarshal([]byte(u.Query().Get("panes")), &panes); err != nil {
			t.Fatalf("panes of %q: %v", l.URL, err)
		}
		p := panes["triage"]
		if p.Datasource != wantUID[i] || len(p.Queries) != 1 || p.Range.From == "" {
			t.Errorf("link %d: %+v", i, p)
		}
	}
	for _, f := range formats {
		var buf bytes.Buffer
		if err := f.write(&buf, r, triage.ReportOptions{Grafana: grafana}); err != nil {
			t.Fatal(err)
		}
		for _, l := range links {
			shape := map[string]string{"slack": "<" + l.URL + "|", "markdown": "(" + l.URL + ")", "text": ": " + l.URL}[f.dir]
			if !strings.Contains(buf.String(), shape) {
				t.Errorf("%s lacks the %s link as %.60s…", f.dir, l.Title, shape)
			}
		}
	}
	// Without Grafana, or for a source without a datasource, no link.
	if l := triage.EvidenceLinks(r, triage.Grafana{URL: "https://g", Datasources: map[string]string{"loki": "x"}}); len(l) != 1 || l[0].Source != "loki" {
		t.Errorf("want exactly the loki link: %+v", l)
	}
	if l := triage.EvidenceLinks(r, triage.Grafana{}); l != nil {
		t.Errorf("links without Grafana: %+v", l)
	}
}
