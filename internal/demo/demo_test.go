package demo_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/triagectl/triage/internal/app"
	"github.com/triagectl/triage/internal/demo"
	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/sources/bundle"
	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/console"
	"github.com/triagectl/triage/tui/tuitest"
	"github.com/triagectl/triage/tui/tuitest/agree"
)

// The embedded demo is a complete bundle, small enough, and tells the
// whole story.
func TestEmbeddedDemoIsRich(t *testing.T) {
	b, err := demo.Open()
	if err != nil {
		t.Fatal(err)
	}
	checkRich(t, b, len(demo.Bundle()))
}

// Every drill-down of the console answers offline: each failing trace, its
// logs, and each service's series.
func TestEmbeddedDemoDrillDown(t *testing.T) {
	b, err := demo.Open()
	if err != nil {
		t.Fatal(err)
	}
	checkDrillDown(t, b)
}

// The engine, replayed over the demo through the real clients, finds what
// it found live.
func TestEmbeddedDemoReplays(t *testing.T) {
	if testing.Short() {
		t.Skip("replays at the recorded pace")
	}
	b, err := demo.Open()
	if err != nil {
		t.Fatal(err)
	}
	rp, err := app.ReplaySources(b, bundle.ReplayOptions{Pace: true})
	if err != nil {
		t.Fatal(err)
	}
	r, err := rp.Investigate(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if m := rp.Replay.Missed(); len(m) > 0 {
		t.Errorf("replay asked %d unrecorded requests, first %s", len(m), m[0])
	}
	if got, want := reportJSON(t, r), reportJSON(t, b.Report); got != want {
		t.Error("the replayed report differs from the recorded one")
	}
}

// reportJSON is the report without its source latencies: a replay
// measures itself, not the backends.
func reportJSON(t *testing.T, r *triage.Report) string {
	t.Helper()
	c := r.Clone()
	for i := range c.Sources {
		c.Sources[i].LatencyMS = 0
		if c.Sources[i].State == triage.StateSlow {
			c.Sources[i].State = triage.StateOK
		}
	}
	out, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// checkRich asserts what the demo must show: a culprit behind an
// uninstrumented database, propagation through at least two services, at
// least 40 affected users across tiers, the planted difference, log
// patterns, and span links.
func checkRich(t *testing.T, b *bundle.Bundle, size int) {
	t.Helper()
	if size > demo.MaxBytes {
		t.Errorf("bundle is %d bytes, over the %d limit", size, demo.MaxBytes)
	}
	if !b.Header.Demo {
		t.Error("header does not mark the bundle as the demo")
	}
	r := b.Report
	if r == nil {
		t.Fatal("no report")
	}
	for _, s := range r.Sources {
		if s.State != triage.StateOK && s.State != triage.StateSlow {
			t.Errorf("source %s: %s %s", s.Name, s.State, s.Error)
		}
	}
	if len(r.Services) == 0 || r.Services[0].Role != triage.RoleCulprit || !r.Services[0].Uninstrumented {
		t.Errorf("top service %+v: want an uninstrumented culprit", first(r.Services))
	}
	propagating := 0
	for _, s := range r.Services {
		if s.Role == triage.RolePropagating {
			propagating++
		}
	}
	if propagating < 2 {
		t.Errorf("%d propagating services, want at least 2", propagating)
	}
	failed, tiers := 0, map[string]bool{}
	for _, u := range r.Users {
		if u.Failed > 0 {
			failed++
			tiers[u.Attributes["user.tier"]] = true
		}
	}
	if failed < 40 || len(tiers) < 2 {
		t.Errorf("%d users with failures in tiers %v: want at least 40 across tiers", failed, tiers)
	}
	planted := false
	for _, d := range r.Differences {
		if d.Attribute == "k8s.node.name" && d.Value == "node-7" {
			planted = true
		}
	}
	if len(r.Differences) == 0 || !planted {
		t.Errorf("differences %+v: want the planted k8s.node.name=node-7", r.Differences)
	}
	culpritPattern := false
	for _, p := range r.LogPatterns {
		culpritPattern = culpritPattern || strings.Contains(p.Pattern, "timeout acquiring connection")
	}
	if len(r.LogPatterns) < 3 || !culpritPattern {
		t.Errorf("%d log patterns, culprit's among them: %v", len(r.LogPatterns), culpritPattern)
	}
	rp, err := app.ReplaySources(b, bundle.ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Messages checkout sent are consumed in traces of their own, whose
	// spans link back: the Trace page finds them by search.
	links := 0
	for _, row := range r.Traces {
		tr, err := rp.Sources.Traces.Trace(context.Background(), row.TraceID)
		if err != nil {
			t.Fatalf("trace %s: %v", row.TraceID, err)
		}
		if !triage.HasProducerSpan(tr) {
			continue
		}
		hits, err := rp.Sources.Traces.Search(context.Background(), triage.LinkedTracesSearch(row.TraceID, r.Window))
		if err != nil {
			t.Fatalf("traces linked to %s: %v", row.TraceID, err)
		}
		for _, ref := range hits.Refs {
			linked, err := rp.Sources.Traces.Trace(context.Background(), ref.TraceID)
			if err != nil {
				t.Fatalf("linked trace %s: %v", ref.TraceID, err)
			}
			for _, s := range linked.Spans {
				for _, l := range s.Links {
					if strings.EqualFold(l.TraceID, row.TraceID) {
						links++
					}
				}
			}
		}
	}
	if links < 10 {
		t.Errorf("%d span links back to the sampled traces, want at least 10", links)
	}
}

// checkDrillDown asks what the console's pages ask, offline.
func checkDrillDown(t *testing.T, b *bundle.Bundle) {
	t.Helper()
	rp, err := app.ReplaySources(b, bundle.ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r := b.Report
	withLines, failing := 0, 0
	for _, row := range r.Traces {
		if !row.Failing {
			continue
		}
		failing++
		tr, err := rp.Sources.Traces.Trace(ctx, row.TraceID)
		if err != nil {
			t.Fatalf("trace %s: %v", row.TraceID, err)
		}
		lines, err := rp.Sources.Logs.Lines(ctx, triage.TraceLogQueries(rp.Sources.Logs.ServiceLabel(), row.TraceID, tr, r)[0])
		if err != nil {
			t.Fatalf("logs of trace %s: %v", row.TraceID, err)
		}
		if len(lines) > 0 {
			withLines++
		}
	}
	if failing == 0 || withLines < failing*9/10 {
		t.Errorf("%d of %d failing traces have log lines offline", withLines, failing)
	}
	for _, s := range r.Services {
		q, w := triage.ServiceSeries(rp.RED, s.Name, r.Window, s.Uninstrumented), r.Window
		for _, rq := range q.RED {
			if rq == "" {
				continue
			}
			for _, win := range [][2]time.Time{{w.Start, w.End}, {w.BaselineStart, w.BaselineEnd}} {
				if _, err := rp.Sources.Metrics.QueryRange(ctx, rq, win[0], win[1], q.Step); err != nil {
					t.Errorf("service %s: %s: %v", s.Name, rq, err)
				}
			}
		}
		for _, eq := range q.Edges {
			if _, err := rp.Sources.Metrics.Query(ctx, eq, w.End); err != nil {
				t.Errorf("service %s: %s: %v", s.Name, eq, err)
			}
		}
	}
	// Past the recording, the replay says so; it does not fail as a backend.
	_, err = rp.Sources.Traces.Trace(ctx, "00000000000000000000000000000001")
	if !sources.IsNotRecorded(err) {
		t.Errorf("unrecorded trace: %v, want not recorded", err)
	}
}

func first(s []triage.ServiceRank) any {
	if len(s) == 0 {
		return nil
	}
	return s[0]
}

// Every figure of the demo's verdict is the one on its drill-down pages
// and in its report JSON: per service err%, fail/s, p99, failing and slow
// traces, each user's failed and slow, each pattern's count. The peer's
// page has its figures too, from its callers' series.
func TestDemoFiguresAgree(t *testing.T) {
	b, rp, c := replayed(t)
	agree.Check(t, c, rp.Alert, b.Report)

	// The uninstrumented culprit's own page, at the sizes of the goldens.
	var peer string
	for _, s := range b.Report.Services {
		if s.Uninstrumented && s.Role == triage.RoleCulprit {
			peer = s.Name
		}
	}
	if peer == "" {
		t.Fatal("the demo's culprit is not an uninstrumented peer")
	}
	for _, sz := range [][2]int{{80, 24}, {120, 40}} {
		c.Width, c.Height = sz[0], sz[1]
		c.Nav = console.Nav(c)
		a := tui.NewApp(c, c.Nav.Service(tui.IncidentRef{Alert: rp.Alert, Report: b.Report}, peer))
		m := tuitest.Run(a, a.Init())
		v := ansi.Strip(m.View().Content)
		if strings.Contains(v, "no series for "+peer) {
			t.Errorf("%dx%d: the peer's page finds no series:\n%s", sz[0], sz[1], v)
		}
		if !strings.Contains(v, "LOGS 0") && strings.Contains(v, "LOGS") || !strings.Contains(v, "LOGS") {
			// The lines that name the peer are its logs.
		} else {
			t.Errorf("%dx%d: the peer's page has no log pattern that names it:\n%s", sz[0], sz[1], v)
		}
		tuitest.Golden(t, fmt.Sprintf("peer_%s_%dx%d", peer, sz[0], sz[1]), m.View().Content)
	}
}
