package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/triagectl/triage/internal/demo"
)

// The version: the ldflags value, else the module version `go install
// …@v1.2.0` records, with the commit a checkout's build records.
func TestVersionOf(t *testing.T) {
	vcs := []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}}
	cases := []struct {
		name, ldflags string
		info          *debug.BuildInfo
		want          string
	}{
		{"ldflags", "v1.4.0", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "v1.4.0"},
		{"go install @v1.2.0", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.0"}}, "v1.2.0"},
		{"checkout", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs}, "dev (commit 0123456789ab, 2026-12-01T10:00:00Z)"},
		{"modified checkout", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: append(vcs, debug.BuildSetting{Key: "vcs.modified", Value: "true"})}, "dev (commit 0123456789ab, 2026-12-01T10:00:00Z, modified)"},
		{"pseudo-version names its commit", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261201100000-0123456789ab"}, Settings: vcs},
			"v0.0.0-20261201100000-0123456789ab"},
		{"nothing known", "", nil, "dev"},
	}
	for _, c := range cases {
		if got := versionOf(c.ldflags, c.info); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// A mistyped flag, an old flag name mistyped, a flag written as a word and
// a mistyped command each name the one meant.
func TestSuggestions(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"report", "--dmeo"}, "did you mean --demo?"},
		{[]string{"report", "--fromat", "json"}, "did you mean --output?"},
		{[]string{"record", "--otput", "x"}, "did you mean --file?"},
		{[]string{"report", "demo"}, "did you mean --demo?"},
		{[]string{"reprot"}, `did you mean "report"?`},
		{[]string{"store", "chekc"}, `did you mean "check"?`},
		{[]string{"check", "--zzzzzz"}, "run 'triage check --help' for its flags"},
	}
	for _, c := range cases {
		_, errOut, code := runCLI(t, c.args...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q: want %q", c.args, code, errOut, c.want)
		}
	}
}

// Without a terminal the console commands say what prints instead, not
// the terminal library's /dev/tty error.
func TestConsoleNeedsTerminal(t *testing.T) {
	b := filepath.Join(t.TempDir(), "demo.bundle")
	if err := os.WriteFile(b, demo.Bundle(), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string][]string{
		"triage report --demo":   {"demo"},
		"triage report --bundle": {"open", "--bundle", b},
		"triage incidents":       {"--alertmanager-url", "http://127.0.0.1:1"},
	}
	for want, args := range cases {
		_, errOut, code := runCLI(t, args...)
		if code != 2 || !strings.Contains(errOut, "needs a terminal; use `"+want) {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}

// Every command's help carries examples.
func TestHelpHasExamples(t *testing.T) {
	a := &cli{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if !c.Hidden && c.Name() != "help" && c.Name() != "completion" && c.Parent() != nil && c.Parent().Name() != "completion" {
			if !strings.Contains(c.Example, c.Root().Name()) {
				t.Errorf("%s: no example", c.CommandPath())
			}
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	root := a.rootCommand()
	root.InitDefaultHelpCmd()
	walk(root)
	out, _, _ := runCLI(t, "report", "--help")
	if !strings.Contains(out, "Examples:\n  triage report --demo") {
		t.Errorf("report --help:\n%s", out)
	}
}

var latency = regexp.MustCompile(`"latency_ms":[0-9.]+,?`)

// -o json and yaml on check, config, incidents and report parse as the
// same document; a format a command does not offer is refused, naming the
// ones it does.
func TestOutputFormats(t *testing.T) {
	prom := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/api/v1/status/buildinfo" {
			_, _ = w.Write([]byte(`{"status":"success","data":{"version":"3.16.0"}}`))
			return
		}
		_, _ = w.Write([]byte(`{"status":"success","data":[]}`))
	}))
	defer prom.Close()
	runs := map[string][]string{
		"check":     {"check", "--prometheus-url", prom.URL},
		"config":    {"config", "--prometheus-url", prom.URL},
		"incidents": {"incidents", "--demo"},
		"report":    {"report", "--demo", "--recorded"},
	}
	for name, args := range runs {
		j, errOut, code := runCLI(t, append(args, "-o", "json")...)
		if code != 0 {
			t.Fatalf("%s -o json: exit %d: %s", name, code, errOut)
		}
		y, errOut, code := runCLI(t, append(args, "-o", "yaml")...)
		if code != 0 {
			t.Fatalf("%s -o yaml: exit %d: %s", name, code, errOut)
		}
		var fromJSON, fromYAML any
		if err := json.Unmarshal([]byte(j), &fromJSON); err != nil {
			t.Fatalf("%s: not JSON: %v\n%s", name, err, j)
		}
		if err := yaml.Unmarshal([]byte(y), &fromYAML); err != nil {
			t.Fatalf("%s: not YAML: %v\n%s", name, err, y)
		}
		a, _ := json.Marshal(fromJSON)
		b, _ := json.Marshal(fromYAML)
		if name == "check" {
			// Two probes, two latencies.
			a, b = latency.ReplaceAll(a, nil), latency.ReplaceAll(b, nil)
		}
		if string(a) != string(b) {
			t.Errorf("%s: the YAML is not the JSON's document:\n%.400s\n%.400s", name, a, b)
		}
	}
	var check struct {
		Sources []struct {
			Name, State, Version string
			LatencyMS            *float64 `json:"latency_ms"`
		}
	}
	out, _, _ := runCLI(t, "check", "--prometheus-url", prom.URL, "-o", "json")
	if err := json.Unmarshal([]byte(out), &check); err != nil || check.Sources[0].Name != "prometheus" || check.Sources[0].State != "ok" ||
		check.Sources[0].Version != "3.16.0" || check.Sources[0].LatencyMS == nil || check.Sources[1].LatencyMS != nil {
		t.Errorf("check -o json: %v\n%s", err, out)
	}
	if _, errOut, code := runCLI(t, "config", "-o", "slack"); code != 2 || !strings.Contains(errOut, `-o "slack": expected yaml or json`) {
		t.Errorf("config -o slack: exit %d, %q", code, errOut)
	}
}
