package triage

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Grafana builds Explore links to a query, when a Grafana is configured:
// its base URL (a sub-path is kept) and the datasource uid of each source.
type Grafana struct {
	URL string
	// Datasources maps a source name (prometheus, loki, tempo, jaeger) to
	// its datasource uid.
	Datasources map[string]string
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
	// Jaeger's search form.
	Service     string `json:"service,omitempty"`
	Operation   string `json:"operation,omitempty"`
	Tags        string `json:"tags,omitempty"`
	MinDuration string `json:"minDuration,omitempty"`
	MaxDuration string `json:"maxDuration,omitempty"`
	Limit       int    `json:"limit,omitempty"`
}

type exploreSource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type exploreRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Explore links query (PromQL, LogQL, TraceQL, or a Jaeger search as
// JaegerSearch writes it — a bare trace id works for both trace backends)
// on source's datasource over [start, end], in the "panes" form
// Grafana 10 and later read; without a range, the last hour. The error
// says what is missing: the URL, the datasource uid, or the query.
func (g Grafana) Explore(source, query string, start, end time.Time) (string, error) {
	if strings.TrimSpace(g.URL) == "" {
		return "", errors.New("no Grafana: set grafana.url in the config")
	}
	u, err := url.Parse(strings.TrimSpace(g.URL))
	if err != nil {
		return "", fmt.Errorf("grafana url: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("grafana url %q: want http(s)://host[/path]", g.URL)
	}
	uid := g.Datasources[source]
	if uid == "" {
		return "", fmt.Errorf("no Grafana datasource uid for %s: set grafana.datasources.%s", source, source)
	}
	if query == "" {
		return "", errors.New("no query to open")
	}
	q := exploreQuery{RefID: "A", Datasource: exploreSource{UID: uid}}
	switch source {
	case SourcePrometheus, SourceLoki:
		q.Datasource.Type, q.Expr = source, query
	case SourceTempo:
		q.Datasource.Type, q.Query, q.QueryType = source, query, "traceql"
	case SourceJaeger:
		// A trace id opens the trace; a search opens the search form
		// filled in.
		q.Datasource.Type = source
		if id := strings.ToLower(strings.TrimSpace(query)); IsTraceID(id) {
			q.Query = id
			break
		}
		js, err := ParseJaegerSearch(query)
		if err != nil {
			return "", fmt.Errorf("jaeger search %q: %w", query, err)
		}
		q.QueryType, q.Service, q.Operation, q.Limit = "search", js.Service, js.Operation, js.Limit
		if len(js.Tags) > 0 {
			q.Tags = JaegerSearch{Tags: js.Tags}.tagsText()
		}
		if js.MinDuration > 0 {
			q.MinDuration = js.MinDuration.String()
		}
		if js.MaxDuration > 0 {
			q.MaxDuration = js.MaxDuration.String()
		}
	default:
		return "", fmt.Errorf("no Explore query for source %q", source)
	}
	r := exploreRange{From: "now-1h", To: "now"}
	if !start.IsZero() && !end.IsZero() && end.After(start) {
		r = exploreRange{From: strconv.FormatInt(start.UnixMilli(), 10), To: strconv.FormatInt(end.UnixMilli(), 10)}
	}
	panes, err := json.Marshal(map[string]explorePane{"triage": {Datasource: uid, Queries: []exploreQuery{q}, Range: r}})
	if err != nil {
		return "", err
	}
	u.Path = strings.TrimRight(u.Path, "/") + "/explore"
	u.RawQuery = "schemaVersion=1&panes=" + url.QueryEscape(string(panes))
	u.Fragment = ""
	return u.String(), nil
}

// ExploreLink is Explore, "" when the link cannot be built.
func (g Grafana) ExploreLink(source, query string, start, end time.Time) string {
	link, _ := g.Explore(source, query, start, end)
	return link
}
