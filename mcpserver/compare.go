package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/triagectl/triage/triage"
)

// maxOperations bounds the operations a comparison lists.
const maxOperations = 200

// compareAnswer is compare_traces' answer.
func (s *Server) compareAnswer(ctx context.Context, rawFail, rawHealthy string) (*answer, error) {
	failID, err := traceID("failing_trace_id", rawFail)
	if err != nil {
		return nil, err
	}
	what := "comparison of failing trace " + failID
	failing, srcLine, err := s.fetchTrace(ctx, failID)
	if err != nil {
		return failedAnswer(what, srcLine, err), nil
	}
	fa := triage.AnalyzeTrace(failing, s.analysisOptions())
	var healthy *triage.Trace
	found := "given"
	if rawHealthy != "" {
		hid, err := traceID("healthy_trace_id", rawHealthy)
		if err != nil {
			return nil, err
		}
		if healthy, srcLine, err = s.fetchTrace(ctx, hid); err != nil {
			return failedAnswer(what, srcLine, err), nil
		}
	} else {
		var notes []string
		healthy, found, notes, err = s.findHealthy(ctx, failID, fa)
		if err != nil {
			return nil, err
		}
		if healthy == nil {
			a := &answer{}
			a.top("%s · %s %s · no healthy trace of this route was found", what, clean(fa.RootService, 60), clean(fa.RootName, 80))
			a.top("%s", srcLine)
			a.section = "searches"
			for _, n := range notes {
				a.line("%s", n)
			}
			return a, nil
		}
	}
	c := triage.CompareTraces(failing, healthy, s.analysisOptions())
	a := &answer{}
	a.top("failing %s · %s %s · %s · %d spans · %s", failID, clean(c.Failing.RootService, 60), clean(c.Failing.RootName, 80),
		dur(c.Failing.Duration), c.FailingSpans, state(c.Failing))
	a.top("healthy %s · %s %s · %s · %d spans · %s · %s", clean(c.Healthy.TraceID, 40), clean(c.Healthy.RootService, 60), clean(c.Healthy.RootName, 80),
		dur(c.Healthy.Duration), c.HealthySpans, state(c.Healthy), clean(found, 300))
	a.top("%s", srcLine)
	if len(c.Operations) > maxOperations {
		a.top("cut: %d of %d operations listed (the rest differ least)", maxOperations, len(c.Operations))
	}
	a.title("summary", "SUMMARY")
	if o := c.Failing.Culprit(); o != nil {
		line := "the failing trace's error origin: " + clean(o.Caller, 60) + " " + quote(o.SpanName)
		if o.Peer {
			line += " → " + clean(o.Service, 60) + " (not instrumented)"
		}
		if o.Message != "" {
			line += ": " + clean(o.Message, 300)
		}
		a.line("%s", line)
	}
	a.line("duration: %s vs %s (%s)", dur(c.Failing.Duration), dur(c.Healthy.Duration), signed(c.Failing.Duration-c.Healthy.Duration))
	a.title("operations", "OPERATIONS (service operation · failing: spans, time, errors · healthy: the same · difference), erroring first, then by difference")
	for k, op := range c.Operations {
		if k == maxOperations {
			break
		}
		side := func(n int, t string, errs int) string {
			if n == 0 {
				return "absent"
			}
			s := fmt.Sprintf("%d span(s) %s", n, t)
			if errs > 0 {
				s += fmt.Sprintf(" ✖%d", errs)
			}
			return s
		}
		a.line("%s %s · failing: %s · healthy: %s · %s", clean(op.Service, 40), clean(op.Name, 80),
			side(op.Failing, dur(op.FailingTime), op.FailingErrors), side(op.Healthy, dur(op.HealthyTime), op.HealthyErrors), signed(op.Delta()))
	}
	return a, nil
}

// findHealthy looks for a healthy trace of the failing trace's route with
// the investigation's own searches for healthy traces, nearest in time
// first; notes say what each search found when none fits.
func (s *Server) findHealthy(ctx context.Context, failID string, fa triage.TraceAnalysis) (*triage.Trace, string, []string, error) {
	c := s.caseWithTrace(failID)
	if c == nil {
		c = s.latestCase()
	}
	if c == nil {
		return nil, "", nil, errors.New("no investigation to search for a healthy trace in: call investigate first, or give healthy_trace_id")
	}
	if s.d.Sources.Traces == nil {
		return nil, "", nil, errors.New("no trace source is configured")
	}
	// The console's comparison finds its healthy trace the same way.
	f := triage.FindHealthyTrace(ctx, s.d.Sources.Traces, c.report.Alert.Scope, c.report.Window, s.d.Options, &fa)
	var notes []string
	for _, hs := range f.Searches {
		if hs.Err != nil {
			notes = append(notes, fmt.Sprintf("search %s in the %s: %s failed: %s", clean(hs.Query, 300), hs.Where, s.d.Sources.TracesName(), clean(reasonOf(hs.Err), 200)))
			continue
		}
		notes = append(notes, fmt.Sprintf("search %s in the %s: %d healthy trace(s), %d of this route", clean(hs.Query, 300), hs.Where, hs.Found, hs.Route))
		if hs.Note != "" {
			notes = append(notes, clean(hs.Note, 300))
		}
	}
	for _, p := range f.Fetches {
		why := "it failed too"
		if p.Err != nil {
			why = reasonOf(p.Err)
		}
		notes = append(notes, fmt.Sprintf("trace %s: %s", clean(p.TraceID, 40), clean(why, 200)))
	}
	if f.Trace == nil {
		return nil, "", notes, nil
	}
	hs := f.Searches[f.Search]
	return f.Trace, fmt.Sprintf("found by %s in the %s, nearest in time of %d", clean(hs.Query, 200), hs.Where, f.Candidates), notes, nil
}

func state(an triage.TraceAnalysis) string {
	switch {
	case an.Failing:
		return "FAILED"
	case an.Slow:
		return "slow"
	}
	return "ok"
}

func signed(d time.Duration) string {
	if d >= 0 {
		return "+" + dur(d)
	}
	return dur(d)
}
