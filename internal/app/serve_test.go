package app

import (
	"testing"

	"github.com/triagectl/triage/internal/config"
	"github.com/triagectl/triage/serve"
	"github.com/triagectl/triage/sources/adapter"
)

// The SSH sessions get the live sources, and each its own Alertmanager
// author when Alertmanager is configured.
func TestSSHDeps(t *testing.T) {
	tests := []struct {
		name   string
		am     string
		silent bool // no Alertmanager: no silences
	}{
		{"with Alertmanager", "http://127.0.0.1:9", false},
		{"without", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Default()
			c.Sources.Alertmanager.URL = tt.am
			c.Sources.Prometheus.URL = "http://127.0.0.1:9"
			d, err := SSHDeps(c, nil, serve.SSHMetrics{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if d.Console.SourceURLs["prometheus"] != "http://127.0.0.1:9" {
				t.Errorf("deps %+v", d)
			}
			if tt.silent {
				if d.AlertsFor != nil || d.Console.Data.Alerts != nil {
					t.Error("silences offered without Alertmanager")
				}
				return
			}
			a, ok := d.AlertsFor("alice via triage ssh (SHA256:x)").(adapter.Alerts)
			if !ok || a.CreatedBy != "alice via triage ssh (SHA256:x)" {
				t.Errorf("AlertsFor gave %#v, want the session's author", a)
			}
		})
	}
}
