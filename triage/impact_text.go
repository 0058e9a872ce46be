package triage

import (
	"fmt"
	"strings"
	"time"
)

// ImpactUsers says who is affected, as every view words it: the estimate
// of the incident's kind with its interval and sample, then the users of
// the other kind seen, e.g. "≈48 users failed (est. 47–50; 47 seen in 200
// sampled traces) · 62 more slow". Users reached through a message queue
// are named with the producers' entry and the hop ("failed via storefront
// POST /checkout → order-events → notifier"), their sample counted in
// messages; users credited by whole batches are said to be batch-level,
// an upper bound. why gives the reason of an unknown figure by its JSON
// name.
func ImpactUsers(imp *Impact, why func(field string) string) string {
	verb, other := "failed", "slow"
	seenMain, seenOther := imp.UsersFailed, imp.UsersSlow
	if imp.Kind == KindLatency {
		verb, other = "slow", "failed"
		seenMain, seenOther = imp.UsersSeen, imp.UsersFailed
	}
	sample := ""
	if imp.UsersSeen != nil && imp.SampledTraces != nil {
		sample = fmt.Sprintf("%d seen in %d sampled traces", *imp.UsersSeen, *imp.SampledTraces)
		if imp.SampledMessages != nil {
			sample = fmt.Sprintf("%d seen in %d sampled messages", *imp.UsersSeen, *imp.SampledMessages)
		}
	}
	// Users reached through a message queue are the users of the entry
	// that produced the messages: name it, not the consumer.
	if via := hopEntry(imp.EntryPoints); via != "" {
		verb += " via " + via
	}
	var s string
	switch e := imp.UsersEstimate; {
	case e != nil && e.Value == 0 && e.High == 0:
		s = "no users " + verb + " (" + e.Basis + ")"
	case e != nil:
		s = fmt.Sprintf("≈%s users %s (est. %s–%s", Thousands(e.Value), verb, Thousands(e.Low), Thousands(e.High))
		if sample != "" {
			s += "; " + sample
		}
		s += ")"
	case seenMain != nil:
		s = fmt.Sprintf("%d users %s in the sample (%s; no estimate: %s)", *seenMain, verb, sample, why("users_estimate"))
	default:
		return "users unknown — " + why("users_seen")
	}
	if n := imp.UsersBatchLevel; n != nil && *n > 0 {
		s += fmt.Sprintf(" · %d batch-level, an upper bound", *n)
	}
	if seenOther != nil && *seenOther > 0 {
		s += fmt.Sprintf(" · %d more %s", *seenOther, other)
	}
	return s
}

// hopEntry is the first entry reached through a messaging hop, with how
// many more there are; "" when none is.
func hopEntry(entries []string) string {
	first, more := "", 0
	for _, e := range entries {
		if !strings.Contains(e, " → ") {
			continue
		}
		if first == "" {
			first = e
		} else {
			more++
		}
	}
	if more > 0 {
		first += fmt.Sprintf(" and %d more", more)
	}
	return first
}

// ImpactRatio is the share of requests hit, over which requests and
// window: slower than the threshold in a latency incident, failing
// otherwise. "" when unknown.
func ImpactRatio(imp *Impact) string {
	basis := ""
	if imp.RatioBasis != "" {
		basis = " (" + imp.RatioBasis + ")"
	}
	if imp.Kind == KindLatency {
		if imp.SlowRatio == nil {
			return ""
		}
		return fmt.Sprintf("%.1f%% slower than %s%s", 100**imp.SlowRatio,
			time.Duration(imp.SlowThresholdMS*float64(time.Millisecond)).String(), basis)
	}
	if imp.FailingRatio == nil {
		return ""
	}
	return fmt.Sprintf("%.1f%% failing%s", 100**imp.FailingRatio, basis)
}

// figureSources are the sources each impact figure rests on; SourceTempo
// stands for the trace source, whichever backend it is.
var figureSources = map[string][]string{
	"users_estimate": {SourceTempo, SourcePrometheus},
	"users_seen":     {SourceTempo},
	"users_failed":   {SourceTempo},
	"users_slow":     {SourceTempo},
	"sampled_traces": {SourceTempo},
	"failing_ratio":  {SourcePrometheus},
	"slow_ratio":     {SourcePrometheus},
}

// WhyUnknown is why an impact figure (by its JSON name) is unknown: the
// reason the report gives, else the failure of a source it rests on;
// "unknown" when neither says more.
func WhyUnknown(r *Report, field string) string {
	if r == nil {
		return "unknown"
	}
	if r.Impact != nil && r.Impact.Unknown[field] != "" {
		return r.Impact.Unknown[field]
	}
	for _, src := range figureSources[field] {
		if src == SourceTempo {
			src = TraceSource(r)
		}
		if why := unknownReason(r, src); why != "" {
			return why
		}
	}
	return "unknown"
}
