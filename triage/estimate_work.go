package triage

import (
	"fmt"
	"math"
)

// WorkSample is the sampled work a users estimate scales: how many
// sampled traces failed (or were slow), and how many requests' work that
// was. A trace is one request's work, but a batch consumer's trace is the
// work of every request whose message it processed.
type WorkSample struct {
	Traces   int  // sampled traces whose work failed (or was slow)
	Requests int  // the requests that work was: one per trace, or per message the trace failed on
	Messages bool // some trace processed several messages: the sample is of messages
}

// SampledWork counts the failing work of the analysed traces, or the slow
// work in a latency incident. Run JoinLinked first: a trace linking to
// several requests' messages counts each message it failed on.
func SampledWork(analyses []TraceAnalysis, latency bool) WorkSample {
	var w WorkSample
	for k := range analyses {
		a := &analyses[k]
		hit := a.Failing
		if latency {
			hit = a.Slow
		}
		msgs := 0
		for n := range a.Upstream {
			if u := &a.Upstream[n]; latency && u.Slow || !latency && u.Failed {
				msgs++
			}
		}
		if !hit && msgs == 0 {
			continue
		}
		w.Traces++
		w.Requests += max(msgs, 1)
		w.Messages = w.Messages || len(a.Upstream) > 1
	}
	return w
}

// EstimateAffectedUsers is EstimateUsers, or EstimateSlowUsers in a
// latency incident, over the sampled work w. When the sample is of
// messages (w.Messages), metrics count the consumer's spans, one per
// batch: total is scaled by the requests per sampled trace to the
// messages it stands for, and the basis says so. Otherwise it is exactly
// EstimateUsers over w.Traces.
func EstimateAffectedUsers(users []UserImpact, w WorkSample, kind IncidentKind, total *float64, source string) *Estimate {
	count, what := failedCount, "failing"
	if kind == KindLatency {
		count, what = slowCount, "slow"
	}
	if !w.Messages {
		return estimateUsers(users, count, requestWords(what, source), w.Traces, total)
	}
	perTrace := float64(w.Requests) / float64(max(w.Traces, 1))
	words := sampleWords{
		none: "no " + what + " requests (" + source + ")",
		of: func(n int, t float64) string {
			return fmt.Sprintf("%s of ≈%s %s messages (in %s sampled traces)", Thousands(float64(n)), Thousands(t), what, Thousands(float64(w.Traces)))
		},
		counted: fmt.Sprintf("%s batches counted by %s, × %.1f messages each in the sample", what, source, perTrace),
		every:   "every " + what + " message sampled",
		scale: func(t float64) (float64, bool) {
			v := t * perTrace
			return v, !math.IsNaN(v) && !math.IsInf(v, 0)
		},
	}
	return estimateUsers(users, count, words, w.Requests, total)
}
