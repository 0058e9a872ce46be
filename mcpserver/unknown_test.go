package mcpserver_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/triagectl/triage/mcpserver"
	"github.com/triagectl/triage/serve"
	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/sources/adapter"
	"github.com/triagectl/triage/sources/alertmanager"
	"github.com/triagectl/triage/triage"
)

var refused = &sources.Error{Source: "loki", Op: "query_range", Kind: sources.KindUnreachable, Msg: "connection refused"}

// A source that failed is named with its reason in every answer that
// depends on it, and what it would have said is unknown: never "none",
// never zero.
func TestUnknownStaysUnknown(t *testing.T) {
	rep := bigReport()
	rep.Users, rep.Traces, rep.Differences, rep.Users = nil, nil, nil, nil
	rep.Services, rep.LogPatterns = nil, nil
	rep.Impact.Culprit = ""
	rep.Sources[1] = triage.SourceStatus{Name: "loki", State: triage.StateFailed, Error: "connection refused", ErrorKind: "unreachable", Queries: []string{}}
	rep.Sources[2] = triage.SourceStatus{Name: "tempo", State: triage.StateFailed, Error: "context deadline exceeded after 30s", ErrorKind: "timeout", Queries: []string{}}
	inc := mcpserver.Incident{ID: "inc-1", Status: "firing", Report: rep, Fresh: true, Origin: "stored", Alert: triage.Alert{Name: "Storm"}}
	tempoDown := &sources.Error{Source: "tempo", Op: "trace", Kind: sources.KindTimeout, Msg: "context deadline exceeded"}
	d := mcpserver.Deps{Incidents: fakeCatalog{list: []mcpserver.Incident{inc}}, Options: triage.DefaultOptions(),
		Sources: triage.Sources{Logs: &hugeLogs{err: refused}, Traces: fakeTraces{err: tempoDown}}}
	cs := connect(t, mcpserver.New(d))
	const bound = mcpserver.DefaultMaxAnswerBytes

	pages := all(t, cs, bound, "investigate", map[string]any{"id": "inc-1"})
	var whole strings.Builder
	for _, p := range pages {
		if !strings.Contains(p.text, "sources: prometheus ok 0ms · loki FAILED (unreachable: connection refused) · tempo FAILED (timeout: context deadline exceeded after 30s)") {
			t.Errorf("page %d does not name the failed sources:\n%s", p.page, p.text)
		}
		whole.WriteString(p.text)
	}
	text := whole.String()
	for _, want := range []string{
		"no culprit: the traces are unknown: tempo failed: timeout: context deadline exceeded after 30s",
		"LOG PATTERNS (id for get_pattern_lines · level · count vs baseline · services · pattern · sample traces)\nunknown — unknown: loki failed: unreachable: connection refused",
		"SERVICES (rank · role · error ratio now/baseline · failed/s · p99 · failing/slow sampled traces · evidence)\nunknown — unknown: tempo failed",
		"USERS (id · failed · slow · attributes · first and last seen · traces)\nunknown — unknown: tempo failed",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the verdict lacks %q:\n%s", want, text)
		}
	}
	for _, never := range []string{"no error or warning lines", "none implicated", "no user attribute", "nothing stands out"} {
		if strings.Contains(text, never) {
			t.Errorf("an unknown section reads as known: %q", never)
		}
	}

	logs := call(t, cs, bound, "get_trace_logs", map[string]any{"trace_id": bigID})
	if !logs.isError || !strings.Contains(logs.text, "loki FAILED (unreachable: connection refused)") || !strings.Contains(logs.text, "log lines are unknown") {
		t.Errorf("get_trace_logs with loki down:\n%s", logs.text)
	}
	tr := call(t, cs, bound, "get_trace", map[string]any{"trace_id": bigID})
	if !tr.isError || !strings.Contains(tr.text, "tempo FAILED (timeout: context deadline exceeded)") {
		t.Errorf("get_trace with tempo down:\n%s", tr.text)
	}
	pat := call(t, cs, bound, "get_pattern_lines", map[string]any{"pattern_id": "inc-1/p1"})
	if !pat.isError || !strings.Contains(pat.text, "unknown: loki failed") {
		t.Errorf("get_pattern_lines with the patterns unknown:\n%s", pat.text)
	}

	am := alertmanager.NewFake()
	am.AlertsErr = &sources.Error{Source: "alertmanager", Op: "alerts", Kind: sources.KindAuth, Status: 401, Msg: "unauthorized"}
	cs2 := connect(t, mcpserver.New(mcpserver.Deps{Incidents: mcpserver.AlertmanagerCatalog{Alerts: adapter.Alerts{C: am}}}))
	list := call(t, cs2, bound, "list_incidents", nil)
	if !list.isError || !strings.Contains(list.text, "incidents from Alertmanager: unknown — alertmanager: auth: HTTP 401: unauthorized") {
		t.Errorf("list_incidents with Alertmanager refusing:\n%s", list.text)
	}
}

