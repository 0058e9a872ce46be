package verdict

import (
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
)

// The verdict's row sections, in display order; focusImpact is the impact
// block, which tab reaches too so its estimate basis can be copied.
const (
	secServices = iota
	secUsers
	secDifferent
	secLogs
	numSections
	focusImpact = numSections
)

// sectionState is what a section can say: it waits for its source, its
// source failed (unknown), it is known to be empty, or it has rows.
type sectionState int

const (
	stateLoading sectionState = iota
	stateUnknown
	stateEmpty
	stateRows
)

// section is one list of the verdict.
type section struct {
	kind   int
	name   string // SERVICES…
	source string // the source whose answer fills it
	empty  string // what a known-empty section says
	short  string // the same, short, before a lag warning

	state sectionState
	msg   string // the reason when unknown
	lag   string // its source lagged: "loki's newest log line of checkout is 6m old"
	count int    // rows before filtering

	list *tui.List
}

func newSection(c *tui.Common, kind int, name, source, empty, short string) *section {
	return &section{kind: kind, name: name, source: source, empty: empty, short: short, list: tui.NewList(c)}
}

// setFocus draws the cursor row selected, or as any other row.
func (s *section) setFocus(focused bool) { s.list.SetFocused(focused) }

// title is the section's name with its row count, the first column's title.
func (s *section) title() string {
	if s.state == stateRows {
		return s.name + " " + itoa(s.count)
	}
	return s.name
}

// rowsWanted is how many body rows the section could use, the filter line
// included.
func (s *section) rowsWanted() int {
	if s.state != stateRows {
		return 0
	}
	n := max(s.list.Len(), 1)
	if s.list.Filtering() || s.list.Filter() != "" {
		n++
	}
	return n
}

// view renders the section in body rows under its title row. A section
// without rows is one line: its title and its loading, unknown or empty
// message.
func (s *section) view(c *tui.Common, w, body int, focused bool, spin string) []string {
	st := c.Styles
	if s.state != stateRows {
		var msg string
		switch s.state {
		case stateLoading:
			msg = st.Faint.Render(spin + "waiting for " + s.source + "…")
		case stateUnknown:
			msg = st.Unknown.Render("unknown — " + tui.Fit(s.msg, max(w-len(s.name)-14, 8)))
		case stateEmpty:
			msg = st.Faint.Render(s.empty)
			if s.lag != "" {
				// Silence means good only when the source is current.
				msg = st.Unknown.Render(s.short + " — but " + s.lag)
			}
		}
		return []string{tui.Truncate(" "+st.Title.Render(s.name)+"  "+msg, w, "…")}
	}
	s.list.SetSize(w, body+1)
	lines := strings.Split(s.list.View(), "\n")
	lines[0] = restyleTitle(st, lines[0], s.title())
	if s.lag != "" {
		lines[0] = ansi.Truncate(" "+st.Title.Render(s.title())+"  "+st.StateStyle(triage.StateSlow).Render("◔ "+s.lag), w, "…")
	}
	return lines
}

// restyleTitle draws the section's name, the first column title, in the
// title style; the list draws every column title faint.
func restyleTitle(st *tui.Styles, line, title string) string {
	plain := ansi.Strip(line)
	if !strings.HasPrefix(plain, " "+title) {
		return line
	}
	return " " + st.Title.Render(title) + st.Faint.Render(plain[1+len(title):])
}

// sourceStatus finds a source's status in the report.
func sourceStatus(r *triage.Report, name string) (triage.SourceStatus, bool) {
	if r == nil {
		return triage.SourceStatus{}, false
	}
	for _, s := range r.Sources {
		if s.Name == name {
			return s, true
		}
	}
	return triage.SourceStatus{}, false
}

// reason is why a source's sections are unknown: "tempo: <error>".
func reason(r *triage.Report, name string) string {
	st, ok := sourceStatus(r, name)
	switch {
	case !ok:
		return name + ": not queried"
	case st.Error != "":
		return name + ": " + st.Error
	}
	return name + ": " + string(st.State)
}

// settle decides a section's state from its data (nil is unknown) and its
// source's status.
func (s *section) settle(r *triage.Report, known bool, n int, running bool, runErr error) {
	s.count = n
	s.lag = ""
	if st, ok := sourceStatus(r, s.source); ok && st.Lagging() {
		noun := map[string]string{triage.SourceLoki: "line", triage.SourcePrometheus: "sample"}[s.source]
		if noun == "" {
			noun = "trace"
		}
		scope := r.Alert.Scope.Service
		if scope == "" {
			scope = "any service"
		}
		f := st.Freshness
		s.lag = s.source + "'s newest " + noun + " for " + scope + " is " + age(time.Duration(f.AgeSeconds)*time.Second) + " old"
		if f.Newest.IsZero() {
			s.lag = s.source + " has no " + noun + " for " + scope + " in the last hour"
		}
	}
	switch {
	case r == nil && runErr != nil:
		s.state, s.msg = stateUnknown, "investigation failed: "+runErr.Error()
	case r == nil:
		s.state = stateLoading
	case known && n == 0:
		s.state = stateEmpty
	case known:
		s.state = stateRows
	default:
		st, _ := sourceStatus(r, s.source)
		switch {
		case st.State == triage.StatePending || (running && st.State != triage.StateFailed && st.State != triage.StateUnconfigured):
			s.state = stateLoading
		default:
			s.state, s.msg = stateUnknown, reason(r, s.source)
		}
	}
}
