package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/triagectl/triage/internal/demo"
	"github.com/triagectl/triage/sources/bundle"
	"github.com/triagectl/triage/sources/sourcestest"
	"github.com/triagectl/triage/triage"
)

// reportOf decodes a JSON report, without its source latencies: a replay
// measures itself, not the backends.
func reportOf(t *testing.T, out string) triage.Report {
	t.Helper()
	var r triage.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not a JSON report: %v\n%s", err, out)
	}
	for i := range r.Sources {
		r.Sources[i].LatencyMS = 0
		if r.Sources[i].State == triage.StateSlow {
			r.Sources[i].State = triage.StateOK
		}
	}
	return r
}

func sameReport(t *testing.T, got, want triage.Report) {
	t.Helper()
	g, _ := json.MarshalIndent(got, "", " ")
	w, _ := json.MarshalIndent(want, "", " ")
	if string(g) == string(w) {
		return
	}
	gl, wl := strings.Split(string(g), "\n"), strings.Split(string(w), "\n")
	for i := range min(len(gl), len(wl)) {
		if gl[i] != wl[i] {
			t.Errorf("reports differ at line %d:\n got %s\nwant %s", i+1, gl[i], wl[i])
			return
		}
	}
	t.Errorf("reports differ in length: %d and %d lines", len(gl), len(wl))
}

// With every source down, record still writes the bundle (it records why),
// says so on stderr and exits 1; the bundle replays to the same report.
func TestRecordSourcesDown(t *testing.T) {
	dir := t.TempDir()
	alert := filepath.Join(dir, "alert.json")
	if err := os.WriteFile(alert, []byte(webhook), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "incident.bundle")
	down := func() string { return "http://" + sourcestest.ClosedAddr(t) }
	_, errOut, code := runCLI(t, "record", "--alert-file", alert, "-f", out,
		"--prometheus-url", down(), "--loki-url", down(), "--tempo-url", down())
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr %s", code, errOut)
	}
	first := strings.SplitN(errOut, "\n", 2)[0]
	for _, want := range []string{"recorded HighErrorRate", out, "prometheus failed", "tempo failed"} {
		if !strings.Contains(first, want) {
			t.Errorf("summary %q lacks %q", first, want)
		}
	}
	b, err := bundle.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if b.Len() == 0 {
		t.Fatal("no exchange recorded")
	}
	if e, err := b.Exchange(0); err != nil || e.ErrorKind != "unreachable" {
		t.Errorf("first exchange %+v (%v): want the refused connection", e, err)
	}
	recorded, _, code := runCLI(t, "report", "--bundle", out, "--recorded", "-o", "json")
	if code != 0 {
		t.Fatalf("report --recorded: exit %d", code)
	}
	replayed, errOut, code := runCLI(t, "report", "--bundle", out, "-o", "json")
	if code != 1 || !strings.Contains(errOut, "every source failed") {
		t.Fatalf("replay: exit %d, stderr %q", code, errOut)
	}
	sameReport(t, reportOf(t, replayed), reportOf(t, recorded))
	if r := reportOf(t, replayed); r.Sources[0].ErrorKind != "unreachable" {
		t.Errorf("replayed source %+v", r.Sources[0])
	}
}

func TestRecordNeedsOutput(t *testing.T) {
	_, errOut, code := runCLI(t, "record", "--alert-file", "x.json")
	if code == 0 || !strings.Contains(errOut, "-f FILE is required") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

// The demo's report, as recorded, in markdown and in Slack's mrkdwn: both
// marked DEMO, the Slack one within a chat message.
func TestReportDemoMarkdown(t *testing.T) {
	cases := map[string][]string{
		"markdown": {"## HighErrorRate", "> **DEMO**", "**Culprit:** payments → ledger-db (timeout)", "### What's different", "### Log patterns"},
		"slack":    {"*DEMO*", "*HighErrorRate*", "*Verdict:* culprit: payments → ledger-db (timeout)", "*Different:*", "*Log patterns*"},
	}
	for format, wants := range cases {
		out, errOut, code := runCLI(t, "report", "--demo", "--recorded", "-o", format)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", format, code, errOut)
		}
		for _, want := range wants {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q:\n%s", format, want, out)
			}
		}
		if n := strings.Count(out, "\n"); format == "slack" && n > triage.MaxSlackLines {
			t.Errorf("%d lines", n)
		}
	}
}

// report --demo replays the investigation offline, at once, and finds what
// the live one found; its report is marked as the demo's.
func TestReportDemoReplays(t *testing.T) {
	out, errOut, code := runCLI(t, "report", "--demo", "-o", "json")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	b, err := demo.Open()
	if err != nil {
		t.Fatal(err)
	}
	want := b.Report.Clone()
	want.Demo = true
	w, _ := json.Marshal(want)
	sameReport(t, reportOf(t, out), reportOf(t, string(w)))
	// At once, the sources keep the latencies and slow marks the backends
	// had: the report is the recorded one, byte for byte.
	recorded, _, _ := runCLI(t, "report", "--demo", "--recorded", "-o", "json")
	if out != recorded {
		t.Error("the replay at once differs from the recorded report")
	}
}

// A damaged or foreign file is refused with the problem named.
func TestReportBadBundle(t *testing.T) {
	dir := t.TempDir()
	good := demo.Bundle()
	cases := map[string]struct {
		data []byte
		says string
	}{
		"cut":     {good[:len(good)/2], "truncated bundle"},
		"text":    {[]byte("not a bundle\n"), "not an incident bundle"},
		"flipped": {append(append([]byte{}, good[:len(good)-6]...), 0, 0, 0, 0, 0, 0), "corrupted bundle"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name+".bundle")
			if err := os.WriteFile(path, c.data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, errOut, code := runCLI(t, "report", "--bundle", path)
			if code != 2 || !strings.Contains(errOut, c.says) || !strings.Contains(errOut, path) {
				t.Fatalf("exit %d, stderr %q: want %q naming the file", code, errOut, c.says)
			}
		})
	}
}

func TestReportBundleFlagsExclusive(t *testing.T) {
	for _, args := range [][]string{
		{"report", "--demo", "--bundle", "x"},
		{"report", "--demo", "--alert-file", "x"},
		{"report", "--recorded", "--alert-file", "x"},
	} {
		_, errOut, code := runCLI(t, args...)
		if code == 0 || !strings.Contains(errOut, "--") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}
