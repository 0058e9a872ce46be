package sim

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

type ruleFile struct {
	Groups []ruleGroup `yaml:"groups"`
}

type ruleGroup struct {
	Name  string `yaml:"name"`
	Rules []rule `yaml:"rules"`
}

type rule struct {
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for,omitempty"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

func (i *Incident) alertExpr() string {
	svc, kind, sh := i.truth.AlertService, i.alertKind.metricLabel(), i.metrics.shape
	by := sh.spanLabels[0]
	if i.truth.Kind == KindLatency {
		// The histogram's unit: the threshold is in seconds.
		scale := ""
		if sh.latencyScale != 1 {
			scale = fmt.Sprintf(" / %g", sh.latencyScale)
		}
		return fmt.Sprintf(`histogram_quantile(0.99, sum by (%s, le) (rate(%s_bucket{%s=%q, span_kind=%q}[1m])))%s > %g`,
			by, sh.latency, by, svc, kind, scale, i.metrics.threshold)
	}
	return fmt.Sprintf(`sum by (%[1]s) (rate(%[2]s{%[1]s=%[3]q, span_kind=%[4]q, status_code="STATUS_CODE_ERROR"}[1m]))`+
		` / sum by (%[1]s) (rate(%[2]s{%[1]s=%[3]q, span_kind=%[4]q}[1m])) > %[5]g`,
		by, sh.calls, svc, kind, i.metrics.threshold)
}

// RuleFile returns Prometheus alerting rules: the incident's alert on the
// span metrics of the service rooting the affected traces (HighErrorRate, or
// HighLatency for a latency incident), firing without delay so tests can
// watch it fire, and the always-firing Watchdog that proves the alert
// pipeline works.
func (i *Incident) RuleFile() []byte {
	gt := &i.truth
	e := gt.AlertService
	summary, desc := e+" is failing requests", "{{ $value | humanizePercentage }} of "+e+" root spans end in error."
	if gt.Kind == KindLatency {
		summary, desc = e+" is slow", "p99 of "+e+" root spans is {{ $value | humanizeDuration }}."
	}
	f := ruleFile{Groups: []ruleGroup{{
		Name: "triage-sim",
		Rules: []rule{
			{
				Alert: gt.AlertName,
				Expr:  gt.AlertExpr,
				For:   "0s",
				Labels: map[string]string{
					"service":  e,
					"severity": "critical",
				},
				Annotations: map[string]string{"summary": summary, "description": desc},
			},
			{
				Alert:  "Watchdog",
				Expr:   "vector(1)",
				Labels: map[string]string{"severity": "none"},
				Annotations: map[string]string{
					"summary": "Always firing: proves the alerting pipeline delivers.",
				},
			},
		},
	}}}
	out, err := yaml.Marshal(f)
	if err != nil {
		// Marshalling plain strings and maps cannot fail.
		panic(err)
	}
	return out
}
