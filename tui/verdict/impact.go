package verdict

import (
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
)

// status of a source in the current snapshot, pending before the first.
func (p *Page) srcState(name string) triage.SourceState {
	if st, ok := sourceStatus(p.rep, name); ok {
		return st.State
	}
	return triage.StatePending
}

// traceSource names the trace backend: the report's, else the configured one.
func (p *Page) traceSource() string {
	if p.rep != nil && len(p.rep.Sources) > 0 {
		return triage.TraceSource(p.rep)
	}
	return p.c.Data.Sources.TracesName()
}

func (p *Page) waiting(name string) bool {
	st := p.srcState(name)
	return st == triage.StatePending || (p.running && p.rep == nil)
}

// impactLines renders the IMPACT block: who is hit and how badly, over
// which requests, who did it and when it began; for a report computed
// earlier, how old it is; at 120 columns and more, the estimate's basis.
// The answer is never cut: its lines wrap under the label.
func (p *Page) impactLines(w int, focused bool, spin string) []string {
	st := p.c.Styles
	label := " " + st.Title.Render("IMPACT") + "  "
	if focused {
		label = st.Selected.Render("▸IMPACT") + "  "
	}
	const labelW = 9
	r := p.rep
	var paras []string
	switch {
	case r == nil && p.runErr != nil:
		paras = []string{st.Unknown.Render("unknown — investigation failed: " + tui.Fit(p.runErr.Error(), 2*w))}
	case r == nil || (r.Impact == nil && (p.waiting(p.traceSource()) || p.waiting(triage.SourcePrometheus))):
		paras = []string{st.Faint.Render(spin + "waiting for " + p.traceSource() + " and prometheus…")}
	case r.Impact == nil:
		paras = []string{st.Unknown.Render("unknown — " + tui.Fit(reason(r, p.traceSource()), w) + "; " + tui.Fit(reason(r, triage.SourcePrometheus), w))}
		if p.allFailed() {
			paras = append(paras, st.Unknown.Render("every source failed: no evidence")+st.Faint.Render(" — r retries · S shows each source's error"))
		}
	default:
		paras = []string{joinDot(st, p.usersPart(r.Impact, spin), p.ratioPart(r.Impact))}
		var second string
		if c := triage.CulpritLine(r); c != "" {
			second = st.Text.Render("culprit: ") + st.ErrorPath.Render(tui.Fit(c, w))
		} else if r.Services != nil {
			second = st.Faint.Render("no culprit in the sample")
		}
		second = joinDot(st, second, p.beganPart(r.Impact))
		paras = append(paras, joinDot(st, second, p.agePart()))
		if widthClass(w) >= medium && p.hasBasis() {
			paras = append(paras, p.basisPart(r))
		}
	}
	var lines []string
	for _, para := range paras {
		for _, l := range strings.Split(ansi.Wrap(para, max(w-labelW, 20), " ·"), "\n") {
			if len(lines) == 0 {
				lines = append(lines, label+l)
			} else {
				lines = append(lines, strings.Repeat(" ", labelW)+l)
			}
		}
	}
	if room := p.impactRoom(); len(lines) > room {
		// A short terminal keeps the services' rows: the block is cut,
		// saying so; y on IMPACT and S still reach all of it.
		lines = lines[:room]
		lines[room-1] = tui.Truncate(lines[room-1], w-1, "") + "…"
	}
	for i := range lines {
		lines[i] = tui.Truncate(lines[i], w, "…")
	}
	return lines
}

// impactRoom is how many rows the impact block may take: all it needs on a
// roomy terminal, fewer on a short one, so the services keep theirs.
func (p *Page) impactRoom() int {
	switch {
	case p.height < 20:
		return 2
	case p.height < 26:
		return 5
	}
	return 8
}

func joinDot(st *tui.Styles, a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + st.Faint.Render(" · ") + b
}

// usersPart is who is affected: the estimate of the incident's kind, and
// the users of the other kind seen, worded as the report words them.
func (p *Page) usersPart(imp *triage.Impact, spin string) string {
	st := p.c.Styles
	if imp.UsersEstimate == nil && imp.UsersSeen == nil {
		if p.waiting(p.traceSource()) {
			return st.Faint.Render(spin + "users: waiting for " + p.traceSource())
		}
		return st.Unknown.Render("users unknown — " + tui.Fit(reason(p.rep, p.traceSource()), 50))
	}
	why := func(field string) string {
		if p.waiting(triage.SourcePrometheus) && field == "users_estimate" {
			return "waiting for prometheus"
		}
		return triage.WhyUnknown(p.rep, field)
	}
	text := tui.Fit(triage.ImpactUsers(imp, why), 400)
	if strings.HasPrefix(text, "≈") {
		head, rest, _ := strings.Cut(text, " (")
		if rest != "" {
			rest = " (" + rest
		}
		return st.Estimate.Render(head) + st.Text.Render(rest)
	}
	return st.Text.Render(text)
}

func sourceAnswered(s triage.SourceState) bool {
	return s == triage.StateOK || s == triage.StateSlow || s == triage.StatePartial
}

// ratioPart is the share of requests hit, over which requests and window:
// slower than the threshold in a latency incident, failing otherwise.
func (p *Page) ratioPart(imp *triage.Impact) string {
	st := p.c.Styles
	if s := triage.ImpactRatio(imp); s != "" {
		pct, rest, _ := strings.Cut(s, " (")
		if rest != "" {
			rest = " (" + rest
		}
		return st.Bold.Render(pct) + st.Text.Render(rest)
	}
	what := "failing ratio"
	if imp.Kind == triage.KindLatency {
		what = "slow ratio"
	}
	switch {
	case p.waiting(triage.SourcePrometheus):
		return st.Faint.Render(what + ": waiting for prometheus")
	case !sourceAnswered(p.srcState(triage.SourcePrometheus)):
		return st.Unknown.Render(what + " unknown — " + tui.Fit(reason(p.rep, triage.SourcePrometheus), 50))
	}
	field := "failing_ratio"
	if imp.Kind == triage.KindLatency {
		field = "slow_ratio"
	}
	if w := imp.Unknown[field]; w != "" {
		return st.Unknown.Render(what + " unknown — " + tui.Fit(w, 2*p.width))
	}
	return ""
}

// agePart says, for a report computed before the page opened (pre-warmed
// or recorded), when: "as of 03:20:41 · 2m ago · r refreshes".
//
// A live verdict says it once it is a minute old, and a refresh says it
// is running while the old figures stand.
func (p *Page) agePart() string {
	r := p.rep
	if p.running && p.prev != nil {
		r = p.prev
	}
	if r == nil || r.Window.End.IsZero() || p.running && p.prev == nil {
		return ""
	}
	st := p.c.Styles
	at := r.Window.End
	d := p.c.Now().Sub(at)
	if !p.given && !p.running && d < time.Minute {
		return ""
	}
	s := "as of " + p.clock(at)
	if d >= time.Second {
		s += " · " + age(d) + " ago"
	}
	if p.running {
		return st.Faint.Render(s + " · refreshing…")
	}
	return st.Faint.Render(s + " · " + p.c.Keys.Refresh.Help().Key + " refreshes")
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
		est := "estimate: " + tui.Fit(e.Basis, 400)
		if e.Method != "" {
			// The method is on the users page, one key away.
			est += " (" + p.c.Keys.Users.Help().Key + ": method)"
		}
		parts = append(parts, est)
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
