package sim

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzGenerate feeds arbitrary scenarios: Generate either refuses them with
// an error or returns a truth consistent with its own traces.
func FuzzGenerate(f *testing.F) {
	for _, p := range Presets() {
		d := p.Scenario
		f.Add(d.Seed, d.Users, uint16(90), 3.0, d.ErrorService, d.ErrorSegment, d.ErrorRate, d.SlowService, d.SlowSegment, d.NoiseService, d.Planted)
	}
	f.Add(int64(7), 250, uint16(60), 2.0, "inventory", "user.tier=premium", 0.5, "", "", "recommendations", "service.version=9")
	f.Add(int64(-1), 0, uint16(0), 0.0, "", "", 0.0, "", "", "", "")
	f.Add(int64(1), 200, uint16(30), 1.0, "session-cache", "http.route=/login", 1.0, "session-cache", "http.route=/login", "session-cache", "k8s.pod.name=x")
	f.Add(int64(2), 199, uint16(10), -1.0, "mainframe", "=", 2.0, "x", "=x", "y", "==")
	f.Fuzz(func(t *testing.T, seed int64, users int, windowSec uint16, rps float64, errSvc, segment string, rate float64, slowSvc, slowSegment, noiseSvc, planted string) {
		// Keep each run small: a few minutes of traffic at most.
		window := time.Duration(windowSec%300+1) * time.Second
		if rps > 5 {
			rps = 5
		}
		if users > 2000 {
			users = 2000
		}
		sc := Scenario{
			Seed: seed, Users: users, Window: window, IncidentAfter: window / 3, RPS: rps,
			ErrorService: errSvc, ErrorSegment: segment, ErrorRate: rate,
			SlowService: slowSvc, SlowSegment: slowSegment, NoiseService: noiseSvc, Planted: planted,
		}
		inc, err := Generate(sc, testNow)
		if err != nil {
			return
		}
		gt := inc.Truth()
		failed := 0
		for _, u := range gt.Users {
			failed += u.Failed
		}
		if failed > len(gt.FailingTraceIDs) {
			t.Fatalf("users failed %d times in %d failing traces", failed, len(gt.FailingTraceIDs))
		}
		if gt.Culprit != "" && (len(gt.Path) == 0 || gt.Path[len(gt.Path)-1] != gt.Culprit) {
			t.Fatalf("path %v does not end at culprit %s", gt.Path, gt.Culprit)
		}
		if (gt.Kind == "") != (gt.Culprit == "") || gt.Kind == KindLatency && len(gt.FailingTraceIDs) > 0 {
			t.Fatalf("%q incident with culprit %q and %d failing traces", gt.Kind, gt.Culprit, len(gt.FailingTraceIDs))
		}
		if gt.AffectedUsers != len(gt.Users) || gt.Messaging.FailingProducers > len(gt.Messaging.FailingLinks) {
			t.Fatalf("%d affected users listed as %d; %d failing producers of %d links",
				gt.AffectedUsers, len(gt.Users), gt.Messaging.FailingProducers, len(gt.Messaging.FailingLinks))
		}
		if n := len(inc.Logs()); n != gt.LogLines {
			t.Fatalf("%d logs, truth says %d", n, gt.LogLines)
		}
		_ = inc.RuleFile()
		_ = inc.PTraces()
	})
}

// FuzzPatternOf: a template's pattern matches every line printed from it.
func FuzzPatternOf(f *testing.F) {
	f.Add(`level=error msg="timeout acquiring connection from pool after 2000ms (pool=ledger active=50 idle=0 waiters=%d)"`, "37")
	f.Add(`level=info msg="request completed" status=%d duration_ms=%d user=%s`, "u-10001")
	f.Add(`100%% done %q %5.1f %`, "x")
	f.Fuzz(func(t *testing.T, format, arg string) {
		p := patternOf(format)
		if !strings.Contains(format, "%") && p != format {
			t.Fatalf("pattern %q of a constant %q", p, format)
		}
		args := make([]any, strings.Count(format, "%"))
		for k := range args {
			args[k] = arg
		}
		line := fmt.Sprintf(format, args...)
		if strings.Contains(line, "%!") || !utf8.ValidString(format) {
			return // the generator only uses well-formed UTF-8 formats
		}
		re, err := regexp.Compile("^(?s:" + strings.ReplaceAll(regexp.QuoteMeta(p), "<_>", ".*") + ")$")
		if err != nil {
			t.Fatalf("pattern %q: %v", p, err)
		}
		if !re.MatchString(line) {
			t.Fatalf("pattern %q does not match %q printed from %q", p, line, format)
		}
	})
}
