package mcpserver

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/triage"
)

// Bounds of a trace answer: past them the waterfall folds and the span
// details stop, and the head says how much was left out.
const (
	maxWaterfallSpans = 300
	maxDetailedSpans  = 30
	maxSpanAttrs      = 20
	maxSpanEvents     = 8
	maxEventAttrs     = 6
)

// Marks on a span, each with its own glyph.
const (
	markError    uint8 = 1 << iota // status ERROR: ✖
	markPath                       // on the error path, root → origin: !
	markOrigin                     // a fatal error origin: ◆
	markCritical                   // on the critical path: ┃
)

func (s *Server) analysisOptions() triage.AnalysisOptions {
	return s.d.Options.Analysis()
}

// traceID checks and normalises a trace id argument.
func traceID(field, id string) (string, error) {
	id = strings.ToLower(strings.TrimSpace(id))
	if !triage.IsTraceID(id) {
		return "", fmt.Errorf("%s %s: expected a trace id of 32 hex digits", field, quote(id))
	}
	return id, nil
}

// fetchTrace fetches a trace, saying how the trace source did: the
// source's line for the answer's head, and whether it failed.
func (s *Server) fetchTrace(ctx context.Context, id string) (*triage.Trace, string, error) {
	if s.d.Sources.Traces == nil {
		return nil, "sources: tempo not configured", fmt.Errorf("unknown: no trace source is configured (sources.tempo.url)")
	}
	start := time.Now()
	tr, err := s.d.Sources.Traces.Trace(ctx, id)
	lat := time.Since(start).Milliseconds()
	if err != nil {
		reason, kind := triage.ErrorInfo(err)
		switch {
		case kind == string(sources.KindNotRecorded):
			return nil, "sources: tempo not recorded", fmt.Errorf("trace %s: %s", id, sources.NotRecordedReason)
		case kind == "not_found":
			return nil, fmt.Sprintf("sources: tempo ok %dms", lat), fmt.Errorf("trace %s: not found in tempo (%s)", id, clean(reason, 200))
		}
		return nil, "sources: tempo FAILED (" + clean(reasonOf(err), 200) + ")", fmt.Errorf("trace %s is unknown: tempo failed: %s", id, clean(reasonOf(err), 200))
	}
	line := fmt.Sprintf("sources: tempo ok %dms", lat)
	if tr.Partial {
		line = "sources: tempo PARTIAL (the trace may be missing spans: " + clean(tr.Message, 160) + ")"
	}
	return tr, line, nil
}

// failedAnswer is an answer that could not be given: the source's state
// and why.
func failedAnswer(what, srcLine string, err error) *answer {
	a := &answer{failed: true}
	a.top("%s", what)
	a.top("%s", srcLine)
	a.line("%s", clean(err.Error(), 600))
	return a
}

// traceView is a trace read for the answer: its tree and each span's marks.
type traceView struct {
	tr    *triage.Trace
	an    triage.TraceAnalysis
	tree  *triage.Tree
	mark  []uint8
	crit  []time.Duration
	path  []triage.PathSpan
	kept  []bool
	total time.Duration
}

func newTraceView(tr *triage.Trace, o triage.AnalysisOptions) *traceView {
	v := &traceView{tr: tr, an: triage.AnalyzeTrace(tr, o)}
	v.tree = v.an.Tree()
	n := len(tr.Spans)
	v.mark, v.crit, v.kept = make([]uint8, n), make([]time.Duration, n), make([]bool, n)
	if v.tree == nil || v.tree.Root() < 0 {
		return v
	}
	t := v.tree
	byID := map[string]int{}
	for _, i := range t.Order() {
		sp := t.Span(int(i))
		if sp.Error {
			v.mark[i] |= markError
		}
		if _, dup := byID[sp.SpanID]; !dup && sp.SpanID != "" {
			byID[sp.SpanID] = int(i)
		}
	}
	for k := range v.an.Origins {
		o := &v.an.Origins[k]
		i, ok := byID[o.SpanID]
		if !o.Fatal || !ok {
			continue
		}
		v.mark[i] |= markOrigin
		for j, steps := i, 0; j >= 0 && steps <= n; j, steps = t.Parent(j), steps+1 {
			v.mark[j] |= markPath
		}
	}
	// The engine reads the critical path of slow traces only; the answer
	// shows it for every trace, as the console's waterfall does.
	v.path = v.an.CriticalPath
	if v.path == nil {
		v.path = t.CriticalPath(t.Root())
	}
	for k := range v.path {
		v.mark[v.path[k].Index] |= markCritical
		v.crit[v.path[k].Index] = v.path[k].Critical
	}
	rs, re := t.Interval(t.Root())
	v.total = re.Sub(rs)
	v.keep()
	return v
}

