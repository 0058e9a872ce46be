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
	e := i.topo.entry
	return fmt.Sprintf(`sum by (service) (rate(traces_spanmetrics_calls_total{service=%q, span_kind="SPAN_KIND_SERVER", status_code="STATUS_CODE_ERROR"}[1m]))`+
		` / sum by (service) (rate(traces_spanmetrics_calls_total{service=%q, span_kind="SPAN_KIND_SERVER"}[1m])) > %g`,
		e, e, i.metrics.threshold)
}

// RuleFile returns Prometheus alerting rules: HighErrorRate on the entry
// service's span metrics, firing without delay so tests can watch it fire,
// and the always-firing Watchdog that proves the alert pipeline works.
func (i *Incident) RuleFile() []byte {
	e := i.topo.entry
	f := ruleFile{Groups: []ruleGroup{{
		Name: "triage-sim",
		Rules: []rule{
			{
				Alert: "HighErrorRate",
				Expr:  i.alertExpr(),
				For:   "0s",
				Labels: map[string]string{
					"service":  e,
					"severity": "critical",
				},
				Annotations: map[string]string{
					"summary":     e + " is failing requests",
					"description": "{{ $value | humanizePercentage }} of " + e + " server spans end in error.",
				},
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
