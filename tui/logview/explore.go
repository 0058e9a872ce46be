package logview

import "github.com/triagectl/triage/triage"

// ExploreLink opens the page's LogQL over the queried range in Grafana
// Explore, when Grafana and its Loki datasource are configured.
func (p *Page) ExploreLink() (string, bool) {
	link := p.c.Grafana.ExploreLink(triage.SourceLoki, p.query, p.plan.start, p.plan.end)
	return link, link != ""
}
