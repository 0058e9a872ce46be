package triage

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/triagectl/triage/internal/safe"
)

// MaxMarkdownLines bounds the markdown report, so it fits a chat message.
const MaxMarkdownLines = 40

// MarkdownOptions add what the report alone does not know.
type MarkdownOptions struct {
	// Grafana, when configured, adds Explore links to the evidence.
	Grafana Grafana
}

// WriteMarkdown renders the report for chat and postmortems: the verdict,
// top services, users, the difference and the log patterns, within
// MaxMarkdownLines lines. Unknown sections say so, with the reason.
func WriteMarkdown(w io.Writer, r *Report) error {
	return WriteMarkdownWith(w, r, MarkdownOptions{})
}

// WriteMarkdownWith is WriteMarkdown with options: Slack's markup (*bold*,
// `code`, <url|text> links), so it pastes into a channel as it is.
func WriteMarkdownWith(w io.Writer, r *Report, o MarkdownOptions) error {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	a := r.Alert
	sev := a.Labels["severity"]
	head := "*" + mdText(a.Name) + "*"
	if a.Scope.Service != "" {
		head += " · " + mdText(a.Scope.Service)
	}
	if sev != "" {
		head += " · " + mdText(sev)
	}
	line("%s · window %s–%s UTC", head, r.Window.Start.UTC().Format("15:04"), r.Window.End.UTC().Format("15:04"))
	line("*Impact:* %s", mdImpact(r))
	if v := mdVerdict(r); v != "" {
		line("*Verdict:* %s", v)
	}
	if down := mdUnknown(r); down != "" {
		line("*Unknown:* %s", down)
	}

	line("")
	line("*Services*")
	switch {
	case r.Services == nil:
		line("unknown — %s", mdReason(r, TraceSource(r)))
	case len(r.Services) == 0:
		line("none implicated in the sampled traces")
	default:
		var t strings.Builder
		tw := tabwriter.NewWriter(&t, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "service\trole\terr%\tbaseline\tfail/s\tp99")
		for _, s := range r.Services[:min(5, len(r.Services))] {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", safe.Truncate(safe.Line(s.Name), 24), s.Role,
				mdPct(s.ErrorRatio), mdPct(s.ErrorRatioBaseline), mdNum(s.FailedPerS), mdMS(s.P99MS))
		}
		tw.Flush()
		line("```\n%s```", t.String())
	}

	line("*Users*")
	switch {
	case r.Users == nil:
		line("unknown — %s", mdReason(r, TraceSource(r)))
	case len(r.Users) == 0:
		line("no user attribute on the sampled traces")
	default:
		for _, u := range r.Users[:min(5, len(r.Users))] {
			line("• `%s` %d failed, %d slow%s", safe.Truncate(safe.Line(u.ID), 40), u.Failed, u.Slow, mdUserDetail(u))
		}
	}

	switch {
	case r.Differences == nil:
		line("*Different:* unknown — %s", mdReason(r, TraceSource(r)))
	case len(r.Differences) == 0:
		line("*Different:* nothing stands out against the baseline")
	default:
		d := r.Differences[0]
		line("*Different:* `%s=%s` on %.0f%% of failing vs %.0f%% of baseline", mdText(d.Attribute), mdText(d.Value), 100*d.FailingShare, 100*d.BaselineShare)
	}

	line("*Log patterns*")
	switch {
	case r.LogPatterns == nil:
		line("unknown — %s", mdReason(r, SourceLoki))
	case len(r.LogPatterns) == 0:
		line("no error or warning lines in the window")
	default:
		for _, p := range r.LogPatterns[:min(3, len(r.LogPatterns))] {
			line("• `%s` ×%d (%s)", safe.Truncate(safe.Line(strings.ReplaceAll(p.Pattern, "`", "'")), 100), p.Count, p.Tag)
		}
	}
	if links := mdLinks(r, o.Grafana); links != "" {
		line("*Explore:* %s", links)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) > MaxMarkdownLines {
		lines = append(lines[:MaxMarkdownLines-1], "…")
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n")+"\n")
	return err
}

// md makes an external string safe for one markdown line.
func mdText(s string) string {
	return strings.NewReplacer("*", "\\*", "_", "\\_", "`", "'").Replace(safe.Truncate(safe.Line(s), 80))
}

