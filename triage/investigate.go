package triage

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// ErrAllSourcesFailed is returned, with the report, when no source answered.
var ErrAllSourcesFailed = errors.New("every source failed: the report holds no evidence")

// Update is one step of a running investigation, for progressive rendering.
// Report is a snapshot: a nil section is pending while its source's status
// is pending, and unknown once the source has failed.
type Update struct {
	Source string        // the source that changed; "" when the engine finished a section
	Status *SourceStatus // that source's new status
	Report *Report
	Done   bool
}

// Investigation runs one alert's investigation against the sources.
type Investigation struct {
	src  Sources
	opts Options
	red  REDQueries
}

// NewInvestigation prepares an investigation; opts' zero fields take the
// defaults and red's zero value the span-metrics queries.
func NewInvestigation(src Sources, opts Options, red REDQueries) *Investigation {
	if red == (REDQueries{}) {
		red = DefaultREDQueries()
	}
	return &Investigation{src: src, opts: opts.withDefaults(), red: red}
}

// Source names, in display order.
const (
	SourcePrometheus = "prometheus"
	SourceLoki       = "loki"
	SourceTempo      = "tempo" // or SourceJaeger: the trace source is named after its backend
)

// sourceState decides how a source ended from its calls.
func sourceState(calls, failed int, partial bool, latency, slowAfter time.Duration) SourceState {
	switch {
	case calls > 0 && failed >= calls:
		return StateFailed
	case failed > 0 || partial:
		return StatePartial
	case latency > slowAfter:
		return StateSlow
	}
	return StateOK
}

func status(name string, start time.Time, calls, failed int, partial bool, firstErr error, queries []string, slowAfter time.Duration, partialNote string) SourceStatus {
	lat := time.Since(start)
	st := SourceStatus{Name: name, LatencyMS: lat.Milliseconds(), Queries: append([]string{}, queries...)}
	if st.Queries == nil {
		st.Queries = []string{}
	}
	// Calls finish in whatever order the backend answers: sorted, the
	// list, and so the report, is the same for the same answers.
	sort.Strings(st.Queries)
	st.State = sourceState(calls, failed, partial, lat, slowAfter)
	if firstErr != nil {
		st.Error, st.ErrorKind = ErrorInfo(firstErr)
		if st.ErrorKind == "timeout" && !strings.Contains(st.Error, "after") {
			st.Error += fmt.Sprintf(" after %s", lat.Round(100*time.Millisecond))
		}
	} else if partialNote != "" && st.State == StatePartial {
		st.Error = partialNote
	}
	return st
}

