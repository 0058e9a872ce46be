package triage_test

import (
	"bytes"
	"encoding/json"
	"flag"
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

// markdownCases are the reports the golden files show.
func markdownCases(t *testing.T) []struct {
	name string
	r    *triage.Report
	o    triage.MarkdownOptions
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
	hostile.Alert.Name = "*Bold* _it_ `tick`\x1b]52;c;ZXZpbA==\x07"
	hostile.Alert.Scope.Service = "svc\u202eevil"
	hostile.LogPatterns = append([]triage.LogPattern{{Pattern: "a `quoted` line\nwith a newline", Level: "error", Count: 3, Tag: "new",
		Services: []string{"svc"}, SampleTraceIDs: []string{}, Source: "client_miner"}}, hostile.LogPatterns...)
	for i := 0; i < 40; i++ {
		hostile.Users = append(hostile.Users, hostile.Users[0])
	}

	return []struct {
		name string
		r    *triage.Report
		o    triage.MarkdownOptions
	}{
		{"db-region", full, triage.MarkdownOptions{}},
		{"db-region-grafana", full, triage.MarkdownOptions{Grafana: grafana}},
		{"tempo-down-grafana", tempoDown, triage.MarkdownOptions{Grafana: grafana}},
		{"known-empty", empty, triage.MarkdownOptions{}},
		{"hostile", hostile, triage.MarkdownOptions{}},
	}
}

// The markdown report: a Slack message of at most 40 lines with the
// verdict, services, users, the difference, patterns and, with Grafana,
// links; unknown sections say why.
func TestWriteMarkdownGolden(t *testing.T) {
	for _, c := range markdownCases(t) {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := triage.WriteMarkdownWith(&buf, c.r, c.o); err != nil {
				t.Fatal(err)
			}
			got := buf.String()
			if n := strings.Count(got, "\n"); n > triage.MaxMarkdownLines {
				t.Errorf("%d lines, want at most %d", n, triage.MaxMarkdownLines)
			}
			for _, r := range got {
				if r != '\n' && (unicode.IsControl(r) || r == '\u202e') {
					t.Fatalf("control or bidi rune %U in the output", r)
				}
			}
			path := filepath.Join("testdata", "markdown", c.name+".md")
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
				t.Errorf("markdown differs from %s (run with -update and review the diff):\n%s", path, got)
			}
		})
	}
}

// The links open the right datasource on the incident's window.
func TestMarkdownGrafanaLinks(t *testing.T) {
	r := loadReport(t, "db-region.json")
	var buf bytes.Buffer
	if err := triage.WriteMarkdownWith(&buf, r, triage.MarkdownOptions{Grafana: grafana}); err != nil {
		t.Fatal(err)
	}
	var links []string
	for _, l := range strings.Split(buf.String(), "\n") {
		if strings.HasPrefix(l, "*Explore:*") {
			for _, part := range strings.Split(l, "<")[1:] {
				if end := strings.Index(part, "|"); end >= 0 {
					links = append(links, part[:end])
				}
			}
		}
	}
	if len(links) != 4 {
		t.Fatalf("%d links, want 4 (trace, traces, logs, metrics): %q", len(links), links)
	}
	wantUID := []string{"tempo-uid", "tempo-uid", "loki-uid", "prom-uid"}
	for i, l := range links {
		u, err := url.Parse(l)
		if err != nil || u.Host != "grafana.example" || u.Path != "/explore" {
			t.Fatalf("link %q", l)
		}
		var panes map[string]struct {
			Datasource string
			Queries    []map[string]any
			Range      struct{ From, To string }
		}
		if err := json.Unmarshal([]byte(u.Query().Get("panes")), &panes); err != nil {
			t.Fatalf("panes of %q: %v", l, err)
		}
		p := panes["triage"]
		if p.Datasource != wantUID[i] || len(p.Queries) != 1 || p.Range.From == "" {
			t.Errorf("link %d: %+v", i, p)
		}
	}
	// Without Grafana, or for a source without a datasource, no link.
	buf.Reset()
	if err := triage.WriteMarkdownWith(&buf, r, triage.MarkdownOptions{Grafana: triage.Grafana{URL: "https://g", Datasources: map[string]string{"loki": "x"}}}); err != nil {
		t.Fatal(err)
	}
	if strings.Count(buf.String(), "<https://g/explore") != 1 {
		t.Errorf("want exactly the loki link:\n%s", buf.String())
	}
}