// silence proposes, then carries out the proposal named by its token,
// once, before it expires; Alertmanager gets exactly the alert's labels.
func TestSilenceTwoSteps(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	am := alertmanager.NewFake(alertmanager.Alert{Fingerprint: "fp1", StartsAt: now.Add(-time.Hour),
		Labels: map[string]string{"alertname": "HighErrorRate", "service": "checkout"}})
	alerts := adapter.Alerts{C: am, CreatedBy: "triage mcp"}
	clock := now
	d := mcpserver.Deps{Incidents: mcpserver.AlertmanagerCatalog{Alerts: alerts}, Alerts: alerts, AllowSilence: true,
		Now: func() time.Time { return clock }}
	cs := connect(t, mcpserver.New(d))
	const bound = mcpserver.DefaultMaxAnswerBytes

	for _, bad := range []map[string]any{
		{"id": "fp1", "duration": "2h"},
		{"id": "fp1", "duration": "48h", "comment": "x"},
		{"id": "nope", "duration": "2h", "comment": "x"},
		{"confirm_token": "deadbeef"},
	} {
		if r := call(t, cs, bound, "silence", bad); !r.isError {
			t.Errorf("silence %v was taken:\n%s", bad, r.text)
		}
	}
	p := call(t, cs, bound, "silence", map[string]any{"id": "fp1", "duration": "2h", "comment": "rolling back checkout"})
	if p.isError || !strings.Contains(p.text, `PROPOSAL, nothing created yet`) || !strings.Contains(p.text, `{alertname="HighErrorRate", service="checkout"}`) {
		t.Fatalf("proposal:\n%s", p.text)
	}
	if len(am.Created()) != 0 {
		t.Fatal("a proposal created a silence")
	}
	tok := between(p.text, "confirm_token \"", "\"")
	ok := call(t, cs, bound, "silence", map[string]any{"confirm_token": tok})
	if ok.isError || !strings.Contains(ok.text, "created in Alertmanager") {
		t.Fatalf("confirm:\n%s", ok.text)
	}
	created := am.Created()
	if len(created) != 1 || created[0].Comment != "rolling back checkout" || created[0].CreatedBy != "triage mcp" ||
		created[0].EndsAt.Sub(created[0].StartsAt) != 2*time.Hour || len(created[0].Matchers) != 2 {
		t.Errorf("created %+v", created)
	}
	if again := call(t, cs, bound, "silence", map[string]any{"confirm_token": tok}); !again.isError {
		t.Error("a token was used twice")
	}
	p = call(t, cs, bound, "silence", map[string]any{"id": "fp1", "duration": "30m", "comment": "later"})
	clock = clock.Add(6 * time.Minute)
	late := call(t, cs, bound, "silence", map[string]any{"confirm_token": between(p.text, "confirm_token \"", "\"")})
	if !late.isError || !strings.Contains(late.text, "expired") || len(am.Created()) != 1 {
		t.Errorf("an expired proposal: %s", late.text)
	}
}

func between(s, a, b string) string {
	_, rest, _ := strings.Cut(s, a)
	v, _, _ := strings.Cut(rest, b)
	return v
}

// fakeStore is the daemon's store with one incident.
type fakeStore struct{ inc serve.Incident }

func (f fakeStore) Incidents(context.Context) ([]serve.Incident, error) {
	x := f.inc
	x.Report, x.Bundle = nil, nil
	return []serve.Incident{x}, nil
}

func (f fakeStore) Incident(_ context.Context, id string) (serve.Incident, error) {
	if id != f.inc.ID {
		return serve.Incident{}, serve.ErrNotFound
	}
	return f.inc, nil
}

// Under the daemon, investigate serves the pre-warmed report while it is
// fresh, and investigates again once it is stale; a fingerprint finds the
// incident too.
func TestStoredReportWhenFresh(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	stored := bigReport()
	stored.Users = nil
	inc := serve.Incident{ID: "i-1", Status: serve.StatusFiring, Report: stored, ReportAt: now.Add(-2 * time.Minute), PrewarmState: serve.PrewarmReady,
		Alert: triage.Alert{Name: "HighErrorRate", Fingerprint: "fp1"}}
	for _, c := range []struct {
		name       string
		reportAge  time.Duration
		id         string
		investigNs int32
		origin     string
	}{
		{"fresh", 2 * time.Minute, "i-1", 0, "pre-warmed by triage serve"},
		{"by fingerprint", 2 * time.Minute, "fp1", 0, "pre-warmed by triage serve"},
		{"stale", 10 * time.Minute, "i-1", 1, "investigated now (the stored report, of 2026-03-01T11:50:00Z, was stale)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			x := inc
			x.ReportAt = now.Add(-c.reportAge)
			var runs atomic.Int32
			d := mcpserver.Deps{Now: func() time.Time { return now },
				Incidents: mcpserver.StoreCatalog{Store: fakeStore{x}, Fresh: 5 * time.Minute, Now: func() time.Time { return now }},
				Investigate: func(context.Context, triage.Alert) (*triage.Report, []byte, error) {
					runs.Add(1)
					return bigReport(), nil, nil
				}}
			r := call(t, connect(t, mcpserver.New(d)), mcpserver.DefaultMaxAnswerBytes, "investigate", map[string]any{"id": c.id})
			if r.isError || !strings.Contains(r.text, "report "+c.origin) || runs.Load() != c.investigNs {
				t.Errorf("investigations %d, want %d; page:\n%s", runs.Load(), c.investigNs, r.text)
			}
		})
	}
	failing := mcpserver.Deps{Incidents: mcpserver.StoreCatalog{Store: fakeStore{serve.Incident{ID: "i-2", PrewarmState: serve.PrewarmFailed}}},
		Investigate: func(context.Context, triage.Alert) (*triage.Report, []byte, error) {
			return nil, nil, errors.New("every source failed")
		}}
	r := call(t, connect(t, mcpserver.New(failing)), mcpserver.DefaultMaxAnswerBytes, "investigate", map[string]any{"id": "i-2"})
	if !r.isError || !strings.Contains(r.text, "investigation: every source failed") {
		t.Errorf("a failed investigation:\n%s", r.text)
	}
}
