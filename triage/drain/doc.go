// Package drain mines log lines into patterns, Drain-style: a fixed-depth
// prefix tree finds the candidate templates and the most similar one takes
// the line, its differing words becoming placeholders. It is bounded in
// memory and deterministic, and knows nothing of the investigation.
package drain
