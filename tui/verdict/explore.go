package verdict

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
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

type explorePane struct {
	Datasource string         `json:"datasource"`
	Queries    []exploreQuery `json:"queries"`
	Range      exploreRange   `json:"range"`
}

type exploreQuery struct {
	RefID      string        `json:"refId"`
	Datasource exploreSource `json:"datasource"`
	Expr       string        `json:"expr,omitempty"`
	Query      string        `json:"query,omitempty"`
	QueryType  string        `json:"queryType,omitempty"`
}

type exploreSource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type exploreRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// ExploreURL builds a Grafana Explore link in the "panes" form that Grafana
// 10 and later read (/explore?schemaVersion=1&panes=…). base is Grafana's
// root URL and may carry a sub-path.
func ExploreURL(base string, q ExploreQuery) (string, error) {
	u, err := url.Parse(strings.TrimSpace(base))
	if err != nil {
		return "", fmt.Errorf("grafana url: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("grafana url %q: want http(s)://host[/path]", base)
	}
	if q.UID == "" {
		return "", fmt.Errorf("no Grafana datasource uid for %s", q.Source)
	}
	if q.Query == "" {
		return "", errors.New("no query to open")
	}
	eq := exploreQuery{RefID: "A", Datasource: exploreSource{UID: q.UID}}
	switch q.Source {
	case "prometheus", "loki":
		eq.Datasource.Type, eq.Expr = q.Source, q.Query
	case "tempo":
		eq.Datasource.Type, eq.Query, eq.QueryType = "tempo", q.Query, "traceql"
	default:
		return "", fmt.Errorf("no Explore query for source %q", q.Source)
	}
	r := exploreRange{From: "now-1h", To: "now"}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.After(q.From) {
		r = exploreRange{From: strconv.FormatInt(q.From.UnixMilli(), 10), To: strconv.FormatInt(q.To.UnixMilli(), 10)}
	}
	panes, err := json.Marshal(map[string]explorePane{"triage": {Datasource: q.UID, Queries: []exploreQuery{eq}, Range: r}})
	if err != nil {
		return "", err
	}
	u.Path = strings.TrimRight(u.Path, "/") + "/explore"
	u.RawQuery = "schemaVersion=1&panes=" + url.QueryEscape(string(panes))
	u.Fragment = ""
	return u.String(), nil
}
