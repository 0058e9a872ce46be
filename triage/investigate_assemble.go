package triage

import (
	"sort"
	"time"
)

// analysedTraces is the trace source's contribution after analysis.
type analysedTraces struct {
	res      *traceResult
	incident []TraceAnalysis // the sampled failing and slow traces
	baseline []TraceAnalysis // healthy traces to compare against
}

func analysisOptions(o Options) AnalysisOptions { return o.Analysis() }

// Analysis is how the investigation analyses one trace: every page and
// tool that analyses a trace again does it with these.
func (o Options) Analysis() AnalysisOptions {
	return AnalysisOptions{UserAttributes: o.UserAttributes, UserDetailAttributes: o.UserDetailAttributes, SlowThreshold: o.SlowThreshold}
}

func analyseAll(ts []*Trace, ao AnalysisOptions) []TraceAnalysis {
	out := make([]TraceAnalysis, 0, len(ts))
	for _, t := range ts {
		out = append(out, AnalyzeTrace(t, ao))
	}
	return out
}

// analyseTraces analyses the sample, joins traces across span links (the
// linked traces themselves only lend context) and keeps the baseline's
// healthy traces.
func analyseTraces(res *traceResult, o Options) *analysedTraces {
	ao := analysisOptions(o)
	inc := analyseAll(res.incident, ao)
	n := len(inc)
	if len(res.linked) > 0 {
		inc = append(inc, analyseAll(res.linked, ao)...)
	}
	JoinLinked(inc)
	inc = inc[:n]
	var base []TraceAnalysis
	for _, a := range analyseAll(res.baseline, ao) {
		if !a.Failing {
			base = append(base, a)
		}
	}
	return &analysedTraces{res: res, incident: inc, baseline: base}
}

// assemble derives every section from the sources that have answered. A
// section stays nil (unknown) while its source is pending or failed.
func (s *runState) assemble() {
	r, o := s.report, s.opts
	tr, lg, mt := s.traces, s.logs, s.metrics
	tracesOK := tr != nil && sourceOK(r, s.traceSource)
	logsOK := lg != nil && sourceOK(r, SourceLoki)
	metricsOK := mt != nil && sourceOK(r, SourcePrometheus)

	var red map[string]RED
	if metricsOK {
		red = mt.red
	}
	involved := map[string]bool{}
	r.Services, r.Users, r.Differences, r.Traces = nil, nil, nil, nil
	if tracesOK {
		r.Services = RankServices(tr.incident, red, RankOptions{})
		if r.Services == nil {
			r.Services = []ServiceRank{}
		}
		r.Users = RankUsers(tr.incident, UserOptions{})
		if r.Users == nil {
			r.Users = []UserImpact{}
		}
		r.Differences = differencesOf(tr, o)
		r.Traces = traceRows(tr.incident)
		for _, sr := range r.Services {
			involved[sr.Name] = true
		}
	}
	r.LogPatterns = nil
	if logsOK {
		in := LogPatternInput{Lines: lg.lines, BaselineLines: lg.baseline}
		if lg.patternsOK {
			in.Patterns, in.BaselinePatterns = lg.patterns, lg.basePatterns
		}
		if len(involved) > 0 {
			// Logs of the services the failing traces went through; the
			// rest of the estate's errors are noise for this incident.
			in.Lines = linesOfServices(in.Lines, involved)
			in.BaselineLines = linesOfServices(in.BaselineLines, involved)
		}
		r.LogPatterns = FindLogPatterns(in, PatternOptions{Window: r.Window, BaselineServices: lg.loggedInBaseline()})
		if len(involved) > 0 && lg.patternsOK {
			// Loki's patterns cover every service; keep those that matched
			// a line of the involved services.
			kept := r.LogPatterns[:0]
			for _, p := range r.LogPatterns {
				if p.Source != PatternSourceLoki || len(p.Services) > 0 {
					kept = append(kept, p)
				}
			}
			r.LogPatterns = kept
		}
		if r.LogPatterns == nil {
			r.LogPatterns = []LogPattern{}
		}
	}
	r.Impact = s.impact(tr, tracesOK, mt, metricsOK)
	r.Timeline = timeline(r, tr, tracesOK, mt, metricsOK)
	if r.Timeline != nil && r.Impact != nil {
		t := r.Timeline.BeganAt
		r.Impact.BeganAt = &t
	}
	r.Evidence = s.evidence(tr, tracesOK, lg, logsOK, mt, metricsOK)
}

