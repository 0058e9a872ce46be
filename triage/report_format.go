package triage

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/triagectl/triage/internal/safe"
)

// What the text, markdown and Slack reports share: their options, how
// each figure is written (as the console writes it, so a number reads the
// same everywhere), what each section shows and what it leaves out, and the
// links to the evidence.

// ReportOptions add what the report alone does not know.
type ReportOptions struct {
	// Grafana, when configured, adds Explore links to the evidence and to
	// each trace listed.
	Grafana Grafana
}

// How many rows of each section the text and markdown reports show; the
// rest are counted ("+3 more services") and are all in the JSON.
const (
	shownServices    = 10
	shownUsers       = 5
	shownDifferences = 3
	shownPatterns    = 5
	shownTraces      = 5
)

// FigureMillis writes a duration in milliseconds with three significant
// digits, as the console does: 587µs, 6.56ms, 2.04s, 15.0s, 1m02s; "?"
// when unmeasured.
func FigureMillis(ms *float64) string {
	if ms == nil || math.IsNaN(*ms) || math.IsInf(*ms, 0) {
		return "?"
	}
	return FigureDuration(time.Duration(math.Round(*ms * float64(time.Millisecond))))
}

// FigurePercent writes a ratio as a percentage with one decimal: "2.6%".
func FigurePercent(ratio *float64) string {
	if ratio == nil || math.IsNaN(*ratio) || math.IsInf(*ratio, 0) {
		return "?"
	}
	return strconv.FormatFloat(100**ratio, 'f', 1, 64) + "%"
}

// FigureRate writes a per-second rate with three significant digits, two
// decimals at most: 0.05, 3.00, 12.4, 137.
func FigureRate(v *float64) string {
	switch {
	case v == nil || math.IsNaN(*v) || math.IsInf(*v, 0):
		return "?"
	case *v < 10:
		return strconv.FormatFloat(*v, 'f', 2, 64)
	case *v < 100:
		return strconv.FormatFloat(*v, 'f', 1, 64)
	}
	return strconv.FormatFloat(*v, 'f', 0, 64)
}

// FigureDuration writes a duration in at most 7 cells with three
// significant digits: 587µs, 6.56ms, 2.04s, 15.0s, 1m02s.
func FigureDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0"
	case d < time.Microsecond:
		return strconv.FormatInt(int64(d), 10) + "ns"
	case d < time.Millisecond:
		return sig3(float64(d)/1e3) + "µs"
	case d < time.Second:
		return sig3(float64(d)/1e6) + "ms"
	case d < time.Minute:
		return sig3(float64(d)/1e9) + "s"
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	case d < 100*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return strconv.Itoa(int(d/(24*time.Hour))) + "d"
}

