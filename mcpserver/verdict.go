package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/triagectl/triage/triage"
)

// listIncidents lists the catalog's incidents, firing first.
func (s *Server) listIncidents(ctx context.Context) (*answer, error) {
	if s.d.Incidents == nil {
		return nil, errors.New("no incident source: configure sources.alertmanager.url or run under triage serve; investigate still takes an alert_json")
	}
	list, err := s.d.Incidents.List(ctx)
	if err != nil {
		a := &answer{failed: true}
		a.top("incidents from %s: unknown — %s", s.d.Incidents.Name(), clean(err.Error(), 240))
		return a, nil
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].Status == "firing" && list[j].Status != "firing" })
	firing := 0
	for _, in := range list {
		if in.Status == "firing" {
			firing++
		}
	}
	now := s.d.Now()
	a := &answer{}
	a.top("%d incident(s) from %s, %d firing. Each line: id · status · alert · labels · since · notes. Pass the id to investigate.",
		len(list), s.d.Incidents.Name(), firing)
	a.section = "incidents"
	if len(list) == 0 {
		a.line("none")
	}
	for _, in := range list {
		al := in.Alert
		row := []string{clean(in.ID, 64), in.Status, clean(al.Name, 80)}
		for _, k := range []string{"service", "severity", "namespace", "job"} {
			if v, ok := al.Labels[k]; ok {
				row = append(row, clean(k, 20)+"="+clean(v, 60))
			}
		}
		row = append(row, "since "+stamp(al.StartsAt)+" ("+ago(now, al.StartsAt)+")")
		if in.Note != "" {
			row = append(row, clean(in.Note, 160))
		}
		if sum := al.Annotations["summary"]; sum != "" {
			row = append(row, "summary: "+clean(sum, 160))
		}
		a.line("%s", strings.Join(row, " · "))
	}
	return a, nil
}

