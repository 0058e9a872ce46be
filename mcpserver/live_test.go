package mcpserver_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/triagectl/triage/internal/app"
	"github.com/triagectl/triage/internal/config"
	"github.com/triagectl/triage/internal/testenv"
	"github.com/triagectl/triage/mcpserver"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// Against the test bed's live backends, loaded with a simulator scenario:
// investigate, given the scenario's alert, names the scenario's culprit,
// and every trace id it cites, on any page, resolves with get_trace.
func TestLiveScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("starts backends for a scenario")
	}
	testenv.Prometheus(t)
	testenv.Loki(t)
	const scenario = "cache-tier"
	defer testenv.StopScenario(scenario)
	si := testenv.IncidentFor(t, scenario)
	if si.Tempo == nil {
		t.Skip("tempo not live (no tempo binary or TEMPO_URL): without traces there is no culprit and no trace to resolve")
	}
	tr := si.Truth
	c := config.Default()
	c.Sources.Prometheus = si.Prometheus.Config()
	c.Sources.Loki = si.Loki.Config()
	c.Sources.Tempo = si.Tempo.Config()
	c.Sources.Tempo.Timeout = 30 * time.Second // searches over a fresh live store are slow on small machines
	c.Triage.Lookback = tr.End.Sub(tr.IncidentStart) + 10*time.Minute
	d, err := app.MCPDeps(c, "test")
	if err != nil {
		t.Fatal(err)
	}
	cs := connect(t, mcpserver.New(d))
	alert, _ := json.Marshal(map[string]any{
		"labels":   map[string]string{"alertname": tr.AlertName, "service": tr.AlertService, "severity": "critical"},
		"startsAt": tr.IncidentStart.Add(time.Minute).Format(time.RFC3339),
	})
	const bound = mcpserver.DefaultMaxAnswerBytes
	pages := all(t, cs, bound, "investigate", map[string]any{"alert_json": string(alert)})
	if pages[0].isError {
		t.Fatalf("investigate:\n%s", pages[0].text)
	}
	if !strings.Contains(pages[0].text, "culprit "+tr.Culprit+" ") {
		t.Fatalf("the verdict does not name the scenario's culprit %s:\n%s", tr.Culprit, pages[0].text)
	}
	seen := map[string]bool{}
	for _, p := range pages {
		for _, id := range traceIDRe.FindAllString(p.text, -1) {
			seen[id] = true
		}
	}
	if len(seen) == 0 {
		t.Fatal("the verdict cites no trace")
	}
	for id := range seen {
		r := call(t, cs, bound, "get_trace", map[string]any{"trace_id": id})
		if r.isError || !strings.HasPrefix(r.text, "trace "+id+" · ") {
			t.Errorf("cited trace %s does not resolve:\n%s", id, r.text)
		}
	}
	t.Logf("%s: culprit %s named; %d pages; %d cited trace ids, each resolved by get_trace", scenario, tr.Culprit, len(pages), len(seen))
}
