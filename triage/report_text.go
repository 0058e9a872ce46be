package triage

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText renders the report as plain text for a terminal: the verdict
// first, then each section as a table, each saying what it leaves out
// ("+3 more services"). No markup and no colour; every external string is
// made safe for a terminal. Unknown sections say so, with the reason.
func WriteText(w io.Writer, r *Report, o ReportOptions) error {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	if r.Demo {
		line("DEMO — the embedded demo incident, replayed offline: not a live alert")
		line("")
	}
	line("%s", strings.Join(headline(r), " · "))
	kv := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	field := func(k, v string) { fmt.Fprintf(kv, "%s\t%s\n", k, v) }
	field("window", fmt.Sprintf("%s (baseline %s–%s)", windowText(r),
		r.Window.BaselineStart.UTC().Format("15:04"), r.Window.BaselineEnd.UTC().Format("15:04")))
	field("sources", sourcesLine(r))
	field("impact", impactText(r))
	if v := culpritText(r); v != "" {
		field("culprit", v)
	}
	for _, d := range failedSources(r) {
		field("unknown", d)
	}
	kv.Flush()

	line("")
	line("SERVICES")
	switch {
	case r.Services == nil:
		line("  unknown — %s", reasonOf(r, TraceSource(r)))
	case len(r.Services) == 0:
		line("  none implicated in the sampled traces")
	default:
		n := min(shownServices, len(r.Services))
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  SERVICE\tROLE\tERR%\tBASELINE\tFAIL/S\tP99\tFAILING\tSLOW")
		for _, s := range r.Services[:n] {
			role := s.RoleLabel()
			if s.Uninstrumented {
				role += "*"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\n", cell(s.Name, 32), role,
				FigurePercent(s.ErrorRatio), FigurePercent(s.ErrorRatioBaseline), FigureRate(s.FailedPerS), FigureMillis(s.P99MS),
				s.FailingTraces, s.SlowTraces)
		}
		tw.Flush()
		if m := moreServices(r, n); m != "" {
			line("  %s", m)
		}
		for _, s := range r.Services[:n] {
			if s.Uninstrumented {
				line("  * uninstrumented: named by its callers' client spans")
				break
			}
		}
	}

	line("")
	line("USERS")
	switch {
	case r.Users == nil:
		line("  unknown — %s", reasonOf(r, TraceSource(r)))
	case len(r.Users) == 0:
		line("  no user attribute on the sampled traces")
	default:
		n := min(shownUsers, len(r.Users))
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  USER\tFAILED\tSLOW\tDETAILS")
		for _, u := range r.Users[:n] {
			detail := userDetail(u)
			if detail == "" {
				detail = "-"
			}
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%s\n", cell(u.ID, 40), u.Failed, u.Slow, detail)
		}
		tw.Flush()
		if m := more(len(r.Users), n, "user", "users"); m != "" {
			line("  %s", m)
		}
	}

	line("")
	line("DIFFERENT")
	switch {
	case r.Differences == nil:
		line("  unknown — %s", reasonOf(r, TraceSource(r)))
	case len(r.Differences) == 0:
		line("  nothing stands out against the baseline")
	default:
		n := min(shownDifferences, len(r.Differences))
		for _, d := range r.Differences[:n] {
			line("  %s=%s on %.0f%% of failing traces vs %.0f%% of the baseline (%d traces, at the %s)",
				cell(d.Attribute, 60), cell(d.Value, 60), 100*d.FailingShare, 100*d.BaselineShare, d.Support, cell(d.Where, 10))
		}
		if m := more(len(r.Differences), n, "difference", "differences"); m != "" {
			line("  %s", m)
		}
	}

	line("")
	line("LOG PATTERNS")
	switch {
	case r.LogPatterns == nil:
		line("  unknown — %s", reasonOf(r, SourceLoki))
	case len(r.LogPatterns) == 0:
		line("  no error or warning lines in the window")
	default:
		n := min(shownPatterns, len(r.LogPatterns))
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, p := range r.LogPatterns[:n] {
			tag := p.Tag
			if tag == "" {
				tag = "-"
			}
			fmt.Fprintf(tw, "  ×%d\t%s\t%s\n", p.Count, cell(tag, 16), cell(p.Pattern, 100))
		}
		tw.Flush()
		if m := more(len(r.LogPatterns), n, "pattern", "patterns"); m != "" {
			line("  %s", m)
		}
	}

	if r.Traces != nil {
		line("")
		line("TRACES")
		shown := shownTraceRows(r)
		if len(shown) == 0 {
			line("  no failing or slow trace in the sample")
		}
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, t := range shown {
			fmt.Fprintf(tw, "  %s\t%s %s\t%s\t%s\n", cell(t.TraceID, 32), cell(t.RootService, 24), cell(t.RootName, 40),
				FigureMillis(&t.DurationMS), cell(traceWhat(t), 80))
		}
		tw.Flush()
		if m := more(len(r.Traces), len(shown), "trace", "traces"); m != "" {
			line("  %s", m)
		}
	}

	if links := linksOf(r, o); len(links) > 0 {
		line("")
		line("GRAFANA")
		for _, l := range links {
			line("  %s: %s", cell(l.Title, 40), cell(l.URL, 4096))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
