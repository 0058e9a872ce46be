package verdict

import (
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
)

func (p *Page) ref() tui.IncidentRef { return tui.IncidentRef{Alert: p.alert, Report: p.rep} }

func unavailable(what string) tea.Cmd {
	return tui.Status(what+" is not available in this program", true)
}

// selected is the focused section's row under the cursor.
func (p *Page) selected() (*section, tui.Row, bool) {
	s := p.focused()
	if s == nil || s.state != stateRows {
		return s, tui.Row{}, false
	}
	r, ok := s.list.Selected()
	return s, r, ok
}

// drill opens what the selected row stands for.
func (p *Page) drill() tea.Cmd {
	nav := p.c.Nav
	if p.focus == focusImpact {
		return p.users()
	}
	s, row, ok := p.selected()
	if !ok {
		return nil
	}
	switch s.kind {
	case secServices:
		if nav.Service == nil {
			return unavailable("the service page")
		}
		return tui.Push(nav.Service(p.ref(), row.Key))
	case secUsers:
		if nav.Traces == nil {
			return unavailable("the traces page")
		}
		return tui.Push(nav.Traces(p.ref(), tui.TraceFilter{User: row.Key}))
	case secDifferent:
		if nav.Traces == nil {
			return unavailable("the traces page")
		}
		return tui.Push(nav.Traces(p.ref(), tui.TraceFilter{Failing: true}))
	case secLogs:
		lp, ok := p.pattern(row.Key)
		switch {
		case !ok:
			return nil
		case nav.PatternLines == nil:
			return unavailable("the pattern's lines")
		}
		return tui.Push(nav.PatternLines(p.ref(), lp))
	}
	return nil
}

// pattern finds a log pattern of the report by its text.
func (p *Page) pattern(text string) (triage.LogPattern, bool) {
	if p.rep == nil {
		return triage.LogPattern{}, false
	}
	for _, lp := range p.rep.LogPatterns {
		if lp.Pattern == text {
			return lp, true
		}
	}
	return triage.LogPattern{}, false
}

// traces lists the culprit's traces, or every sampled one without a
// culprit.
func (p *Page) traces() tea.Cmd {
	if p.c.Nav.Traces == nil {
		return unavailable("the traces page")
	}
	name := ""
	if p.rep != nil && p.rep.Impact != nil {
		name = p.rep.Impact.Culprit
	}
	return tui.Push(p.c.Nav.Traces(p.ref(), tui.TraceFilter{Service: name}))
}

// logs opens the logs of the culprit's first failing trace: the proof in
// one key.
func (p *Page) logs() tea.Cmd {
	t, _ := triage.CulpritTrace(p.rep)
	if t == nil {
		if p.running {
			return tui.Status("no failing trace yet: the investigation is running", false)
		}
		return tui.Status("no failing trace in the sample", true)
	}
	if p.c.Nav.Logs == nil {
		return unavailable("the logs page")
	}
	return tui.Push(p.c.Nav.Logs(p.ref(), t.TraceID, "", nil))
}

func (p *Page) users() tea.Cmd {
	if p.c.Nav.Users == nil {
		return unavailable("the users page")
	}
	return tui.Push(p.c.Nav.Users(p.ref()))
}

// Commands are the palette's commands this page runs.
func (p *Page) Commands() []string { return []string{"services", "users", "traces", "logs"} }

// RunCommand runs a palette command.
func (p *Page) RunCommand(name string) (tea.Cmd, bool) {
	switch name {
	case "services":
		p.setFocus(secServices)
		p.relayout()
		return nil, true
	case "users":
		return p.users(), true
	case "traces":
		return p.traces(), true
	case "logs":
		return p.logs(), true
	}
	return nil, false
}

// query picks the first of a source's queries that has every marker,
// skipping the baseline's copies; with none matching, its first query.
func (p *Page) query(source string, markers ...string) string {
	st, ok := sourceStatus(p.rep, source)
	if !ok {
		return ""
	}
	first := ""
	for _, q := range st.Queries {
		if strings.HasSuffix(q, "(baseline)") {
			continue
		}
		if first == "" {
			first = q
		}
		match := true
		for _, m := range markers {
			match = match && strings.Contains(q, m)
		}
		if match {
			return q
		}
	}
	return first
}

// target is the query (or id) behind the selection, the source that runs
// it, and a label for the status line.
type target struct {
	label, source, text string
}

func (p *Page) target() (target, bool) {
	if p.focus == focusImpact {
		if p.rep == nil || p.rep.Impact == nil || p.rep.Impact.UsersEstimate == nil {
			return target{}, false
		}
		e := p.rep.Impact.UsersEstimate
		text := e.Basis
		if e.Method != "" {
			text += " — method: " + e.Method
		}
		return target{"estimate basis", triage.SourcePrometheus, text}, true
	}
	s, row, ok := p.selected()
	if !ok {
		return target{}, false
	}
	var t target
	switch s.kind {
	case secServices:
		t = p.failingTraces()
		if sr := p.service(row.Key); sr != nil && sr.ErrorRatio != nil {
			if q := p.query(triage.SourcePrometheus, "STATUS_CODE_ERROR", ") / ("); q != "" {
				t = target{"PromQL of err%", triage.SourcePrometheus, q}
			}
		}
	case secUsers:
		return target{"user id", "", row.Key}, true
	case secDifferent:
		t = p.failingTraces()
	case secLogs:
		t = target{"LogQL", triage.SourceLoki, p.query(triage.SourceLoki)}
	}
	return t, t.text != ""
}

// failingTraces is the trace backend's search for the failing traces.
func (p *Page) failingTraces() target {
	source, q := triage.FailingTracesQuery(p.rep)
	label := "TraceQL of the failing traces"
	if source != triage.SourceTempo {
		label = source + " search of the failing traces"
	}
	return target{label, source, q}
}

func (p *Page) service(name string) *triage.ServiceRank {
	if p.rep == nil {
		return nil
	}
	for i := range p.rep.Services {
		if p.rep.Services[i].Name == name {
			return &p.rep.Services[i]
		}
	}
	return nil
}

// CopyTarget is what `y` copies: the query behind the selected row, or the
// user id, or the estimate's basis.
func (p *Page) CopyTarget() (string, string, bool) {
	t, ok := p.target()
	return t.label, t.text, ok
}

// ExploreLink is the Grafana Explore link of the selected row's query; a
// user row opens that user's first trace.
func (p *Page) ExploreLink() (string, bool) {
	g := p.c.Grafana
	if g.URL == "" {
		return "", false
	}
	t, ok := p.target()
	if !ok {
		return "", false
	}
	if t.source == "" { // a user: their first trace
		id := p.userTrace(t.text)
		if id == "" {
			return "", false
		}
		t.source, t.text = p.traceSource(), id
	}
	if t.source == triage.SourcePrometheus && p.focus == focusImpact {
		t.text = p.query(triage.SourcePrometheus, "increase(", "STATUS_CODE_ERROR")
	}
	from, to := p.window()
	link, err := g.Explore(t.source, t.text, from, to)
	return link, err == nil
}

func (p *Page) userTrace(id string) string {
	if p.rep == nil {
		return ""
	}
	for _, u := range p.rep.Users {
		if u.ID == id && len(u.TraceIDs) > 0 {
			return u.TraceIDs[0]
		}
	}
	return ""
}

// window is the incident window the links open on.
func (p *Page) window() (time.Time, time.Time) {
	if p.rep != nil && !p.rep.Window.Start.IsZero() {
		return p.rep.Window.Start, p.rep.Window.End
	}
	return time.Time{}, time.Time{}
}
