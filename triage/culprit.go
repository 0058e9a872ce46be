package triage

import "strings"

// CulpritTrace is the sampled trace that shows the culprit: the first
// failing trace whose error began at (or called) it; matched is false when
// none did and this is merely the first failing trace of the sample.
func CulpritTrace(r *Report) (t *TraceRow, matched bool) {
	if r == nil {
		return nil, false
	}
	return culpritTraceOf(r, culpritName(r))
}

func culpritTraceOf(r *Report, name string) (t *TraceRow, matched bool) {
	for i := range r.Traces {
		t := &r.Traces[i]
		if name != "" && t.Failing && t.ErrorOrigin != nil && (t.ErrorOrigin.Service == name || t.ErrorOrigin.Peer == name) {
			return t, true
		}
	}
	for i := range r.Traces {
		if r.Traces[i].Failing {
			return &r.Traces[i], false
		}
	}
	return nil, false
}

// culpritName is the impact's culprit, else the first culprit-role
// service.
func culpritName(r *Report) string {
	if r.Impact != nil && r.Impact.Culprit != "" {
		return r.Impact.Culprit
	}
	return rankedCulprit(r.Services)
}

// rankedCulprit is the first service ranked culprit.
func rankedCulprit(ss []ServiceRank) string {
	for _, s := range ss {
		if s.Role == RoleCulprit {
			return s.Name
		}
	}
	return ""
}

// CulpritLine names the culprit the way every view shows it: "payments →
// ledger-db (timeout)", the service whose span recorded the error, the
// uninstrumented peer it called, and the error's class; the bare name
// when no sampled trace shows where it began. "" without a culprit.
func CulpritLine(r *Report) string {
	if r == nil {
		return ""
	}
	return culpritLineOf(r, culpritName(r))
}

func culpritLineOf(r *Report, name string) string {
	if name == "" {
		return ""
	}
	t, matched := culpritTraceOf(r, name)
	if !matched || t.ErrorOrigin == nil {
		return name
	}
	o := t.ErrorOrigin
	s := o.Service
	if o.Peer != "" {
		s += " → " + o.Peer
	}
	if c := ErrorClass(o.Message); c != "" {
		s += " (" + c + ")"
	}
	return s
}

// ErrorClass is a status message's class in a word or two (timeout,
// connection refused…), or the message itself when it has none.
func ErrorClass(msg string) string {
	l := strings.ToLower(msg)
	switch {
	case msg == "":
		return ""
	case strings.Contains(l, "timeout"), strings.Contains(l, "timed out"), strings.Contains(l, "deadline"):
		return "timeout"
	case strings.Contains(l, "connection refused"):
		return "connection refused"
	case strings.Contains(l, "connection reset"):
		return "connection reset"
	case strings.Contains(l, "out of memory"), strings.Contains(l, "oom"):
		return "out of memory"
	case strings.Contains(l, "unavailable"):
		return "unavailable"
	}
	return msg
}
