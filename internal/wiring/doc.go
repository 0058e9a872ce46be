// Package wiring connects the source clients to the engine: it adapts each
// client to the engine's small source interfaces, converting their formats
// (Prometheus model values, Tempo's pdata traces, Loki entries) into the
// engine's own.
package wiring
