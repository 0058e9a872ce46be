package triage

import (
	"fmt"
	"strings"
)

// evidence says, for the sections assembled, which figures the backends
// aggregated over every request and which the sampled traces gave, so a
// reader can tell a count from an estimate.
func (s *runState) evidence(tr *analysedTraces, tracesOK bool, lg *logsResult, logsOK bool, mt *metricsResult, metricsOK bool) *Evidence {
	r := s.report
	if !tracesOK && !logsOK && !metricsOK {
		return nil
	}
	ev := &Evidence{Aggregates: []FigureBasis{}, Sampled: []FigureBasis{}}
	who := "entry requests of every service"
	if s.scope.Service != "" {
		who = "entry requests of " + s.scope.Service
	}
	agg := func(figure, source, basis string) {
		ev.Aggregates = append(ev.Aggregates, FigureBasis{figure, source, basis})
	}
	sampled := func(figure, source, basis string) {
		ev.Sampled = append(ev.Sampled, FigureBasis{figure, source, basis})
	}
	if metricsOK {
		if r.Impact != nil && r.Impact.FailingRatio != nil {
			agg("impact.failing_ratio", SourcePrometheus, "failed "+who+" over all of them in the window, from span metrics")
		}
		if r.Impact != nil && r.Impact.SlowRatio != nil {
			agg("impact.slow_ratio", SourcePrometheus, who+" over the slow threshold over all of them, from the latency histogram")
		}
		if r.Impact != nil && r.Impact.UsersEstimate != nil {
			agg("impact.users_estimate", SourcePrometheus, "the count of failing or slow "+who+" the sampled users are scaled to")
		}
		if len(mt.red) > 0 {
			agg("services", SourcePrometheus, "each service's rate, errors and duration, now and at baseline")
		}
		if r.Timeline != nil && r.Timeline.FirstFailing == "" {
			agg("timeline", SourcePrometheus, "the error ratio's change point")
		}
	}
	if logsOK {
		if lg.patternsOK {
			agg("log_patterns", SourceLoki, "the patterns Loki detected over every line, and their counts")
		} else {
			sampled("log_patterns", SourceLoki, fmt.Sprintf("the error and warning lines read, up to %d a window", s.opts.LogLimit))
		}
	}
	if tracesOK {
		res, src := tr.res, s.traceSource
		n := len(tr.incident)
		sample := fmt.Sprintf("%d failing or slow traces read whole, of %d found", n, res.discovered)
		if res.skeletons > 0 || res.selected > 0 {
			how := []string{fmt.Sprintf("%d read whole", n-res.skeletons-res.selected)}
			if res.selected > 0 {
				how = append(how, fmt.Sprintf("%d as one search by trace id returned them, with the keys what's different compares", res.selected))
			}
			if res.skeletons > 0 {
				how = append(how, fmt.Sprintf("%d that did not fail as skeleton searches returned them", res.skeletons))
			}
			sample = fmt.Sprintf("%d failing or slow traces, of %d found: %s", n, res.discovered, strings.Join(how, ", "))
		}
		sampled("services", src, "the culprit and each service's role: "+sample)
		sampled("users", src, sample)
		sampled("impact.users_seen", src, sample)
		sampled("impact.kind", src, sample)
		if r.Impact != nil && r.Impact.UsersEstimate != nil {
			sampled("impact.users_estimate", src, "the users seen in "+sample+", scaled to the aggregate count")
		}
		side := "the failing sample"
		switch {
		case res.latencyCompared > 0 && res.selected > 0:
			side = fmt.Sprintf("%d of the slow sample's traces, spread over it (%d read whole, %d selected by trace id with the keys compared),",
				res.latencyCompared, res.latencyCompared-res.selected, res.selected)
		case res.latencyCompared > 0 && res.skeletons > 0:
			side = fmt.Sprintf("%d of the slow sample's traces, read whole and spread over it,", res.latencyCompared)
		}
		base := fmt.Sprintf("%s against %d healthy traces read whole (of %d found, in the %s)", side, len(tr.baseline), res.baselineFound, res.baselineIn)
		if res.baselineBySearch {
			base = fmt.Sprintf("%s against the attributes of %d healthy traces, as the trace search returned them (none read whole), in the %s", side, len(tr.baseline), res.baselineIn)
		}
		sampled("differences", src, base)
		sampled("traces", src, sample)
		if r.Timeline != nil && r.Timeline.FirstFailing != "" {
			sampled("timeline", src, "the first failing or slow trace of the sample")
		}
		found, baseFound, baseN, reused, skeletons, selected := res.discovered, res.baselineFound, len(tr.baseline), res.reused, res.skeletons, res.selected
		ev.TracesFound, ev.BaselineFound, ev.BaselineTraces, ev.ReusedTraces = &found, &baseFound, &baseN, &reused
		ev.SkeletonTraces, ev.SelectedTraces = &skeletons, &selected
	}
	return ev
}
