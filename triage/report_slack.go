package triage

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// MaxSlackLines bounds the Slack report, so it fits a chat message.
const MaxSlackLines = 40

// WriteSlack renders the report in Slack's mrkdwn (*bold*, `code`,
// <url|text> links), to paste into a channel as it is: the verdict, the
// top services, users, the difference, log patterns and failing traces,
// within MaxSlackLines lines, each section saying what it leaves out.
// Unknown sections say so, with the reason.
func WriteSlack(w io.Writer, r *Report, o ReportOptions) error {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	if r.Demo {
		line("*DEMO* — the embedded demo incident, replayed offline: not a live alert")
	}
	head := headline(r)
	for i := range head {
		head[i] = slackText(head[i])
	}
	head[0] = "*" + head[0] + "*"
	line("%s · window %s", strings.Join(head, " · "), windowText(r))
	line("*Impact:* %s", slackText(impactText(r)))
	if v := culpritText(r); v != "" {
		line("*Verdict:* culprit: %s", slackText(v))
	}
	if down := failedSources(r); len(down) > 0 {
		line("*Unknown:* %s", slackText(strings.Join(down, "; ")))
	}

	line("")
	line("*Services*")
	switch {
	case r.Services == nil:
		line("unknown — %s", slackText(reasonOf(r, TraceSource(r))))
	case len(r.Services) == 0:
		line("none implicated in the sampled traces")
	default:
		n := min(5, len(r.Services))
		var t strings.Builder
		tw := tabwriter.NewWriter(&t, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "service\trole\terr%\tbaseline\tfail/s\tp99")
		for _, s := range r.Services[:n] {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", cell(s.Name, 24), s.RoleLabel(),
				FigurePercent(s.ErrorRatio), FigurePercent(s.ErrorRatioBaseline), FigureRate(s.FailedPerS), FigureMillis(s.P99MS))
		}
		tw.Flush()
		line("```\n%s```", slackEscape(t.String()))
		if m := moreServices(r, n); m != "" {
			line("%s", slackText(m))
		}
	}

	line("*Users*")
	switch {
	case r.Users == nil:
		line("unknown — %s", slackText(reasonOf(r, TraceSource(r))))
	case len(r.Users) == 0:
		line("no user attribute on the sampled traces")
	default:
		n := min(5, len(r.Users))
		for _, u := range r.Users[:n] {
			detail := ""
			if d := userDetail(u); d != "" {
				detail = " · " + slackText(d)
			}
			line("• %s %d failed, %d slow%s", slackCode(cell(u.ID, 40)), u.Failed, u.Slow, detail)
		}
		if m := more(len(r.Users), n, "user", "users"); m != "" {
			line("%s", m)
		}
	}

	switch {
	case r.Differences == nil:
		line("*Different:* unknown — %s", slackText(reasonOf(r, TraceSource(r))))
	case len(r.Differences) == 0:
		line("*Different:* nothing stands out against the baseline")
	default:
		d := r.Differences[0]
		line("*Different:* %s on %.0f%% of failing vs %.0f%% of baseline", slackCode(cell(d.Attribute, 60)+"="+cell(d.Value, 60)), 100*d.FailingShare, 100*d.BaselineShare)
	}

	line("*Log patterns*")
	switch {
	case r.LogPatterns == nil:
		line("unknown — %s", slackText(reasonOf(r, SourceLoki)))
	case len(r.LogPatterns) == 0:
		line("no error or warning lines in the window")
	default:
		n := min(3, len(r.LogPatterns))
		for _, p := range r.LogPatterns[:n] {
			tag := ""
			if p.Tag != "" {
				tag = " (" + slackText(p.Tag) + ")"
			}
			line("• %s ×%d%s", slackCode(cell(p.Pattern, 100)), p.Count, tag)
		}
		if m := more(len(r.LogPatterns), n, "pattern", "patterns"); m != "" {
			line("%s", m)
		}
	}
	if traces := shownTraceRows(r); len(traces) > 0 {
		var ids []string
		for _, t := range traces[:min(3, len(traces))] {
			ids = append(ids, slackLink(traceLink(r, o, t.TraceID), cell(t.TraceID, 32)))
		}
		line("*Traces:* %s", strings.Join(ids, " · "))
	}
	if links := linksOf(r, o); len(links) > 0 {
		var parts []string
		for _, l := range links {
			parts = append(parts, slackLink(l.URL, l.Title))
		}
		line("*Explore:* %s", strings.Join(parts, " · "))
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) > MaxSlackLines {
		lines = append(lines[:MaxSlackLines-1], "…")
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n")+"\n")
	return err
}

// slackEscape escapes what Slack reads as markup in any text, code
// included: &, < and > (a label holding <!channel> must not notify a
// channel).
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// slackText makes a safe one-line string plain text in mrkdwn.
func slackText(s string) string {
	return strings.NewReplacer("*", "\\*", "_", "\\_", "`", "'", "~", "\\~").Replace(slackEscape(s))
}

// slackCode is s as inline code.
func slackCode(s string) string { return "`" + slackEscape(strings.ReplaceAll(s, "`", "'")) + "`" }

// slackLink links text to url, or shows text as code without a url.
func slackLink(url, text string) string {
	if url == "" {
		return slackCode(text)
	}
	return "<" + url + "|" + strings.NewReplacer("|", "¦", ">", "›", "<", "‹").Replace(text) + ">"
}
