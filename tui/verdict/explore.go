package verdict

import (
	"time"

	"github.com/triagectl/triage/triage"
)

// ExploreQuery is one query to open in Grafana Explore.
type ExploreQuery struct {
	// Source is the engine's source name: prometheus, loki or tempo. It
	// names the datasource type and picks the uid.
	Source   string
	UID      string // the Grafana datasource uid
	Query    string // PromQL, LogQL, or TraceQL (a bare trace id works too)
	From, To time.Time
}

// ExploreURL builds a Grafana Explore link in the "panes" form that Grafana
// 10 and later read (/explore?schemaVersion=1&panes=…). base is Grafana's
// root URL and may carry a sub-path.
func ExploreURL(base string, q ExploreQuery) (string, error) {
	return triage.Grafana{URL: base, Datasources: map[string]string{q.Source: q.UID}}.Explore(q.Source, q.Query, q.From, q.To)
}