func (s *runState) impact(tr *analysedTraces, tracesOK bool, mt *metricsResult, metricsOK bool) *Impact {
	if !tracesOK && !metricsOK {
		return nil
	}
	r := s.report
	imp := &Impact{Unknown: map[string]string{}}
	unknown := func(field, why string) {
		if why != "" {
			imp.Unknown[field] = why
		}
	}
	tracesWhy, metricsWhy := unknownReason(r, s.traceSource), unknownReason(r, SourcePrometheus)
	imp.RatioBasis = ratioBasis(s.scope, r.Window)
	imp.SlowThresholdMS = float64(s.opts.SlowThreshold) / float64(time.Millisecond)
	if metricsOK {
		imp.FailingRatio = mt.failingRatio
		if mt.scopeSlow != nil && mt.scopeTotal != nil && *mt.scopeTotal > 0 {
			v := *mt.scopeSlow / *mt.scopeTotal
			imp.SlowRatio = &v
		}
		noSeries := "prometheus: no span metrics of " + s.scope.Service + " in the window"
		if s.scope.Service == "" {
			noSeries = "prometheus: the alert names no service to compute a ratio for"
		}
		if imp.FailingRatio == nil {
			unknown("failing_ratio", noSeries)
		}
		if imp.SlowRatio == nil {
			unknown("slow_ratio", noSeries)
		}
	} else {
		unknown("failing_ratio", metricsWhy)
		unknown("slow_ratio", metricsWhy)
	}
	if tracesOK {
		n := len(tr.incident)
		imp.SampledTraces = &n
		latency := detectKind(tr.incident) == KindLatency
		imp.Kind = KindErrors
		if latency {
			imp.Kind = KindLatency
		}
		entries, consumed := entryPoints(tr.incident, s.scope)
		if consumed != "" {
			imp.RatioBasis = ratioBasisOf(consumed+" "+s.scope.Service+" consumed", r.Window)
		}
		work := SampledWork(tr.incident, latency)
		if work.Messages {
			m := work.Requests
			imp.SampledMessages = &m
		}
		usersFailed, usersSlow, batchLevel := 0, 0, 0
		for _, u := range r.Users {
			switch {
			case u.Failed > 0:
				usersFailed++
			case u.Slow > 0:
				usersSlow++
			}
			if u.BatchLevel {
				batchLevel++
			}
		}
		imp.UsersFailed, imp.UsersSlow = &usersFailed, &usersSlow
		if batchLevel > 0 {
			imp.UsersBatchLevel = &batchLevel
		}
		// Seen counts the users the estimate scales: failing users in an
		// error incident, slow ones in a latency incident.
		seen := usersFailed
		if latency {
			seen = 0
			for _, u := range r.Users {
				if u.Slow > 0 {
					seen++
				}
			}
		}
		imp.UsersSeen = &seen
		imp.EntryPoints = sortedSet(entries)
		switch {
		case !metricsOK:
			unknown("users_estimate", metricsWhy)
		case latency:
			imp.UsersEstimate = EstimateAffectedUsers(r.Users, work, imp.Kind, mt.scopeSlow, "Prometheus")
		default:
			imp.UsersEstimate = EstimateAffectedUsers(r.Users, work, imp.Kind, mt.scopeFailures, "Prometheus")
		}
		if metricsOK && imp.UsersEstimate == nil {
			unknown("users_estimate", "prometheus: no count of the scope's failing requests to scale the sample to")
		}
		imp.Culprit = rankedCulprit(r.Services)
		imp.CulpritLine = culpritLineOf(r, imp.Culprit)
	} else {
		for _, f := range []string{"sampled_traces", "users_seen", "users_failed", "users_slow", "users_estimate"} {
			unknown(f, tracesWhy)
		}
	}
	if len(imp.Unknown) == 0 {
		imp.Unknown = nil
	}
	return imp
}

// ratioBasis says which requests and which window the ratios count.
func ratioBasis(scope Scope, w Window) string {
	who := "entry requests of every service"
	if scope.Service != "" {
		who = "entry requests of " + scope.Service
	}
	return ratioBasisOf(who, w)
}

func ratioBasisOf(who string, w Window) string {
	return who + ", " + w.Start.UTC().Format("15:04") + "–" + w.End.UTC().Format("15:04") + " UTC"
}

