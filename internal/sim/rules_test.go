package sim

import (
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.yaml.in/yaml/v3"
)

func TestRuleFile(t *testing.T) {
	inc := mustGenerate(t, DefaultScenario())
	gt := inc.Truth()
	var f ruleFile
	if err := yaml.Unmarshal(inc.RuleFile(), &f); err != nil {
		t.Fatalf("rules do not parse: %v\n%s", err, inc.RuleFile())
	}
	if len(f.Groups) != 1 || len(f.Groups[0].Rules) != 2 {
		t.Fatalf("want one group of two rules, got %+v", f)
	}
	rules := map[string]rule{}
	for _, r := range f.Groups[0].Rules {
		rules[r.Alert] = r
	}
	high, ok := rules["HighErrorRate"]
	if !ok {
		t.Fatal("no HighErrorRate rule")
	}
	if high.Labels["service"] != gt.EntryService || high.Labels["severity"] != "critical" || high.For != "0s" {
		t.Errorf("HighErrorRate labels %v for %q", high.Labels, high.For)
	}
	for _, want := range []string{"traces_spanmetrics_calls_total", `service="storefront"`, `status_code="STATUS_CODE_ERROR"`, "sum by (service)"} {
		if !strings.Contains(high.Expr, want) {
			t.Errorf("expr %q lacks %s", high.Expr, want)
		}
	}
	if high.Expr != gt.AlertExpr {
		t.Errorf("truth's AlertExpr %q differs from the rule's %q", gt.AlertExpr, high.Expr)
	}
	if w := rules["Watchdog"]; w.Expr != "vector(1)" || w.Labels["severity"] != "none" {
		t.Errorf("Watchdog rule %+v", w)
	}

	// The threshold must separate the entry's error ratio before and during the fault.
	v := viewOf(inc.PTraces())
	incidentAt := gt.Start.Add(gt.Scenario.IncidentAfter)
	var all, failed [2]int
	for _, tv := range v.traces {
		for _, s := range tv.spans {
			if s.svc() != gt.EntryService || s.Kind() != ptrace.SpanKindServer {
				continue
			}
			k := b2i(!s.StartTimestamp().AsTime().Before(incidentAt))
			all[k]++
			failed[k] += b2i(s.failed())
		}
	}
	before, during := share(failed[0], all[0]), share(failed[1], all[1])
	if !(before < gt.AlertThreshold && gt.AlertThreshold < during) {
		t.Errorf("threshold %v does not separate %v before from %v during the incident", gt.AlertThreshold, before, during)
	}
}
