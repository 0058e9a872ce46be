package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"

	"github.com/triagectl/triage/triage"
)

// openPanel shows help or the sources panel.
func (a *App) openPanel(kind int) {
	a.panel = newPanel(kind, a.c.Keys)
	a.layoutPanel(a.pageSize())
	if kind != panelSources {
		return
	}
	// A source that failed, lagged or answered in part is the one to
	// read: the panel opens on it, whatever its place in the list.
	if inc, _ := a.nearestIncident(); inc != nil && inc.Report() != nil {
		for i, src := range inc.Report().Sources {
			if troubled(src) && i < len(a.panel.body.starts) {
				a.panel.sec, a.panel.toSection = i, true
				a.panel.cur = a.panel.firstInSection()
				a.panel.moved = true
				a.layoutPanel(a.pageSize())
				return
			}
		}
	}
}

// troubled reports a source whose answer is not to be taken at face
// value: failed, partial, or lagging.
func troubled(s triage.SourceStatus) bool {
	return s.State == triage.StateFailed || s.State == triage.StatePartial || s.Lagging()
}

// layoutPanel builds the open panel's rows for the current page, report
// and size; called before each draw, so a report that streams in while
// the sources panel is open shows at once.
func (a *App) layoutPanel(w, h int) {
	p := a.panel
	switch p.kind {
	case panelHelp:
		s := a.c.Styles
		title := s.Title.Render("HELP") + s.Faint.Render(" — "+safeTitle(a.Top().Title()))
		p.layout(title, a.helpBody(w), w, h)
	case panelSources:
		s := a.c.Styles
		p.layout(s.Title.Render("SOURCES"), a.sourcesBody(w), w, h)
	}
}

// panelKeys are the open panel's own keys, for the footer.
func (a *App) panelKeys() []key.Binding {
	k := a.c.Keys
	close := relabelKey(k.Back, "close")
	if a.panel.kind == panelHelp {
		return []key.Binding{relabelKey(k.Down, "scroll"), relabelKey(k.PageDown, "page"), relabelKey(k.Bottom, "end"), relabelKey(k.Top, "top"), close}
	}
	return []key.Binding{relabelKey(k.Down, "next query"), relabelKey(k.Tab, "next source"), relabelKey(k.Copy, "copy query"), relabelKey(k.PageDown, "page"), close}
}

// relabelKey keeps a binding's keys (remaps apply) under another
// description.
func relabelKey(b key.Binding, desc string) key.Binding {
	b.SetHelp(b.Help().Key, desc)
	return b
}

// helpBody lists every key: the page's own, then the console's, then the
// palette's commands.
func (a *App) helpBody(w int) panelBody {
	s := a.c.Styles
	k := a.c.Keys
	groups := append([][]key.Binding{}, a.Top().FullHelp()...)
	groups = append(groups, []key.Binding{k.Help, k.Command, k.Sources, k.Silence, k.Copy, k.Open, k.Back, k.Quit, k.ForceQuit})
	var b panelBody
	seen := map[string]bool{}
	for gi, g := range groups {
		if gi > 0 {
			b.lines = append(b.lines, "")
		}
		for _, bd := range g {
			hk := bd.Help().Key
			if !bd.Enabled() || hk == "" || seen[hk+bd.Help().Desc] {
				continue
			}
			seen[hk+bd.Help().Desc] = true
			b.lines = append(b.lines, Truncate("  "+s.FooterKey.Render(fmt.Sprintf("%-10s", hk))+" "+s.Text.Render(bd.Help().Desc), w, "…"))
		}
	}
	b.lines = append(b.lines, "", Truncate("  "+s.Title.Render("COMMANDS")+s.Faint.Render(" after "+k.Command.Help().Key), w, "…"))
	for _, c := range a.commands() {
		b.lines = append(b.lines, Truncate("  "+s.FooterKey.Render(fmt.Sprintf(":%-9s", c))+" "+s.Text.Render(commandHelp(c)), w, "…"))
	}
	b.lines = append(b.lines, Truncate("  "+s.Faint.Render("a trace id pasted alone opens that trace"), w, "…"))
	return b
}

