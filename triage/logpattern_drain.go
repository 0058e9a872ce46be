package triage

import (
	"time"

	"github.com/triagectl/triage/triage/drain"
)

// The miner's names, as the engine uses them.
type (
	// MinerOptions tune and bound the client-side template miner.
	MinerOptions = drain.MinerOptions
	// Cluster is one mined pattern.
	Cluster = drain.Cluster
)

// Normalised log levels.
const (
	levelError = drain.LevelError
	levelWarn  = drain.LevelWarn
)

// NormalizeLogLevel maps the spellings of a level to error, warn, info or
// debug, and anything else to "".
func NormalizeLogLevel(s string) string { return drain.NormalizeLevel(s) }

// logLevelOf is a line's normalised level: the one the source gave, else
// one read from the line.
func logLevelOf(l LogLine) string { return drain.LevelOf(l.Level, l.Line) }

// minerLine is l as the miner takes it, its level read.
func minerLine(l LogLine) drain.Line {
	return drain.Line{Time: l.Time, Service: l.Service, Level: logLevelOf(l), Text: l.Line, TraceID: l.TraceID}
}

// earlierTime is the earlier of two times, a zero time being unknown.
func earlierTime(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}
