//go:build race

package sim

// raceEnabled relaxes wall-clock bounds: the race detector slows generation.
const raceEnabled = true
