package tui

import "github.com/triagectl/triage/triage"

// Nav builds the drill-down pages. The pages live in their own packages
// and reach each other only through here, so none imports another; a nil
// entry means that drill-down is not available in this program.
type Nav struct {
	// Verdict opens an incident: rep, when not nil, is a finished report
	// (pre-warmed or replayed) and no investigation runs.
	Verdict func(alert triage.Alert, rep *triage.Report) PageFunc
	// Service is one service of an incident.
	Service func(in IncidentRef, service string) PageFunc
	// Traces lists an incident's sampled traces, filtered.
	Traces func(in IncidentRef, f TraceFilter) PageFunc
	// Trace is one trace's waterfall.
	Trace func(in IncidentRef, traceID string) PageFunc
	// Logs are one trace's log lines across services, positioned at spanID
	// when it is set. tr, when not nil, is the already fetched trace (its
	// services and time range narrow the query).
	Logs func(in IncidentRef, traceID, spanID string, tr *triage.Trace) PageFunc
	// Users ranks an incident's affected users.
	Users func(in IncidentRef) PageFunc
	// PatternLines are one log pattern's lines across the incident window,
	// each with its trace one key away.
	PatternLines func(in IncidentRef, p triage.LogPattern) PageFunc
	// Compare sets a trace beside a healthy one of its route.
	Compare func(in IncidentRef, traceID string) PageFunc
}

// IncidentRef is what a drill-down page knows of its incident.
type IncidentRef struct {
	Alert  triage.Alert
	Report *triage.Report
}

// TraceFilter narrows the traces page.
type TraceFilter struct {
	Service string // traces whose error path or root is this service
	User    string // traces of this user
	Failing bool   // failing traces only (else failing and slow)
}