func mdImpact(r *Report) string {
	imp := r.Impact
	if imp == nil {
		return "unknown — no source answered"
	}
	parts := []string{ImpactUsers(imp, func(field string) string { return safe.Truncate(safe.Line(WhyUnknown(r, field)), 120) })}
	if ratio := ImpactRatio(imp); ratio != "" {
		parts = append(parts, ratio)
	}
	if imp.BeganAt != nil {
		s := "began " + imp.BeganAt.UTC().Format("15:04:05")
		if d := r.Alert.StartsAt.Sub(*imp.BeganAt); !r.Alert.StartsAt.IsZero() && d > 0 {
			s += fmt.Sprintf(", %s before the alert", d.Round(time.Second))
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " · ")
}

func mdVerdict(r *Report) string {
	for _, s := range r.Services {
		if s.Role == RoleCulprit {
			line := CulpritLine(r)
			if line == "" {
				line = s.Name
			}
			return "culprit: " + mdText(line) + fmt.Sprintf(" — %d failing traces", s.FailingTraces)
		}
	}
	return ""
}

func mdUnknown(r *Report) string {
	var out []string
	for _, s := range r.Sources {
		if s.State == StateFailed {
			out = append(out, s.Name+": "+safe.Truncate(safe.Line(s.Error), 120))
		}
	}
	return strings.Join(out, "; ")
}

// reasonFor is why a source's sections are unknown.
func mdReason(r *Report, name string) string {
	for _, s := range r.Sources {
		if s.Name == name {
			if s.Error != "" {
				return name + ": " + safe.Truncate(safe.Line(s.Error), 120)
			}
			return name + ": " + string(s.State)
		}
	}
	return name + ": not queried"
}

func mdUserDetail(u UserImpact) string {
	if len(u.Attributes) == 0 {
		return ""
	}
	keys := mdSortedKeys(u.Attributes)
	var parts []string
	for _, k := range keys {
		parts = append(parts, safe.Truncate(safe.Line(u.Attributes[k]), 24))
	}
	return " · " + strings.Join(parts, " · ")
}

func mdSortedKeys(m map[string]string) []string {
	set := make(map[string]bool, len(m))
	for k := range m {
		set[k] = true
	}
	return sortedSet(set)
}

func mdPct(v *float64) string {
	if v == nil {
		return "?"
	}
	return fmt.Sprintf("%.1f", 100**v)
}

func mdNum(v *float64) string {
	if v == nil {
		return "?"
	}
	return fmt.Sprintf("%.2f", *v)
}

func mdMS(v *float64) string {
	if v == nil {
		return "?"
	}
	if *v >= 1000 {
		return fmt.Sprintf("%.1fs", *v/1000)
	}
	return fmt.Sprintf("%.0fms", *v)
}

// mdLinks are Explore links to the evidence behind the verdict: the
// culprit's example trace, the failing-trace search, the error lines and
// the error-ratio series, each only when its source answered and has a
// datasource in the config.
func mdLinks(r *Report, g Grafana) string {
	if g.URL == "" {
		return ""
	}
	from, to := r.Window.Start, r.Window.End
	var out []string
	add := func(source, query, text string) {
		if query == "" || !sourceOK(r, source) {
			return
		}
		if u := g.ExploreLink(source, query, from, to); u != "" {
			out = append(out, "<"+u+"|"+text+">")
		}
	}
	for _, s := range r.Services {
		if s.Role == RoleCulprit && len(s.Evidence) > 0 && IsTraceID(s.Evidence[0]) {
			add(TraceSource(r), s.Evidence[0], "example trace "+safe.Truncate(s.Evidence[0], 8))
			break
		}
	}
	if source, q := FailingTracesQuery(r); q != "" {
		add(source, q, "failing traces")
	}
	add(SourceLoki, mdQuery(r, SourceLoki, func(q string) bool { return strings.HasPrefix(q, "{") }), "error logs")
	add(SourcePrometheus, mdQuery(r, SourcePrometheus, func(q string) bool { return strings.Contains(q, ") / (") }), "error ratio")
	return strings.Join(out, " · ")
}

// mdQuery is the first incident-window query of a source that ok accepts.
func mdQuery(r *Report, source string, ok func(string) bool) string {
	for _, s := range r.Sources {
		if s.Name != source {
			continue
		}
		for _, q := range s.Queries {
			if !strings.HasSuffix(q, " (baseline)") && ok(q) {
				return q
			}
		}
	}
	return ""
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