// entryPoints are the entries of the sampled failing and slow work: a
// request's own entry, or for work a consumer did on messages, the entries
// of the requests that produced them, through the hop ("storefront POST
// /checkout → order-events → notifier"): the user-facing entry, not the
// consumer. consumed names what the scope's own failing and slow traces
// mostly consumed ("order-events batches", "order-events messages"), ""
// when they are mostly entry requests.
func entryPoints(as []TraceAnalysis, scope Scope) (entries map[string]bool, consumed string) {
	entries = map[string]bool{}
	topics := map[string]int{}
	scoped, consumers, batches := 0, 0, 0
	for k := range as {
		a := &as[k]
		hop := false
		for n := range a.Upstream {
			if u := &a.Upstream[n]; u.Affected() && u.Entry != "" {
				entries[u.HopEntry()] = true
				hop = true
			}
		}
		if !a.Failing && !a.Slow {
			continue
		}
		if !hop && a.Entry != "" {
			entries[a.Entry] = true
		}
		if scope.Service == "" || a.RootService != scope.Service {
			continue
		}
		scoped++
		if hop && len(a.Upstream) > 0 {
			consumers++
			topics[a.Upstream[0].Topic]++
			if len(a.Upstream) > 1 {
				batches++
			}
		}
	}
	if consumers == 0 || consumers*2 <= scoped {
		return entries, ""
	}
	topic := ""
	for t, c := range topics {
		if topic == "" || c > topics[topic] || c == topics[topic] && t < topic {
			topic = t
		}
	}
	consumed = "messages"
	if batches*2 > consumers {
		consumed = "batches"
	}
	if topic != "" {
		consumed = topic + " " + consumed
	}
	return entries, "the " + consumed
}

// unknownReason is why the named source gave nothing: "tempo: <its
// error>", or that it is still running or not configured.
func unknownReason(r *Report, name string) string {
	for _, s := range r.Sources {
		if s.Name != name {
			continue
		}
		switch s.State {
		case StatePending:
			return name + ": pending"
		case StateUnconfigured:
			return name + ": not configured"
		case StateFailed:
			return name + ": " + s.Error
		}
		return ""
	}
	return name + ": not configured"
}

// timeline dates the incident's start: the first failing trace sampled,
// or the error ratio's change point when that is earlier or no trace is
// known.
func timeline(r *Report, tr *analysedTraces, tracesOK bool, mt *metricsResult, metricsOK bool) *Timeline {
	var tl *Timeline
	if tracesOK {
		for k := range tr.incident {
			a := &tr.incident[k]
			if !a.Failing && !a.Slow {
				continue
			}
			if tl == nil || a.Start.Before(tl.BeganAt) {
				tl = &Timeline{BeganAt: a.Start, Basis: "first failing or slow trace in the sample", FirstFailing: a.TraceID}
			}
		}
	}
	if metricsOK && mt.changePoint != nil && (tl == nil || mt.changePoint.Before(tl.BeganAt)) {
		tl = &Timeline{BeganAt: *mt.changePoint, Basis: "error-ratio change point"}
	}
	if tl != nil && !r.Alert.StartsAt.IsZero() {
		tl.BeforeAlert = r.Alert.StartsAt.Sub(tl.BeganAt).Round(time.Second).Seconds()
	}
	return tl
}

func traceRows(as []TraceAnalysis) []TraceRow {
	rows := make([]TraceRow, 0, len(as))
	for k := range as {
		if as[k].Failing || as[k].Slow {
			rows = append(rows, as[k].Row())
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Failing != rows[j].Failing {
			return rows[i].Failing
		}
		return rows[i].Start.Before(rows[j].Start)
	})
	return rows
}

func linesOfServices(lines []LogLine, services map[string]bool) []LogLine {
	if lines == nil {
		return nil
	}
	out := make([]LogLine, 0, len(lines))
	for _, l := range lines {
		if services[l.Service] {
			out = append(out, l)
		}
	}
	return out
}

// differencesOf compares the failing sample with the healthy baseline; the
// user ids are skipped, being identities rather than causes.
func differencesOf(tr *analysedTraces, o Options) []Difference {
	return Differences(comparable(tr.incident), tr.baseline, DiffOptions{SkipKeys: o.UserAttributes, Keys: tr.res.baselineKeys})
}

// detectKind says whether the sample is a latency incident: slow traces,
// and failing ones few against them (fewer than a tenth, or under three).
func detectKind(as []TraceAnalysis) IncidentKind {
	failing, slow := 0, 0
	for k := range as {
		if as[k].Failing {
			failing++
		}
		if as[k].Slow {
			slow++
		}
	}
	if slow > 0 && (failing*10 < slow || failing < 3 && slow > failing) {
		return KindLatency
	}
	return KindErrors
}
