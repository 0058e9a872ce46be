package sim

import (
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestRuleFile(t *testing.T) {
	for _, p := range Presets() {
		t.Run(p.Name, func(t *testing.T) {
			inc := mustGenerate(t, p.Scenario)
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
			alert, ok := rules[gt.AlertName]
			if !ok {
				t.Fatalf("no %s rule", gt.AlertName)
			}
			if alert.Labels["service"] != gt.AlertService || alert.Labels["severity"] != "critical" || alert.For != "0s" {
				t.Errorf("%s labels %v for %q", gt.AlertName, alert.Labels, alert.For)
			}
			want := []string{`service="` + gt.AlertService + `"`, `status_code="STATUS_CODE_ERROR"`, "traces_spanmetrics_calls_total", "sum by (service)"}
			if gt.Kind == KindLatency {
				want = []string{`service="` + gt.AlertService + `"`, "histogram_quantile(0.99,", "traces_spanmetrics_latency_bucket", "le)"}
			}
			for _, w := range want {
				if !strings.Contains(alert.Expr, w) {
					t.Errorf("expr %q lacks %s", alert.Expr, w)
				}
			}
			if alert.Expr != gt.AlertExpr {
				t.Errorf("truth's AlertExpr %q differs from the rule's %q", gt.AlertExpr, alert.Expr)
			}
			if w := rules["Watchdog"]; w.Expr != "vector(1)" || w.Labels["severity"] != "none" {
				t.Errorf("Watchdog rule %+v", w)
			}

			// The threshold must separate the alerted root spans before and during the fault.
			v := viewOf(inc.PTraces())
			incidentAt := gt.Start.Add(gt.Scenario.IncidentAfter)
			var all, failed [2]int
			var durs [2][]float64
			for _, tv := range v.traces {
				root := tv.root
				if root.svc() != gt.AlertService || !strings.Contains(alert.Expr, `span_kind="SPAN_KIND_`+strings.ToUpper(root.Kind().String())+`"`) {
					continue
				}
				k := b2i(!root.StartTimestamp().AsTime().Before(incidentAt))
				all[k]++
				failed[k] += b2i(root.failed())
				durs[k] = append(durs[k], tv.duration().Seconds())
			}
			before, during := share(failed[0], all[0]), share(failed[1], all[1])
			if gt.Kind == KindLatency {
				before, during = p99(durs[0]), p99(durs[1])
			}
			if all[0] == 0 || !(before < gt.AlertThreshold && gt.AlertThreshold < during) {
				t.Errorf("threshold %v does not separate %v before from %v during the incident (%v root spans)", gt.AlertThreshold, before, during, all)
			}
		})
	}
}

func p99(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(v))
	return s[(len(s)*99+99)/100-1]
}