// verdict renders a case's report: the verdict first, then each section
// with the evidence behind it, then the queries.
func (s *Server) verdict(ctx context.Context, c *caseEntry) *answer {
	r := c.report
	now := s.d.Now()
	a := &answer{}
	al := r.Alert
	head := clean(al.Name, 80)
	if al.Scope.Service != "" {
		head += " · " + clean(al.Scope.Service, 60)
	}
	if sev := al.Labels["severity"]; sev != "" {
		head += " · " + clean(sev, 20)
	}
	a.top("%s · incident %s · report %s, %s (%s) · window %s–%s (baseline %s–%s)", head, clean(c.inc.ID, 64), clean(c.origin, 120),
		stamp(c.at), ago(now, c.at), r.Window.Start.UTC().Format("15:04"), r.Window.End.UTC().Format("15:04 UTC"),
		r.Window.BaselineStart.UTC().Format("15:04"), r.Window.BaselineEnd.UTC().Format("15:04 UTC"))
	a.top("%s", sourcesLine(r))

	q := newQueryIndex(r, s.d.RED)
	a.title("verdict", "VERDICT")
	imp := r.Impact
	switch {
	case imp != nil && imp.Culprit != "":
		var culprit *triage.ServiceRank
		for i := range r.Services {
			if r.Services[i].Name == imp.Culprit {
				culprit = &r.Services[i]
			}
		}
		line := "culprit " + clean(triage.CulpritLine(r), 120)
		if culprit != nil {
			line += fmt.Sprintf(" — %d failing and %d slow sampled traces", culprit.FailingTraces, culprit.SlowTraces)
			if culprit.Uninstrumented {
				line += "; not instrumented: named by its callers' client spans"
			}
			line += " · traces " + ids(culprit.Evidence, 3)
		}
		a.line("%s", line)
		if path, id := s.culpritPath(ctx, r, culprit); len(path) > 1 {
			a.line("path: %s (the error path of trace %s)", strings.Join(cleanAll(path, 40), " → "), id)
		} else if p := rolePath(r.Services); p != "" {
			a.line("path (by role, entry to culprit): %s · get_trace on a cited trace shows its error path", p)
		}
	case r.Services == nil:
		a.line("no culprit: the traces are %s", unknown(r, triage.TraceSource(r)))
	default:
		a.line("no culprit named: no service stands out in the sampled traces")
	}
	if tl := r.Timeline; tl != nil {
		line := fmt.Sprintf("began %s, %s before the alert (basis: %s)", stamp(tl.BeganAt), secs(tl.BeforeAlert), clean(tl.Basis, 120))
		if tl.FirstFailing != "" {
			line += " · first failing trace " + clean(tl.FirstFailing, 40)
		}
		a.line("%s", line)
	}

	a.title("impact", "IMPACT")
	if imp == nil {
		a.line("unknown — no source answered")
	} else {
		// The console's and the report's own words, so every view agrees.
		why := func(field string) string { return "unknown: " + clean(triage.WhyUnknown(r, field), 200) }
		a.line("users: %s", clean(triage.ImpactUsers(imp, why), 600))
		if e := imp.UsersEstimate; e != nil {
			a.line("estimate basis: %s", clean(e.Basis, 400))
		}
		switch ratio := triage.ImpactRatio(imp); {
		case ratio != "":
			a.line("requests: %s [%s]", clean(ratio, 200), q.ref(triage.SourcePrometheus))
		case imp.Kind == triage.KindLatency:
			a.line("slow ratio: %s", why("slow_ratio"))
		default:
			a.line("failing ratio: %s", why("failing_ratio"))
		}
		if len(imp.EntryPoints) > 0 {
			eps := make([]string, len(imp.EntryPoints))
			for i, e := range imp.EntryPoints {
				eps[i] = clean(e, 80)
			}
			a.line("entry points: %s", strings.Join(eps, ", "))
		}
		if imp.SampledTraces != nil {
			a.line("sampled traces: %d [%s]", *imp.SampledTraces, q.ref(triage.TraceSource(r)))
		} else {
			a.line("sampled traces: unknown: %s", clean(triage.WhyUnknown(r, "sampled_traces"), 200))
		}
	}

	a.title("services", "SERVICES (rank · role · error ratio now/baseline · failed/s · p99 · failing/slow sampled traces · evidence)")
	switch {
	case r.Services == nil:
		a.line("unknown — %s", unknown(r, triage.TraceSource(r)))
	case len(r.Services) == 0:
		a.line("none implicated in the sampled traces")
	}
	for i, sv := range r.Services {
		role := sv.RoleLabel()
		if sv.Uninstrumented {
			role += ", not instrumented"
		}
		a.line("%d. %s · %s · %s/%s · %s/s · p99 %s · %d/%d · traces %s · figures [%s], series [%s]", i+1, clean(sv.Name, 60), role,
			pct(sv.ErrorRatio), pct(sv.ErrorRatioBaseline), num(sv.FailedPerS), ms(sv.P99MS), sv.FailingTraces, sv.SlowTraces,
			ids(sv.Evidence, 3), q.ref(triage.SourcePrometheus), q.series(sv.Name))
	}

	a.title("different", "WHAT IS DIFFERENT (attribute=value · share of failing vs baseline traces · support · spans compared)")
	switch {
	case r.Differences == nil:
		a.line("unknown — %s", unknown(r, triage.TraceSource(r)))
	case len(r.Differences) == 0:
		a.line("nothing stands out against the baseline")
	}
	for _, d := range r.Differences {
		a.line("%s=%s · %.0f%% vs %.0f%% · %d failing traces · %s spans [%s]", clean(d.Attribute, 60), clean(d.Value, 80),
			100*d.FailingShare, 100*d.BaselineShare, d.Support, clean(d.Where, 20), q.ref(triage.TraceSource(r)))
	}

	a.title("log patterns", "LOG PATTERNS (id for get_pattern_lines · level · count vs baseline · services · pattern · sample traces)")
	switch {
	case r.LogPatterns == nil:
		a.line("unknown — %s", unknown(r, triage.SourceLoki))
	case len(r.LogPatterns) == 0:
		a.line("no error or warning lines in the window")
	}
	for i, p := range r.LogPatterns {
		tag := p.Tag
		if tag == "" {
			tag = "baseline unknown"
		}
		a.line("%s · %s · %s (%s, baseline %s) · %s · %s · traces %s [%s]", patternID(c.inc.ID, i), clean(p.Level, 10),
			triage.Thousands(float64(p.Count)), clean(tag, 20), triage.Thousands(float64(p.BaselineCount)), list(p.Services, 4),
			clean(p.Pattern, 240), ids(p.SampleTraceIDs, 3), q.ref(triage.SourceLoki))
	}

	a.title("users", "USERS (id · failed · slow · attributes · first and last seen · traces)")
	switch {
	case r.Users == nil:
		a.line("unknown — %s", unknown(r, triage.TraceSource(r)))
	case len(r.Users) == 0:
		a.line("no user attribute on the sampled traces")
	}
	for _, u := range r.Users {
		a.line("%s · %s · %s · %s · %s–%s · traces %s", clean(u.ID, 60), u.FailedText(), u.SlowText(), attrMap(u.Attributes),
			u.FirstSeen.UTC().Format("15:04:05"), u.LastSeen.UTC().Format("15:04:05"), ids(u.TraceIDs, 2))
	}

	a.title("traces", "SAMPLED TRACES (trace id · root · duration · state · start · error origin · user)")
	switch {
	case r.Traces == nil:
		a.line("unknown — %s", unknown(r, triage.TraceSource(r)))
	case len(r.Traces) == 0:
		a.line("no failing or slow trace found")
	}
	for _, t := range r.Traces {
		state := "ok"
		switch {
		case t.Failing:
			state = "FAILED"
		case t.Slow:
			state = "slow"
		}
		origin := "-"
		if o := t.ErrorOrigin; o != nil {
			origin = clean(o.Service, 40) + " " + quote(o.SpanName)
			if o.Peer != "" {
				origin += " → " + clean(o.Peer, 40) + " (not instrumented)"
			}
			if o.Message != "" {
				origin += ": " + clean(o.Message, 120)
			}
		}
		a.line("%s · %s %s · %s · %s · %s · %s · user %s", clean(t.TraceID, 40), clean(t.RootService, 40), clean(t.RootName, 60),
			dur(time.Duration(t.DurationMS*float64(time.Millisecond))), state, t.Start.UTC().Format("15:04:05"), origin, orDash(clean(t.User, 40)))
	}
	q.write(a)
	return a
}

