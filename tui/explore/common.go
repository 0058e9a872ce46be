// Package explore holds the incident's drill-down pages below the verdict:
// one service (its RED series, traces, log patterns and edges), the sampled
// failing and slow traces, and the affected users.
package explore

import (
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
)

// sourceReason is why a report section of source name is unknown, as the
// report recorded it.
func sourceReason(rep *triage.Report, name string) string {
	if rep == nil {
		return "the investigation has not finished"
	}
	for _, s := range rep.Sources {
		if s.Name != name {
			continue
		}
		switch {
		case s.Error != "":
			return s.Error
		case s.State == triage.StateUnconfigured:
			return "not configured"
		}
		return string(s.State)
	}
	return "not queried"
}

// sourceFailed reports whether the report says source name gave nothing.
func sourceFailed(rep *triage.Report, name string) bool {
	if rep == nil {
		return true
	}
	for _, s := range rep.Sources {
		if s.Name == name {
			return s.State == triage.StateFailed || s.State == triage.StateUnconfigured
		}
	}
	return true
}

// evidenceOf is the set of trace ids the report cites for svc.
func evidenceOf(rep *triage.Report, svc string) map[string]bool {
	set := map[string]bool{}
	if rep == nil {
		return set
	}
	for _, r := range rep.Services {
		if r.Name == svc {
			for _, e := range r.Evidence {
				set[e] = true
			}
		}
	}
	return set
}

// involves reports whether a sampled trace concerns svc: its root service,
// its error origin, the uninstrumented peer the origin called, or a trace
// the report cites for the service. A TraceRow does not carry the whole
// error path, so a propagating service matches only through its evidence.
func involves(t triage.TraceRow, svc string, evidence map[string]bool) bool {
	if t.RootService == svc || evidence[t.TraceID] {
		return true
	}
	o := t.ErrorOrigin
	return o != nil && (o.Service == svc || o.Peer == svc)
}

// rankOf finds svc among the ranked services.
func rankOf(rep *triage.Report, svc string) *triage.ServiceRank {
	if rep == nil {
		return nil
	}
	for i := range rep.Services {
		if rep.Services[i].Name == svc {
			return &rep.Services[i]
		}
	}
	return nil
}

// traceColumns lay out a trace row; the origin gets more room on wide
// terminals because it is the column that answers "where".
func traceColumns(w int) []tui.Column {
	cols := []tui.Column{{Title: "", Width: 3}}
	if w >= 110 {
		cols = append(cols, tui.Column{Title: "TRACE", Width: 9})
	}
	// The mark column (state and opened) takes its third cell from the
	// origin, whose end is the span name: the route stays whole.
	origin := max(22, (w-22)/2)
	return append(cols,
		tui.Column{Title: "ROOT ROUTE", Width: 0},
		tui.Column{Title: "USER", Width: 9},
		tui.Column{Title: "DURATION", Width: 8, Right: true},
		tui.Column{Title: "ERROR ORIGIN", Width: origin})
}

// traceRow is one trace: a symbol says failing (✖) or slow (◔), so the
// marker does not rely on colour, and • that it was opened already.
func traceRow(c *tui.Common, t triage.TraceRow, withID bool) tui.Row {
	s := c.Styles
	mark, styled := "", ""
	if t.Failing {
		mark += "✖"
		styled += s.ErrorPath.Render("✖")
	}
	if t.Slow {
		mark += "◔"
		styled += s.CriticalPath.Render("◔")
	}
	if c.Opened.Has(t.TraceID) {
		mark += tui.OpenedMark
		styled += s.Accent.Render(tui.OpenedMark)
	}
	origin := "—"
	if o := t.ErrorOrigin; o != nil {
		// Who failed calling whom comes first: a cut takes the span's name,
		// never the target.
		origin = o.Service
		if o.Peer != "" {
			origin += " → " + o.Peer
		}
		origin += " · " + o.SpanName
	}
	user := t.User
	if user == "" {
		user = "—"
	}
	cells := []string{mark}
	if withID {
		cells = append(cells, t.TraceID)
	}
	cells = append(cells, t.RootService+" "+t.RootName, user, fmtMS(t.DurationMS), origin)
	return tui.Row{Cells: cells, Styled: map[int]string{0: styled}, Key: t.TraceID}
}

// The console's figures, as every page writes them.
func fmtMS(ms float64) string     { return tui.Millis(ms) }
func fmtPct(ratio float64) string { return tui.Percent(ratio) }
func fmtRate(v float64) string    { return tui.Rate(v) }

// clock is a time in the console's zone; zero times are absent.
func clock(c *tui.Common, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(c.Now().Location()).Format("15:04:05")
}

// relabel keeps a binding's keys (so config remaps still apply) under a
// description that says what the key does on this page.
func relabel(b key.Binding, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(b.Keys()...), key.WithHelp(b.Help().Key, desc))
}

// navHelp are the movement keys every list page shares.
func navHelp(k *tui.KeyMap) []key.Binding {
	return []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}
}

// unavailable says a drill-down is not wired in this program.
func unavailable(what string) tea.Cmd { return tui.Status(what+" is not available here", true) }

// fitLine cuts a drawn (possibly styled) line to w cells.
func fitLine(s string, w int) string { return tui.Truncate(s, w, "…") }

// errReason is the short text of a source error.
func errReason(err error) string {
	r, _ := triage.ErrorInfo(err)
	return r
}