// Run investigates a. emit, when not nil, receives updates as results
// arrive; it must not block. The report is returned even when sources
// failed; the error is ErrAllSourcesFailed when none answered.
func (iv *Investigation) Run(ctx context.Context, a Alert, emit func(Update)) (*Report, error) {
	o := iv.opts
	now := o.Now()
	w, err := ResolveWindow(a, now, o.Lookback, o.BaselineOffset, o.MaxWindow)
	if err != nil {
		return nil, err
	}
	scope := ResolveScope(a, o.ServiceLabels)
	st := &runState{report: &Report{
		Version: ReportVersion,
		Alert: AlertInfo{Name: a.Name, Labels: nonNilMap(a.Labels), Annotations: nonNilMap(a.Annotations),
			StartsAt: a.StartsAt, Fingerprint: a.Fingerprint, Expr: a.Expr, Scope: scope},
		Window: w,
	}, emit: emit, opts: o, scope: scope}
	tracesName := iv.src.TracesName()
	st.traceSource = tracesName
	configured := map[string]bool{SourcePrometheus: iv.src.Metrics != nil, SourceLoki: iv.src.Logs != nil, tracesName: iv.src.Traces != nil}
	for _, name := range []string{SourcePrometheus, SourceLoki, tracesName} {
		s := SourceStatus{Name: name, State: StatePending, Queries: []string{}}
		if !configured[name] {
			s.State = StateUnconfigured
			s.Error = "not configured"
		}
		st.report.Sources = append(st.report.Sources, s)
	}
	st.send("", nil, false)

	hints := traceHints{exemplars: newIDHint(), logs: newIDHint()}
	if iv.src.Metrics == nil {
		hints.exemplars.give(nil)
	}
	if iv.src.Logs == nil {
		hints.logs.give(nil)
	}
	var wg sync.WaitGroup
	// run gives one source its own deadline and records how it ended.
	run := func(configured bool, step func(ctx context.Context, start time.Time) (SourceStatus, func())) {
		if !configured {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			ctx, cancel := context.WithTimeout(ctx, o.SourceDeadline)
			defer cancel()
			s, store := step(ctx, start)
			st.setSource(s, store)
		}()
	}
	run(iv.src.Metrics != nil, func(ctx context.Context, start time.Time) (SourceStatus, func()) {
		res := runMetrics(ctx, iv.src.Metrics, iv.red, scope, w, o.SlowThreshold, o.MaxLag, hints.exemplars)
		s := status(SourcePrometheus, start, res.calls, res.failed, false, res.firstErr, res.queries, o.SlowAfter, "")
		return withFreshness(s, res.fresh), func() { st.metrics = res }
	})
	run(iv.src.Logs != nil, func(ctx context.Context, start time.Time) (SourceStatus, func()) {
		res := runLogs(ctx, iv.src.Logs, scope, w, o, hints.logs)
		note := ""
		if res.truncated {
			note = fmt.Sprintf("line limit %d reached: counts are a floor", o.LogLimit)
		}
		s := status(SourceLoki, start, res.calls, res.failed, res.truncated, res.firstErr, res.queries, o.SlowAfter, note)
		s.Notes = append(s.Notes, res.baselineNotes(scope, w)...)
		return withFreshness(s, res.fresh), func() { st.logs = res }
	})
	run(iv.src.Traces != nil, func(ctx context.Context, start time.Time) (SourceStatus, func()) {
		var fresh *Freshness
		var freshQueries []string
		freshDone := make(chan struct{})
		go func() {
			defer close(freshDone)
			fresh, freshQueries = traceFreshness(ctx, iv.src.Traces, scope, w, o.MaxLag)
		}()
		res := runTraces(ctx, iv.src.Traces, scope, w, o, hints)
		<-freshDone
		res.queries = append(res.queries, freshQueries...)
		note := ""
		if res.partial > 0 || res.missing > 0 {
			note = fmt.Sprintf("%d traces partial, %d not found", res.partial, res.missing)
		}
		analysed := analyseTraces(res, o)
		s := status(tracesName, start, res.calls, res.failed, res.partial > 0, res.firstErr, res.queries, o.SlowAfter, note)
		if len(res.notes) > 0 {
			s.Notes = append([]string{}, res.notes...)
			sort.Strings(s.Notes)
		}
		if n := res.linkNote(); n != "" {
			s.Notes = append(s.Notes, n)
		}
		return withFreshness(s, fresh), func() { st.traces = analysed }
	})
	wg.Wait()

	r := st.final()
	answered := false
	for _, s := range r.Sources {
		if s.State != StateFailed && s.State != StateUnconfigured {
			answered = true
		}
	}
	if !answered {
		return r, ErrAllSourcesFailed
	}
	return r, nil
}

// runState serialises the goroutines' changes to the report and emits a
// snapshot after each.
type runState struct {
	mu     sync.Mutex
	report *Report
	emit   func(Update)
	opts   Options
	scope  Scope
	// traceSource names the trace backend (SourceTempo, SourceJaeger).
	traceSource string
	metrics     *metricsResult
	logs        *logsResult
	traces      *analysedTraces
}

// setSource records a finished source and re-derives every section from
// what is known so far.
func (s *runState) setSource(ss SourceStatus, store func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.report.Sources {
		if s.report.Sources[i].Name == ss.Name {
			s.report.Sources[i] = ss
		}
	}
	store()
	s.assemble()
	s.sendLocked(ss.Name, &ss, false)
}

func (s *runState) send(source string, ss *SourceStatus, done bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sendLocked(source, ss, done)
}

func (s *runState) sendLocked(source string, ss *SourceStatus, done bool) {
	if s.emit == nil {
		return
	}
	snap := s.report.Clone()
	snap.roundDurations()
	s.emit(Update{Source: source, Status: ss, Report: snap, Done: done})
}

func (s *runState) final() *Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.assemble()
	s.sendLocked("", nil, true)
	r := s.report.Clone()
	r.roundDurations()
	return r
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// sourceOK reports whether the named source answered at all.
func sourceOK(r *Report, name string) bool {
	for _, s := range r.Sources {
		if s.Name == name {
			return s.State == StateOK || s.State == StateSlow || s.State == StatePartial
		}
	}
	return false
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// withFreshness records how fresh the source's data was.
func withFreshness(s SourceStatus, f *Freshness) SourceStatus {
	if f != nil {
		s.Freshness = f
		age := f.AgeSeconds
		s.FreshnessSeconds = &age
	}
	return s
}
