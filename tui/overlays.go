package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"github.com/triagectl/triage/triage"
)

// helpView lists every key: the page's own, then the console's.
func (a *App) helpView(w, h int) string {
	s := a.c.Styles
	k := a.c.Keys
	groups := append([][]key.Binding{}, a.Top().FullHelp()...)
	groups = append(groups, []key.Binding{k.Help, k.Command, k.Sources, k.Silence, k.Copy, k.Open, k.Back, k.Quit, k.ForceQuit})
	var b strings.Builder
	b.WriteString(s.Title.Render("HELP") + s.Faint.Render(" — "+safeTitle(a.Top().Title())+" · esc closes"))
	seen := map[string]bool{}
	for _, g := range groups {
		b.WriteString("\n")
		for _, bd := range g {
			hk := bd.Help().Key
			if !bd.Enabled() || hk == "" || seen[hk+bd.Help().Desc] {
				continue
			}
			seen[hk+bd.Help().Desc] = true
			b.WriteString("\n  " + s.FooterKey.Render(fmt.Sprintf("%-10s", hk)) + " " + s.Text.Render(bd.Help().Desc))
		}
	}
	b.WriteString("\n\n" + s.Faint.Render("  commands: :"+strings.Join(a.commands(), "  :")))
	return b.String()
}

// sourcesView is the sources panel: each source's state, latency, error
// and the exact queries it ran.
func (a *App) sourcesView(w, h int) string {
	s := a.c.Styles
	inc, _ := a.nearestIncident()
	var b strings.Builder
	b.WriteString(s.Title.Render("SOURCES") + s.Faint.Render(" — esc closes"))
	r := inc.Report()
	if r == nil {
		b.WriteString("\n  " + s.Faint.Render("the investigation has not started"))
		return b.String()
	}
	for _, src := range r.Sources {
		b.WriteString("\n\n " + s.State(src.State) + " " + s.Bold.Render(src.Name) + " " +
			s.StateStyle(src.State).Render(string(src.State)))
		if u := a.c.SourceURLs[src.Name]; u != "" {
			b.WriteString(s.Faint.Render("  " + Fit(u, 50)))
		}
		if src.LatencyMS > 0 || src.State != "unconfigured" {
			b.WriteString(s.Faint.Render(fmt.Sprintf("  %dms", src.LatencyMS)))
		}
		if src.Error != "" {
			b.WriteString("\n   " + s.Unknown.Render(Fit(src.Error, w-4)))
		}
		if f := src.Freshness; f != nil {
			b.WriteString("\n   " + freshnessLine(s, f, w-4))
		}
		for _, n := range src.Notes {
			b.WriteString("\n   " + s.Unknown.Render(Fit("note: "+n, w-4)))
		}
		for _, q := range src.Queries {
			b.WriteString("\n   " + s.Faint.Render(Truncate("› "+safeLine(q), w-4, "…")))
		}
	}
	return b.String()
}

// freshnessLine says how old the source's newest data for the scope was:
// loudly when it lagged, since its sections' silence then means nothing.
func freshnessLine(s *Styles, f *triage.Freshness, w int) string {
	age := shortAge(time.Duration(f.AgeSeconds) * time.Second)
	switch {
	case f.Newest.IsZero():
		return s.StateStyle(triage.StateSlow).Render(Fit("◔ lagging: no "+f.Of+" in the last hour", w))
	case f.Lagging:
		return s.StateStyle(triage.StateSlow).Render(Fit("◔ lagging "+age+": newest "+f.Of+" at "+f.Newest.UTC().Format("15:04:05")+" UTC", w))
	}
	return s.Faint.Render(Fit("fresh: newest "+f.Of+" "+age+" old", w))
}
