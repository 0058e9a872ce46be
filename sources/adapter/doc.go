// Package adapter turns the source clients into the engine's sources: each
// client behind the engine's small interfaces, their formats (Prometheus
// model values, pdata traces, Loki entries, Alertmanager alerts) converted
// into the engine's own.
package adapter
