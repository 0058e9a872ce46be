package triage

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Grafana builds Explore links to a query, when a Grafana is configured:
// its base URL and the datasource uid of each source.
type Grafana struct {
	URL string
	// Datasources maps a source name (prometheus, loki, tempo) to its
	// datasource uid.
	Datasources map[string]string
}

// ExploreLink opens query on source's datasource over [start, end]. It is
// "" without a Grafana URL or a datasource uid for source.
func (g Grafana) ExploreLink(source, query string, start, end time.Time) string {
	uid := g.Datasources[source]
	base := strings.TrimRight(strings.TrimSpace(g.URL), "/")
	if base == "" || uid == "" || query == "" {
		return ""
	}
	q := map[string]any{"refId": "A", "datasource": map[string]string{"uid": uid}}
	switch source {
	case SourceTempo:
		q["queryType"] = "traceql"
		q["query"] = query
	default:
		q["expr"] = query
	}
	pane := map[string]any{
		"datasource": uid,
		"queries":    []any{q},
		"range": map[string]string{
			"from": strconv.FormatInt(start.UnixMilli(), 10),
			"to":   strconv.FormatInt(end.UnixMilli(), 10),
		},
	}
	var panes strings.Builder
	enc := json.NewEncoder(&panes)
	enc.SetEscapeHTML(false) // TraceQL's && stays readable once decoded
	if err := enc.Encode(map[string]any{"triage": pane}); err != nil {
		return ""
	}
	v := url.Values{"schemaVersion": {"1"}, "orgId": {"1"}, "panes": {strings.TrimSpace(panes.String())}}
	return base + "/explore?" + v.Encode()
}
