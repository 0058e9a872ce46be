package verdict

import (
	"strings"
	"time"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
)

// culprit is the incident's culprit and the trace that shows it: the first
// failing trace whose error began at (or called) the culprit.
type culprit struct {
	name  string
	trace *triage.TraceRow
	// matched says the trace is the culprit's own, not merely the first
	// failing trace of the sample.
	matched bool
}

func culpritOf(r *triage.Report) culprit {
	if r == nil {
		return culprit{}
	}
	var c culprit
	if r.Impact != nil {
		c.name = r.Impact.Culprit
	}
	if c.name == "" {
		for _, s := range r.Services {
			if s.Role == triage.RoleCulprit {
				c.name = s.Name
				break
			}
		}
	}
	for i := range r.Traces {
		t := &r.Traces[i]
		if c.name != "" && t.Failing && t.ErrorOrigin != nil && (t.ErrorOrigin.Service == c.name || t.ErrorOrigin.Peer == c.name) {
			c.trace, c.matched = t, true
			return c
		}
	}
	for i := range r.Traces {
		if r.Traces[i].Failing {
			c.trace = &r.Traces[i]
			return c
		}
	}
	return c
}

// culpritLine is "payments → ledger-db (timeout)": where the error began,
// the uninstrumented peer it called, and its class.
func (c culprit) line() string {
	if c.name == "" {
		return ""
	}
	if !c.matched || c.trace.ErrorOrigin == nil {
		return tui.Fit(c.name, 40)
	}
	o := c.trace.ErrorOrigin
	s := tui.Fit(o.Service, 30)
	if o.Peer != "" {
		s += " → " + tui.Fit(o.Peer, 30)
	}
	if r := shortReason(o.Message); r != "" {
		s += " (" + tui.Fit(r, 40) + ")"
	}
	return s
}

// status of a source in the current snapshot, pending before the first.
func (p *Page) srcState(name string) triage.SourceState {
	if st, ok := sourceStatus(p.rep, name); ok {
		return st.State
	}
	return triage.StatePending
}

func (p *Page) waiting(name string) bool {
	st := p.srcState(name)
	return st == triage.StatePending || (p.running && p.rep == nil)
}

// impactLines renders the IMPACT block: who is hit and how badly, when it
// began and who did it; at 120 columns and more, the estimate's basis.
func (p *Page) impactLines(w int, focused bool, spin string) []string {
	st := p.c.Styles
	label := " " + st.Title.Render("IMPACT") + "  "
	if focused {
		label = st.Selected.Render("▸IMPACT") + "  "
	}
	// At 80 columns the second line needs the room more than it needs to
	// line up under the label.
	indent := " "
	if widthClass(w) >= medium {
		indent = "         "
	}
	r := p.rep
	var l1, l2, l3 string
	switch {
	case r == nil && p.runErr != nil:
		l1 = st.Unknown.Render("unknown — investigation failed: " + tui.Fit(p.runErr.Error(), w))
	case r == nil || (r.Impact == nil && (p.waiting(triage.SourceTempo) || p.waiting(triage.SourcePrometheus))):
		l1 = st.Faint.Render(spin + "waiting for tempo and prometheus…")
	case r.Impact == nil:
		l1 = st.Unknown.Render("unknown — " + tui.Fit(reason(r, triage.SourceTempo), w/2) + "; " + tui.Fit(reason(r, triage.SourcePrometheus), w/2))
		if p.allFailed() {
			l2 = st.Unknown.Render("every source failed: no evidence") + st.Faint.Render(" — r retries · S shows each source's error")
		}
	default:
		l1 = joinDot(st, p.usersPart(r.Impact, spin), p.ratioPart(r.Impact))
		if c := p.culprit.line(); c != "" {
			l2 = st.Text.Render("culprit: ") + st.ErrorPath.Render(c)
		} else if r.Services != nil {
			l2 = st.Faint.Render("no culprit in the sample")
		}
		l2 = joinDot(st, l2, p.beganPart(r.Impact))
		if widthClass(w) >= medium && p.hasBasis() {
			l3 = p.basisPart(r)
		}
	}
	lines := []string{label + l1, indent + l2}
	if l3 != "" {
		lines = append(lines, indent+l3)
	}
	for i := range lines {
		lines[i] = tui.Truncate(lines[i], w, "…")
	}
	return lines
}