// commandHelp says what a palette command does.
func commandHelp(name string) string {
	if d, ok := map[string]string{
		"help": "this help", "quit": "quit", "back": "the page before",
		"sources": "each source's state, errors and queries", "silence": "silence the alert in Alertmanager",
		"services": "the verdict's services", "users": "the affected users", "traces": "the sampled traces",
		"logs": "the logs of the culprit's first failing trace", "trace": "trace <id>: open a trace by its id",
	}[name]; ok {
		return d
	}
	return ""
}

// sourcesBody is the sources panel: each source's state, latency, error,
// freshness and notes, and the exact queries it ran, one a target of the
// cursor; the selected query is drawn whole.
func (a *App) sourcesBody(w int) panelBody {
	s := a.c.Styles
	inc, _ := a.nearestIncident()
	var b panelBody
	if inc == nil || inc.Report() == nil {
		b.lines = []string{"", "  " + s.Faint.Render("the investigation has not started")}
		return b
	}
	add := func(l string) { b.lines = append(b.lines, Truncate(l, w, "…")) }
	// Every source's state in one row, above the details that scroll.
	var sum []string
	for _, src := range inc.Report().Sources {
		sym, state := s.State(src.State), s.StateStyle(src.State).Render(string(src.State))
		if src.Lagging() {
			lag := s.StateStyle(triage.StateSlow)
			sym, state = lag.Render("◔"), lag.Render("lagging")
		}
		sum = append(sum, sym+" "+s.Text.Render(Fit(src.Name, 20))+" "+state)
	}
	add(" " + strings.Join(sum, s.Faint.Render(" · ")))
	for _, src := range inc.Report().Sources {
		add("")
		b.starts = append(b.starts, len(b.lines))
		head := " " + s.State(src.State) + " " + s.Bold.Render(Fit(src.Name, 20)) + " " + s.StateStyle(src.State).Render(string(src.State))
		if src.LatencyMS > 0 || src.State != triage.StateUnconfigured {
			head += s.Faint.Render("  " + Millis(float64(src.LatencyMS)))
		}
		if u := a.c.SourceURLs[src.Name]; u != "" {
			head += s.Faint.Render("  " + Fit(u, 60))
		}
		add(head)
		if src.Error != "" {
			for _, r := range wrapRows(safeLine(src.Error), w-4, 3) {
				add("   " + s.Unknown.Render(r))
			}
		}
		if f := src.Freshness; f != nil {
			add("   " + freshnessLine(s, f, w-4))
		}
		for _, n := range src.Notes {
			for _, r := range wrapRows(safeLine("note: "+n), w-4, 2) {
				add("   " + s.Unknown.Render(r))
			}
		}
		for _, q := range src.Queries {
			sent, purpose := triage.SplitQuery(q)
			t := panelTarget{row: len(b.lines), rows: 1, label: src.Name + " query", text: sent}
			if len(b.targets) == a.panel.cur {
				// The selected query whole: what y copies.
				rows := wrapRows(safeLine(q), w-5, 8)
				for i, r := range rows {
					lead := " ▸ "
					if i > 0 {
						lead = "   "
					}
					b.lines = append(b.lines, s.Selected.Render(Pad(lead+r, w-1, false)))
				}
				t.rows = len(rows)
			} else {
				// What a query was for besides the window goes first: a
				// cut would hide it.
				text := "› " + safeLine(q)
				if purpose != "" {
					text = "› (" + purpose + ") " + safeLine(sent)
				}
				add("   " + s.Faint.Render(Truncate(text, w-4, "…")))
			}
			b.targets = append(b.targets, t)
		}
		if len(src.Queries) == 0 && src.State != triage.StateUnconfigured {
			add("   " + s.Faint.Render("no queries recorded"))
		}
	}
	return b
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
