package verdict

import (
	"sort"
	"strings"
	"time"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
)

// shortSource is a source's name in the header's dots.
func shortSource(name string) string {
	if name == triage.SourcePrometheus {
		return "prom"
	}
	return tui.Fit(name, 12)
}

// sourceStates are the header's dots: the report's states, or before the
// first snapshot, pending for each configured source.
func (p *Page) sourceStates() []triage.SourceStatus {
	if p.rep != nil && len(p.rep.Sources) > 0 {
		return p.rep.Sources
	}
	src := p.c.Data.Sources
	configured := []bool{src.Metrics != nil, src.Logs != nil, src.Traces != nil}
	out := make([]triage.SourceStatus, 3)
	for i, name := range []string{triage.SourcePrometheus, triage.SourceLoki, src.TracesName()} {
		out[i] = triage.SourceStatus{Name: name, State: triage.StatePending}
		if !configured[i] {
			out[i].State = triage.StateUnconfigured
		}
		if p.runErr != nil {
			out[i].State = triage.StateFailed
		}
	}
	return out
}

func (p *Page) dots(compact bool) string {
	st := p.c.Styles
	var parts []string
	for _, s := range p.sourceStates() {
		name := shortSource(s.Name)
		if compact {
			name = tui.Truncate(name, 1, "")
		}
		dot := st.State(s.State)
		if s.Lagging() {
			lag := "lagging " + age(time.Duration(s.Freshness.AgeSeconds)*time.Second)
			if compact {
				lag = age(time.Duration(s.Freshness.AgeSeconds) * time.Second)
			}
			dot = st.StateStyle(triage.StateSlow).Render("◔ " + lag)
		}
		parts = append(parts, st.Faint.Render(name)+" "+dot)
	}
	return strings.Join(parts, " ")
}

// headerLines are the alert's name, scope, severity and age on the left,
// the sources' dots on the right; with room, the alert's summary below.
func (p *Page) headerLines(w int, summary bool) []string {
	st := p.c.Styles
	sep := st.Faint.Render(" · ")
	left := []string{st.Header.Render(tui.Fit(p.alert.Name, 40))}
	if p.scope.Service != "" {
		left = append(left, st.Text.Render(tui.Fit(p.scope.Service, 30)))
	}
	if extra := p.extraLabels(); extra != "" && widthClass(w) >= medium {
		left = append(left, st.Faint.Render(tui.Fit(extra, 50)))
	}
	if sev := p.alert.Labels["severity"]; sev != "" {
		left = append(left, st.Severity(tui.Fit(sev, 12)))
	}
	firing := "firing"
	clock := ""
	if !p.alert.StartsAt.IsZero() {
		firing += " " + age(p.c.Now().Sub(p.alert.StartsAt))
		clock = " (" + p.clock(p.alert.StartsAt) + ")"
	}
	// The DEMO badge is the breadcrumb's, on every page; not here again.
	right := p.dots(false)
	// Drop the start clock first, then shorten the dots' names; the left
	// part is cut last.
	for _, try := range []struct {
		clock   bool
		compact bool
	}{{true, false}, {false, false}, {false, true}} {
		l := " " + strings.Join(left, sep) + sep + st.Text.Render(firing)
		if try.clock {
			l += st.Faint.Render(clock)
		}
		r := right
		if try.compact {
			r = p.dots(true)
		}
		lw, rw := tui.Width(l), tui.Width(r)
		if lw+1+rw <= w || try.compact {
			if lw+1+rw > w {
				l = tui.Truncate(l, max(w-rw-1, 1), "…")
				lw = tui.Width(l)
			}
			lines := []string{tui.Truncate(l+strings.Repeat(" ", max(w-lw-rw, 1))+r, w, "…")}
			if summary {
				if s := p.summary(); s != "" {
					lines = append(lines, tui.Truncate(" "+st.Faint.Render(tui.Fit(s, w-1)), w, "…"))
				}
			}
			return lines
		}
	}
	return nil
}

// summary is the alert's own explanation, as its rule wrote it.
func (p *Page) summary() string {
	for _, k := range []string{"summary", "description", "message"} {
		if v := strings.TrimSpace(p.alert.Annotations[k]); v != "" {
			return v
		}
	}
	return ""
}

// extraLabels are the alert's labels besides its name, severity and the
// scope's label: the namespace or cluster that scopes it further.
func (p *Page) extraLabels() string {
	var keys []string
	for k := range p.alert.Labels {
		if k == "alertname" || k == "severity" || k == p.scope.ServiceLabel {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + p.alert.Labels[k]
	}
	return strings.Join(parts, " ")
}
