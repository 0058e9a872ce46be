// Package triage is the investigation engine: from an alert it queries the
// sources in parallel, analyses the failing traces' fan-out, and ranks the
// services and users. It is pure: no terminal and no HTTP of its own.
package triage