// keep picks the spans the waterfall shows: the root, the error and
// critical paths, then erroring spans while there is room, each with its
// ancestors so the tree stays whole.
func (v *traceView) keep() {
	t := v.tree
	count := 0
	add := func(i int) {
		for j, steps := i, 0; j >= 0 && !v.kept[j] && steps <= len(v.kept); j, steps = t.Parent(j), steps+1 {
			v.kept[j] = true
			count++
		}
	}
	add(t.Root())
	for _, i := range t.Order() {
		if v.mark[i]&(markPath|markOrigin|markCritical) != 0 {
			add(int(i))
		}
	}
	for _, i := range t.Order() {
		if count >= maxWaterfallSpans {
			break
		}
		if v.mark[i]&markError != 0 {
			add(int(i))
		}
	}
}

// glyphs are span i's marks, one column each, blank where unset.
func (v *traceView) glyphs(i int) string {
	m := v.mark[i]
	var b strings.Builder
	for _, x := range []struct {
		bit uint8
		s   string
	}{{markPath, "!"}, {markOrigin, "◆"}, {markCritical, "┃"}, {markError, "✖"}} {
		if m&x.bit != 0 {
			b.WriteString(x.s)
		} else {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// traceAnswer is get_trace's answer.
func (s *Server) traceAnswer(ctx context.Context, rawID string) (*answer, error) {
	id, err := traceID("trace_id", rawID)
	if err != nil {
		return nil, err
	}
	tr, srcLine, err := s.fetchTrace(ctx, id)
	if err != nil {
		return failedAnswer("trace "+id, srcLine, err), nil
	}
	v := newTraceView(tr, s.analysisOptions())
	a := &answer{}
	if v.tree == nil || v.tree.Root() < 0 {
		a.top("trace %s: no spans", id)
		a.top("%s", srcLine)
		a.line("the trace source returned the trace with no spans")
		return a, nil
	}
	an := &v.an
	state := "ok"
	switch {
	case an.Failing:
		state = "FAILED"
		if an.RootMessage != "" {
			state += " (root status: " + clean(an.RootMessage, 160) + ")"
		}
	case an.Slow:
		state = "slow"
	}
	a.top("trace %s · %s %s · %s · %d spans across %d services · %s", id, clean(an.RootService, 60), clean(an.RootName, 80),
		dur(v.total), len(tr.Spans), len(services(tr)), state)
	a.top("%s", srcLine)
	a.top("%s", v.cutLine())

	a.title("summary", "SUMMARY")
	fatal, tolerated := 0, 0
	for k := range an.Origins {
		o := &an.Origins[k]
		if !o.Fatal {
			tolerated++
			continue
		}
		fatal++
		if fatal > 5 {
			continue
		}
		line := "error origin ◆ " + clean(o.Caller, 60) + " " + quote(o.SpanName)
		if o.Peer {
			line += " → " + clean(o.Service, 60) + " (not instrumented, called by " + clean(o.Caller, 60) + ")"
		}
		if o.Message != "" {
			line += ": " + clean(o.Message, 300)
		}
		a.line("%s · span %s · path %s", line, clean(o.SpanID, 32), strings.Join(cleanAll(o.Path, 40), " → "))
	}
	if fatal > 5 {
		a.line("… %d more fatal error origins", fatal-5)
	}
	if tolerated > 0 {
		a.line("%d erroring span(s) the request survived (tolerated errors)", tolerated)
	}
	if fatal == 0 && !an.Failing {
		a.line("the root did not fail")
	}
	a.line("critical path: %s end to end; %s", dur(v.total), v.criticalShares())
	if an.User != "" {
		a.line("user: %s %s", clean(an.User, 60), attrsLine(an.UserAttrs, 6))
	}
	if n := len(an.Links); n > 0 {
		var linked []string
		for _, l := range an.Links[:min(3, n)] {
			linked = append(linked, clean(l.TraceID, 40))
		}
		a.line("links to %d span(s) of other traces: %s", n, strings.Join(linked, ", "))
	}
	if x := an.Anomalies; x.Any() {
		a.line("repaired: %d missing parents, %d cycles, %d duplicate span ids, %d skewed spans, %d extra roots",
			x.MissingParents, x.Cycles, x.DuplicateIDs, x.Skewed, x.ExtraRoots)
	}

	v.waterfall(a)
	v.details(a)
	return a, nil
}

// cutLine says what the answer leaves out of the trace.
func (v *traceView) cutLine() string {
	shown, errors, detailed := 0, 0, 0
	for i := range v.kept {
		if v.kept[i] {
			shown++
		}
		if v.mark[i]&markError != 0 {
			errors++
		}
	}
	detailed = min(errors, maxDetailedSpans)
	if shown == len(v.kept) && detailed == errors {
		return fmt.Sprintf("complete: all %d spans shown; every erroring span detailed (attributes cut at %d a span, events at %d)", shown, maxSpanAttrs, maxSpanEvents)
	}
	return fmt.Sprintf("cut: %d of %d spans folded in the waterfall (off the error and critical paths%s); %d of %d erroring spans detailed (attributes cut at %d a span, events at %d)",
		len(v.kept)-shown, len(v.kept), map[bool]string{true: ", and erroring spans past the first " + fmt.Sprint(maxWaterfallSpans) + " shown", false: ""}[shown >= maxWaterfallSpans],
		detailed, errors, maxSpanAttrs, maxSpanEvents)
}

// criticalShares is the critical path's time by blamed service.
func (v *traceView) criticalShares() string {
	by := map[string]time.Duration{}
	var names []string
	for k := range v.path {
		n := v.path[k].Blamed()
		if _, ok := by[n]; !ok {
			names = append(names, n)
		}
		by[n] += v.path[k].Critical
	}
	sort.SliceStable(names, func(i, j int) bool { return by[names[i]] > by[names[j]] })
	var parts []string
	for _, n := range names[:min(6, len(names))] {
		share := 0.0
		if v.total > 0 {
			share = 100 * float64(by[n]) / float64(v.total)
		}
		parts = append(parts, fmt.Sprintf("%s %s (%.0f%%)", clean(n, 40), dur(by[n]), share))
	}
	if len(names) > 6 {
		parts = append(parts, fmt.Sprintf("+%d more services", len(names)-6))
	}
	return "by service: " + strings.Join(parts, ", ")
}

// waterfall lists the kept spans depth first; each run of others under a
// kept span becomes one folded line.
func (v *traceView) waterfall(a *answer) {
	t := v.tree
	a.title("waterfall", "WATERFALL (marks: ! error path, ◆ error origin, ┃ critical path, ✖ error; offset from the trace start, duration, span id)")
	rs, _ := t.Interval(t.Root())
	order := t.Order()
	size := make([]int, t.Len())
	for k := len(order) - 1; k >= 0; k-- {
		i := int(order[k])
		size[i]++
		if p := t.Parent(i); p >= 0 {
			size[p] += size[i]
		}
	}
	folded, foldDepth := 0, 0
	foldSvcs := map[string]int{}
	flush := func() {
		if folded == 0 {
			return
		}
		a.line("%s… %d span(s) folded: %s", indent(foldDepth), folded, countsLine(foldSvcs, 4))
		folded = 0
		clear(foldSvcs)
	}
	for k := 0; k < len(order); {
		i := int(order[k])
		depth := t.Depth(i)
		if !v.kept[i] {
			if folded == 0 {
				foldDepth = depth
			}
			folded += size[i]
			for _, j := range order[k : k+size[i]] {
				foldSvcs[t.Span(int(j)).Service()]++
			}
			k += size[i]
			continue
		}
		flush()
		sp := t.Span(i)
		st, en := t.Interval(i)
		line := fmt.Sprintf("%s%s %s %s · +%s %s · span %s", indent(depth), v.glyphs(i), clean(sp.Service(), 40), clean(sp.Name, 80),
			dur(st.Sub(rs)), dur(en.Sub(st)), clean(sp.SpanID, 32))
		if sp.Error && sp.StatusMessage != "" {
			line += " · " + clean(sp.StatusMessage, 120)
		}
		if c := v.crit[i]; c > 0 {
			line += " · critical " + dur(c)
		}
		a.line("%s", line)
		k++
	}
	flush()
}

// details lists the erroring spans with their attributes and events.
func (v *traceView) details(a *answer) {
	t := v.tree
	var errs []int
	for _, i := range t.Order() {
		if v.mark[i]&markError != 0 {
			errs = append(errs, int(i))
		}
	}
	// Origins first: they explain the failure.
	sort.SliceStable(errs, func(x, y int) bool {
		return v.mark[errs[x]]&markOrigin != 0 && v.mark[errs[y]]&markOrigin == 0
	})
	a.title("failing spans", "FAILING SPANS (status error; origins first)")
	if len(errs) == 0 {
		a.line("none")
	}
	for n, i := range errs {
		if n == maxDetailedSpans {
			rest := map[string]int{}
			for _, j := range errs[n:] {
				rest[t.Span(j).Service()]++
			}
			a.line("… %d more erroring span(s) not detailed: %s", len(errs)-n, countsLine(rest, 6))
			break
		}
		sp := t.Span(i)
		parent := "root"
		if sp.ParentID != "" {
			parent = clean(sp.ParentID, 32)
		}
		a.line("%s %s %s · %s · %s · span %s · parent %s", strings.TrimSpace(v.glyphs(i)), clean(sp.Service(), 40), clean(sp.Name, 80),
			sp.Kind, dur(sp.Duration()), clean(sp.SpanID, 32), parent)
		if sp.StatusMessage != "" {
			a.line("  status: %s", clean(sp.StatusMessage, 400))
		}
		for k, at := range sp.Attrs {
			if k == maxSpanAttrs {
				a.line("  … %d more attributes", len(sp.Attrs)-k)
				break
			}
			a.line("  %s = %s", clean(at.Key, 60), clean(at.Value, 240))
		}
		if sp.Resource != nil {
			var res triage.Attrs
			for _, at := range sp.Resource.Attrs {
				if at.Key != "service.name" {
					res = append(res, at)
				}
			}
			if len(res) > 0 {
				a.line("  resource: %s", attrsLine(res, 8))
			}
		}
		for k, e := range sp.Events {
			if k == maxSpanEvents {
				a.line("  … %d more events", len(sp.Events)-k)
				break
			}
			at := "?"
			if !e.Time.IsZero() {
				at = "+" + dur(e.Time.Sub(sp.Start))
			}
			a.line("  event %s %s: %s", at, clean(e.Name, 60), attrsLine(e.Attrs, maxEventAttrs))
		}
	}
}

func attrsLine(attrs triage.Attrs, n int) string {
	if len(attrs) == 0 {
		return "-"
	}
	parts := make([]string, 0, n+1)
	for _, at := range attrs[:min(n, len(attrs))] {
		parts = append(parts, clean(at.Key, 60)+"="+clean(at.Value, 200))
	}
	if len(attrs) > n {
		parts = append(parts, fmt.Sprintf("(+%d more)", len(attrs)-n))
	}
	return strings.Join(parts, " · ")
}

// countsLine writes the most frequent names with their counts.
func countsLine(m map[string]int, n int) string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		if m[names[i]] != m[names[j]] {
			return m[names[i]] > m[names[j]]
		}
		return names[i] < names[j]
	})
	parts := make([]string, 0, n+1)
	for _, k := range names[:min(n, len(names))] {
		name := k
		if name == "" {
			name = "(no service)"
		}
		parts = append(parts, fmt.Sprintf("%s ×%d", clean(name, 40), m[k]))
	}
	if len(names) > n {
		parts = append(parts, fmt.Sprintf("+%d more services", len(names)-n))
	}
	return strings.Join(parts, ", ")
}

// indent is two spaces a level, up to a depth past which it says the depth.
func indent(depth int) string {
	if depth <= 12 {
		return strings.Repeat("  ", depth)
	}
	return strings.Repeat("  ", 12) + fmt.Sprintf("[depth %d] ", depth)
}

func services(tr *triage.Trace) map[string]bool {
	out := map[string]bool{}
	for i := range tr.Spans {
		out[tr.Spans[i].Service()] = true
	}
	return out
}

func cleanAll(xs []string, n int) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = clean(x, n)
	}
	return out
}
