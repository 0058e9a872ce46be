package logview

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
)

// ExploreLink opens the page's LogQL over the queried range in Grafana
// Explore, when Grafana and its Loki datasource are configured.
func (p *Page) ExploreLink() (string, bool) {
	g := p.c.Grafana
	return exploreURL(g.URL, g.Datasources["loki"], p.query, p.plan.start.UnixMilli(), p.plan.end.UnixMilli())
}

type explorePane struct {
	Datasource string         `json:"datasource"`
	Queries    []exploreQuery `json:"queries"`
	Range      exploreRange   `json:"range"`
}

type exploreQuery struct {
	RefID      string        `json:"refId"`
	Datasource exploreSource `json:"datasource"`
	Expr       string        `json:"expr"`
}

type exploreSource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type exploreRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// exploreURL writes the "panes" form of an Explore link, which Grafana 10
// and later read; base may carry a sub-path.
func exploreURL(base, uid, query string, fromMS, toMS int64) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(base))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || uid == "" || query == "" {
		return "", false
	}
	pane := explorePane{
		Datasource: uid,
		Queries:    []exploreQuery{{RefID: "A", Datasource: exploreSource{Type: "loki", UID: uid}, Expr: query}},
		Range:      exploreRange{From: strconv.FormatInt(fromMS, 10), To: strconv.FormatInt(toMS, 10)},
	}
	panes, err := json.Marshal(map[string]explorePane{"logs": pane})
	if err != nil {
		return "", false
	}
	u.Path = strings.TrimRight(u.Path, "/") + "/explore"
	u.RawQuery = "schemaVersion=1&panes=" + url.QueryEscape(string(panes))
	u.Fragment = ""
	return u.String(), true
}
