package triage

import (
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown renders the report as markdown for tickets and
// postmortems (GitHub, GitLab, Jira): headings, tables and links, nothing
// beyond CommonMark and GitHub's tables.
func WriteMarkdown(w io.Writer, r *Report) error {
	return WriteMarkdownWith(w, r, ReportOptions{})
}

// WriteMarkdownWith is WriteMarkdown with options: with Grafana, the
// evidence and each trace listed link to Explore. Every section says what
// it leaves out ("+3 more services"); unknown sections say so, with the
// reason.
func WriteMarkdownWith(w io.Writer, r *Report, o ReportOptions) error {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	head := headline(r)
	for i := range head {
		head[i] = mdText(head[i])
	}
	line("## %s", strings.Join(head, " · "))
	line("")
	if r.Demo {
		line("> **DEMO** — the embedded demo incident, replayed offline: not a live alert.")
		line("")
	}
	// A list, not lines ending in two spaces: both GitHub and Jira keep a
	// list's lines apart, and nothing trails a line for an editor to trim.
	line("- **Window:** %s (baseline %s–%s) · **Sources:** %s", windowText(r),
		r.Window.BaselineStart.UTC().Format("15:04"), r.Window.BaselineEnd.UTC().Format("15:04"), mdText(sourcesLine(r)))
	line("- **Impact:** %s", mdText(impactText(r)))
	if v := culpritText(r); v != "" {
		line("- **Culprit:** %s", mdText(v))
	}
	if down := failedSources(r); len(down) > 0 {
		line("- **Unknown:** %s", mdText(strings.Join(down, "; ")))
	}

	line("")
	line("### Services")
	line("")
	switch {
	case r.Services == nil:
		line("Unknown — %s.", mdText(reasonOf(r, TraceSource(r))))
	case len(r.Services) == 0:
		line("None implicated in the sampled traces.")
	default:
		n := min(shownServices, len(r.Services))
		line("| service | role | err%% | baseline | fail/s | p99 | failing traces | slow traces |")
		line("|---|---|---:|---:|---:|---:|---:|---:|")
		for _, s := range r.Services[:n] {
			line("| %s | %s | %s | %s | %s | %s | %d | %d |", mdCell(cell(s.Name, 40)), mdRole(s),
				FigurePercent(s.ErrorRatio), FigurePercent(s.ErrorRatioBaseline), FigureRate(s.FailedPerS), FigureMillis(s.P99MS),
				s.FailingTraces, s.SlowTraces)
		}
		if m := moreServices(r, n); m != "" {
			line("")
			line("_%s_", mdText(m))
		}
	}

	line("")
	line("### Users")
	line("")
	switch {
	case r.Users == nil:
		line("Unknown — %s.", mdText(reasonOf(r, TraceSource(r))))
	case len(r.Users) == 0:
		line("No user attribute on the sampled traces.")
	default:
		n := min(shownUsers, len(r.Users))
		line("| user | failed | slow | details |")
		line("|---|---:|---:|---|")
		for _, u := range r.Users[:n] {
			line("| %s | %d | %d | %s |", mdCode(cell(u.ID, 40)), u.Failed, u.Slow, mdCell(userDetail(u)))
		}
		if m := more(len(r.Users), n, "user", "users"); m != "" {
			line("")
			line("_%s_", m)
		}
	}

	line("")
	line("### What's different")
	line("")
	switch {
	case r.Differences == nil:
		line("Unknown — %s.", mdText(reasonOf(r, TraceSource(r))))
	case len(r.Differences) == 0:
		line("Nothing stands out against the baseline.")
	default:
		n := min(shownDifferences, len(r.Differences))
		for _, d := range r.Differences[:n] {
			line("- %s on %.0f%% of failing traces vs %.0f%% of the baseline (%d traces, at the %s)",
				mdCode(cell(d.Attribute, 60)+"="+cell(d.Value, 60)), 100*d.FailingShare, 100*d.BaselineShare, d.Support, mdText(d.Where))
		}
		if m := more(len(r.Differences), n, "difference", "differences"); m != "" {
			line("- _%s_", m)
		}
	}

	line("")
	line("### Log patterns")
	line("")
	switch {
	case r.LogPatterns == nil:
		line("Unknown — %s.", mdText(reasonOf(r, SourceLoki)))
	case len(r.LogPatterns) == 0:
		line("No error or warning lines in the window.")
	default:
		n := min(shownPatterns, len(r.LogPatterns))
		for _, p := range r.LogPatterns[:n] {
			tag := ""
			if p.Tag != "" {
				tag = " (" + mdText(cell(p.Tag, 20)) + ")"
			}
			line("- ×%d%s %s", p.Count, tag, mdCode(cell(p.Pattern, 160)))
		}
		if m := more(len(r.LogPatterns), n, "pattern", "patterns"); m != "" {
			line("- _%s_", m)
		}
	}

	if r.Traces != nil {
		line("")
		line("### Traces")
		line("")
		shown := shownTraceRows(r)
		if len(shown) == 0 {
			line("No failing or slow trace in the sample.")
		}
		for _, t := range shown {
			id := mdCode(t.TraceID)
			if u := traceLink(r, o, t.TraceID); u != "" {
				id = "[" + id + "](" + u + ")"
			}
			what := ""
			if s := traceWhat(t); s != "" {
				what = ", " + mdText(cell(s, 120))
			}
			line("- %s %s %s — %s%s", id, mdText(cell(t.RootService, 40)), mdText(cell(t.RootName, 60)), FigureMillis(&t.DurationMS), what)
		}
		if m := more(len(r.Traces), len(shown), "trace", "traces"); m != "" {
			line("- _%s_", m)
		}
	}

	if links := linksOf(r, o); len(links) > 0 {
		line("")
		var parts []string
		for _, l := range links {
			parts = append(parts, "["+mdText(l.Title)+"]("+l.URL+")")
		}
		line("**Explore in Grafana:** %s", strings.Join(parts, " · "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdText makes a safe one-line string plain text in markdown: every
// character markdown could read as markup mid-line is escaped (emphasis,
// code, links, autolinks and HTML, table pipes, strikethrough, entities,
// GitHub's math). The text never starts a line, so block markers (#, -,
// 1.) need nothing.
func mdText(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\`*_[]<>|~&$", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// mdCell is mdText for a table cell.
func mdCell(s string) string {
	if s == "" {
		return "—"
	}
	return mdText(s)
}

// mdCode is s as inline code: a fence longer than any run of backticks in
// s, padded when s starts or ends with one. A table cell's pipes are
// escaped, which GitHub's tables honour inside code too.
func mdCode(s string) string {
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + strings.ReplaceAll(s, "|", "\\|") + fence
}

func mdRole(s ServiceRank) string {
	role := s.RoleLabel()
	if s.Role == RoleCulprit {
		role = "**culprit**"
	}
	if s.Uninstrumented {
		role += " (uninstrumented)"
	}
	return role
}