// culpritPath is the error path of the first of the culprit's evidence
// traces whose error began at the culprit, read from the trace itself;
// nil when none can be fetched.
func (s *Server) culpritPath(ctx context.Context, r *triage.Report, culprit *triage.ServiceRank) ([]string, string) {
	if culprit == nil || s.d.Sources.Traces == nil {
		return nil, ""
	}
	tried := 0
	for _, id := range culprit.Evidence {
		if !triage.IsTraceID(id) || tried == 3 {
			continue
		}
		tried++
		tr, err := s.d.Sources.Traces.Trace(ctx, strings.ToLower(id))
		if err != nil {
			continue
		}
		an := triage.AnalyzeTrace(tr, s.analysisOptions())
		if o := an.Culprit(); o != nil && o.Service == culprit.Name {
			return an.Path, id
		}
	}
	return nil, ""
}

// sourcesLine is every source's state, with the reason of those that
// failed or answered in part.
func sourcesLine(r *triage.Report) string {
	parts := make([]string, 0, len(r.Sources))
	for _, s := range r.Sources {
		p := s.Name + " " + string(s.State)
		switch s.State {
		case triage.StateFailed:
			p = s.Name + " FAILED (" + clean(errorText(s), 160) + ")"
		case triage.StatePartial:
			p = s.Name + " PARTIAL (" + clean(errorText(s), 160) + ")"
		case triage.StateOK, triage.StateSlow:
			p += " " + strconv.FormatInt(s.LatencyMS, 10) + "ms"
		}
		if f := s.Freshness; f != nil && f.Lagging {
			// Its silence means nothing: its newest data is old.
			p += fmt.Sprintf(" LAGGING (newest %s %.0fs old)", clean(f.Of, 80), f.AgeSeconds)
		}
		for _, n := range s.Notes {
			p += " [" + clean(n, 160) + "]"
		}
		parts = append(parts, p)
	}
	return "sources: " + strings.Join(parts, " · ")
}

func errorText(s triage.SourceStatus) string {
	if s.ErrorKind != "" && !strings.HasPrefix(s.Error, s.ErrorKind) {
		return s.ErrorKind + ": " + s.Error
	}
	if s.Error == "" {
		return "no reason given"
	}
	return s.Error
}

// unknown says why a source's part is unknown.
func unknown(r *triage.Report, source string) string {
	for _, s := range r.Sources {
		if s.Name != source {
			continue
		}
		switch s.State {
		case triage.StateFailed:
			return "unknown: " + source + " failed: " + clean(errorText(s), 200)
		case triage.StateUnconfigured:
			return "unknown: " + source + " is not configured"
		case triage.StatePartial:
			return "unknown: " + source + " answered in part: " + clean(errorText(s), 200)
		}
		return "unknown: " + source + " is " + string(s.State)
	}
	return "unknown: " + source + " is not in the report"
}

// rolePath orders the ranked services entry → propagating → culprit.
func rolePath(svcs []triage.ServiceRank) string {
	var parts []string
	for _, role := range []triage.Role{triage.RoleEntry, triage.RolePropagating, triage.RoleCulprit} {
		var names []string
		for _, s := range svcs {
			if s.Role == role {
				names = append(names, clean(s.Name, 40))
			}
		}
		if len(names) > 0 {
			parts = append(parts, strings.Join(names, ", ")+" ("+string(role)+")")
		}
	}
	if len(parts) < 2 {
		return ""
	}
	return strings.Join(parts, " → ")
}