func sig3(v float64) string {
	switch {
	case v < 10:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case v < 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

// more says what a section leaves out: "+3 more services", "" when
// nothing.
func more(total, shown int, one, many string) string {
	n := total - shown
	switch {
	case n <= 0:
		return ""
	case n == 1:
		return "+1 more " + one
	}
	return fmt.Sprintf("+%d more %s", n, many)
}

// moreServices names the services a section leaves out after the first
// shown: "+2 more services: cart, search"; "" when none. Past a dozen
// names, the rest are counted.
func moreServices(r *Report, shown int) string {
	m := more(len(r.Services), shown, "service", "services")
	if m == "" {
		return ""
	}
	const named = 12
	var names []string
	for i, s := range r.Services[shown:] {
		if i == named {
			names = append(names, fmt.Sprintf("and %d more", len(r.Services)-shown-named))
			break
		}
		names = append(names, cell(s.Name, 40))
	}
	return m + ": " + strings.Join(names, ", ")
}

// cell makes an external string safe for one line, and short.
func cell(s string, max int) string { return safe.Truncate(safe.Line(s), max) }

// sourcesLine is each source's state in a few words: "prometheus ok ·
// loki failed · tempo ok".
func sourcesLine(r *Report) string {
	var parts []string
	for _, s := range r.Sources {
		st := string(s.State)
		if s.Lagging() {
			st += ", lagging"
		}
		parts = append(parts, s.Name+" "+st)
	}
	return strings.Join(parts, " · ")
}

// failedSources are the sources that failed, with why.
func failedSources(r *Report) []string {
	var out []string
	for _, s := range r.Sources {
		if s.State == StateFailed {
			out = append(out, s.Name+": "+cell(s.Error, 120))
		}
	}
	return out
}

// reasonOf is why a source's sections are unknown.
func reasonOf(r *Report, name string) string {
	for _, s := range r.Sources {
		if s.Name == name {
			if s.Error != "" {
				return name + ": " + cell(s.Error, 120)
			}
			return name + ": " + string(s.State)
		}
	}
	return name + ": not queried"
}

// impactText is the impact in one line: who, how much, since when.
func impactText(r *Report) string {
	imp := r.Impact
	if imp == nil {
		return "unknown — no source answered"
	}
	parts := []string{ImpactUsers(imp, func(field string) string { return cell(WhyUnknown(r, field), 120) })}
	if ratio := ImpactRatio(imp); ratio != "" {
		parts = append(parts, ratio)
	}
	if b := beganText(r); b != "" {
		parts = append(parts, b)
	}
	return strings.Join(parts, " · ")
}

func beganText(r *Report) string {
	imp := r.Impact
	if imp == nil || imp.BeganAt == nil {
		return ""
	}
	s := "began " + imp.BeganAt.UTC().Format("15:04:05")
	if d := r.Alert.StartsAt.Sub(*imp.BeganAt); !r.Alert.StartsAt.IsZero() && d > 0 {
		s += fmt.Sprintf(", %s before the alert", d.Round(time.Second))
	}
	return s
}

// culpritText names the culprit as the console does, with its failing
// traces; "" when there is none.
func culpritText(r *Report) string {
	for _, s := range r.Services {
		if s.Role == RoleCulprit {
			line := CulpritLine(r)
			if line == "" {
				line = s.Name
			}
			return cell(line, 120) + fmt.Sprintf(" — %d failing traces", s.FailingTraces)
		}
	}
	return ""
}

// headline is the alert's name, service and severity.
func headline(r *Report) []string {
	parts := []string{cell(r.Alert.Name, 80)}
	if r.Alert.Scope.Service != "" {
		parts = append(parts, cell(r.Alert.Scope.Service, 60))
	}
	if sev := r.Alert.Labels["severity"]; sev != "" {
		parts = append(parts, cell(sev, 20))
	}
	return parts
}

func windowText(r *Report) string {
	return fmt.Sprintf("%s–%s UTC", r.Window.Start.UTC().Format("15:04"), r.Window.End.UTC().Format("15:04"))
}

// EvidenceLinks are Grafana Explore links to the evidence behind the
// verdict: the culprit's example trace, the failing-trace search, the
// error lines and the error-ratio series, each only when its source
// answered and Grafana has a datasource for it.
func EvidenceLinks(r *Report, g Grafana) []ReportLink {
	if g.URL == "" {
		return nil
	}
	from, to := r.Window.Start, r.Window.End
	var out []ReportLink
	add := func(source, query, title string) {
		if query == "" || !sourceOK(r, source) {
			return
		}
		if u := g.ExploreLink(source, query, from, to); u != "" {
			out = append(out, ReportLink{Title: title, Source: source, URL: u})
		}
	}
	ts := TraceSource(r)
	for _, s := range r.Services {
		if s.Role == RoleCulprit && len(s.Evidence) > 0 && IsTraceID(s.Evidence[0]) {
			add(ts, s.Evidence[0], "example trace "+s.Evidence[0][:8])
			break
		}
	}
	if source, q := FailingTracesQuery(r); q != "" {
		add(source, q, "failing traces")
	}
	add(SourceLoki, firstQuery(r, SourceLoki, func(q string) bool { return strings.HasPrefix(q, "{") }), "error logs")
	add(SourcePrometheus, firstQuery(r, SourcePrometheus, func(q string) bool { return strings.Contains(q, ") / (") }), "error ratio")
	return out
}

// linksOf are the report's links: the ones it carries, else those the
// options' Grafana gives.
func linksOf(r *Report, o ReportOptions) []ReportLink {
	if len(r.Links) > 0 {
		return r.Links
	}
	return EvidenceLinks(r, o.Grafana)
}

// traceLink opens one trace in Grafana; "" without Grafana.
func traceLink(r *Report, o ReportOptions, id string) string {
	ts := TraceSource(r)
	if !IsTraceID(id) || !sourceOK(r, ts) {
		return ""
	}
	return o.Grafana.ExploreLink(ts, id, r.Window.Start, r.Window.End)
}

// firstQuery is the first incident-window query of a source that ok
// accepts.
func firstQuery(r *Report, source string, ok func(string) bool) string {
	for _, s := range r.Sources {
		if s.Name != source {
			continue
		}
		for _, q := range s.Queries {
			if _, purpose := SplitQuery(q); purpose == "" && ok(q) {
				return q
			}
		}
	}
	return ""
}

// shownTraceRows are the traces a report lists: failing ones first, in
// the report's order.
func shownTraceRows(r *Report) []TraceRow {
	var failing, other []TraceRow
	for _, t := range r.Traces {
		if t.Failing {
			failing = append(failing, t)
		} else {
			other = append(other, t)
		}
	}
	failing = append(failing, other...)
	return failing[:min(shownTraces, len(failing))]
}

// traceWhat says what went wrong in a trace: where its error began, or
// that it was slow.
func traceWhat(t TraceRow) string {
	if o := t.ErrorOrigin; o != nil {
		at := o.Service
		if o.Peer != "" {
			at += " → " + o.Peer
		}
		s := "error at " + at
		if o.Message != "" {
			s += ": " + o.Message
		}
		return s
	}
	if t.Slow {
		return "slow"
	}
	if t.Failing {
		return "failed"
	}
	return ""
}

func userDetail(u UserImpact) string {
	if len(u.Attributes) == 0 {
		return ""
	}
	var parts []string
	for _, k := range mdSortedKeys(u.Attributes) {
		parts = append(parts, cell(u.Attributes[k], 24))
	}
	return strings.Join(parts, " · ")
}

func mdSortedKeys(m map[string]string) []string {
	set := make(map[string]bool, len(m))
	for k := range m {
		set[k] = true
	}
	return sortedSet(set)
}

// IsTraceID reports whether s is a lower-case hex trace id of 64 or 128
// bits, as the report writes them.
func IsTraceID(s string) bool {
	if len(s) != 16 && len(s) != 32 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}