func joinDot(st *tui.Styles, a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + st.Faint.Render(" · ") + b
}

func (p *Page) usersPart(imp *triage.Impact, spin string) string {
	st := p.c.Styles
	seen := ""
	if imp.UsersSeen != nil {
		seen = itoa(*imp.UsersSeen) + " seen in " + itoa(imp.SampledTraces) + " sampled traces"
	}
	if e := imp.UsersEstimate; e != nil {
		s := st.Estimate.Render("≈"+thousands(e.Value)+" users") + st.Text.Render(" (est. "+thousands(e.Low)+"–"+thousands(e.High))
		if seen != "" {
			s += st.Text.Render("; " + seen)
		}
		return s + st.Text.Render(")")
	}
	var est string
	switch {
	case p.waiting(triage.SourcePrometheus):
		est = st.Faint.Render(spin + "estimate waiting for prometheus")
	case !sourceAnswered(p.srcState(triage.SourcePrometheus)):
		est = st.Unknown.Render("no estimate — " + tui.Fit(reason(p.rep, triage.SourcePrometheus), 50))
	default:
		est = st.Faint.Render("no estimate (no failing-request count)")
	}
	switch {
	case seen != "":
		return st.Text.Render(seen) + st.Faint.Render(" · ") + est
	case p.waiting(triage.SourceTempo):
		return st.Faint.Render(spin + "users: waiting for tempo")
	}
	return st.Unknown.Render("users unknown — " + tui.Fit(reason(p.rep, triage.SourceTempo), 50))
}

func sourceAnswered(s triage.SourceState) bool {
	return s == triage.StateOK || s == triage.StateSlow || s == triage.StatePartial
}

func (p *Page) ratioPart(imp *triage.Impact) string {
	st := p.c.Styles
	var s string
	switch {
	case imp.FailingRatio != nil:
		s = st.Bold.Render(pct(imp.FailingRatio) + "% failing")
	case p.waiting(triage.SourcePrometheus):
		s = st.Faint.Render("failing ratio: waiting for prometheus")
	case !sourceAnswered(p.srcState(triage.SourcePrometheus)):
		s = st.Unknown.Render("failing ratio unknown — " + tui.Fit(reason(p.rep, triage.SourcePrometheus), 50))
	}
	if n := len(imp.EntryPoints); n > 0 {
		e := tui.Fit(imp.EntryPoints[0], 48)
		if n > 1 {
			e += " +" + itoa(n-1)
		}
		if imp.FailingRatio != nil {
			return s + st.Text.Render(" at "+e)
		}
		s = joinDot(st, s, st.Text.Render("entry "+e))
	}
	return s
}

func (p *Page) beganPart(imp *triage.Impact) string {
	if imp.BeganAt == nil {
		return ""
	}
	st := p.c.Styles
	s := "began " + p.clock(*imp.BeganAt)
	if at := p.alert.StartsAt; !at.IsZero() {
		d := at.Sub(*imp.BeganAt).Round(time.Second)
		switch {
		case d > 0:
			s += ", " + d.String() + " before the alert"
		case d < 0:
			s += ", " + (-d).String() + " after the alert"
		}
	}
	return st.Text.Render(s)
}

// basisPart says how the estimate and the start were found.
func (p *Page) basisPart(r *triage.Report) string {
	st := p.c.Styles
	var parts []string
	if e := r.Impact.UsersEstimate; e != nil && e.Basis != "" {
		parts = append(parts, "estimate: "+tui.Fit(e.Basis, 200))
	}
	if r.Timeline != nil && r.Timeline.Basis != "" {
		parts = append(parts, "began: "+tui.Fit(r.Timeline.Basis, 80))
	}
	return st.Faint.Render(strings.Join(parts, " · "))
}

// hasBasis reports whether the impact block has a basis line to show.
func (p *Page) hasBasis() bool {
	r := p.rep
	if r == nil || r.Impact == nil {
		return false
	}
	e := r.Impact.UsersEstimate
	return e != nil && e.Basis != "" || r.Timeline != nil && r.Timeline.Basis != ""
}

// allFailed reports a finished investigation in which no source answered.
func (p *Page) allFailed() bool {
	if p.rep == nil || p.running {
		return false
	}
	for _, s := range p.rep.Sources {
		if s.State != triage.StateFailed && s.State != triage.StateUnconfigured {
			return false
		}
	}
	return true
}