// patternID names a case's log pattern for get_pattern_lines.
func patternID(caseID string, i int) string { return clean(caseID, 64) + "/p" + strconv.Itoa(i+1) }

// ids lists up to n evidence items, saying how many more there are.
func ids(items []string, n int) string {
	if len(items) == 0 {
		return "none"
	}
	out := make([]string, 0, n)
	for _, id := range items[:min(n, len(items))] {
		out = append(out, clean(id, 120))
	}
	s := strings.Join(out, ", ")
	if len(items) > n {
		s += fmt.Sprintf(" (+%d more)", len(items)-n)
	}
	return s
}

func list(items []string, n int) string {
	if len(items) == 0 {
		return "-"
	}
	out := make([]string, 0, n)
	for _, x := range items[:min(n, len(items))] {
		out = append(out, clean(x, 40))
	}
	s := strings.Join(out, ", ")
	if len(items) > n {
		s += fmt.Sprintf(" +%d", len(items)-n)
	}
	return s
}

func attrMap(m map[string]string) string {
	if len(m) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, 0, len(keys))
	for _, k := range keys[:min(6, len(keys))] {
		out = append(out, clean(k, 40)+"="+clean(m[k], 60))
	}
	return strings.Join(out, " ")
}

func pct(v *float64) string {
	if v == nil {
		return "unknown"
	}
	return strconv.FormatFloat(100**v, 'f', 2, 64) + "%"
}

func num(v *float64) string {
	if v == nil {
		return "unknown"
	}
	return strconv.FormatFloat(*v, 'f', 3, 64)
}

func ms(v *float64) string {
	if v == nil {
		return "unknown"
	}
	return dur(time.Duration(*v * float64(time.Millisecond)))
}

func secs(s float64) string { return dur(time.Duration(s * float64(time.Second))) }

// dur writes a duration to about three figures.
func dur(d time.Duration) string {
	switch {
	case d < 0:
		return "-" + dur(-d)
	case d < time.Millisecond:
		return strconv.FormatInt(d.Microseconds(), 10) + "µs"
	case d < time.Second:
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + "ms"
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + "s"
	}
	return d.Round(time.Second).String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// queryIndex numbers the queries behind the report: each source's, then
// each ranked service's series, listed at the answer's end and cited by
// number.
type queryIndex struct {
	r     *triage.Report
	bySrc map[string][2]int // first and last number of a source's queries
	bySvc map[string][]int
	lines []string
}

func newQueryIndex(r *triage.Report, red triage.REDQueries) *queryIndex {
	q := &queryIndex{r: r, bySrc: map[string][2]int{}, bySvc: map[string][]int{}}
	for _, s := range r.Sources {
		first := len(q.lines) + 1
		for _, x := range s.Queries {
			q.lines = append(q.lines, fmt.Sprintf("Q%d %s: %s", len(q.lines)+1, s.Name, clean(x, 1200)))
		}
		if len(q.lines) >= first {
			q.bySrc[s.Name] = [2]int{first, len(q.lines)}
		}
	}
	for _, sv := range r.Services {
		ss := triage.ServiceSeries(red, sv.Name, r.Window, sv.Uninstrumented)
		for i, x := range ss.RED {
			if x == "" {
				continue
			}
			what := [...]string{"requests/s", "error ratio", "p99 (s)"}[i]
			q.lines = append(q.lines, fmt.Sprintf("Q%d prometheus, %s %s (step %s): %s", len(q.lines)+1, clean(sv.Name, 40), what, ss.Step, clean(x, 1200)))
			q.bySvc[sv.Name] = append(q.bySvc[sv.Name], len(q.lines))
		}
	}
	return q
}

// ref cites a source's queries.
func (q *queryIndex) ref(source string) string {
	r, ok := q.bySrc[source]
	switch {
	case !ok:
		return source + ": no query"
	case r[0] == r[1]:
		return fmt.Sprintf("%s Q%d", source, r[0])
	}
	return fmt.Sprintf("%s Q%d–Q%d", source, r[0], r[1])
}

func (q *queryIndex) series(svc string) string {
	ns := q.bySvc[svc]
	if len(ns) == 0 {
		return "none"
	}
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = "Q" + strconv.Itoa(n)
	}
	return strings.Join(out, " ")
}

func (q *queryIndex) write(a *answer) {
	a.title("queries", "QUERIES (each source's, as the investigation asked them; then each ranked service's series)")
	if len(q.lines) == 0 {
		a.line("none")
	}
	for _, l := range q.lines {
		a.line("%s", l)
	}
}
