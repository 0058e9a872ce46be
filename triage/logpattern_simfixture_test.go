//go:build simfixtures

package triage

import (
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/triagectl/triage/internal/sim"
)

// TestWriteSimFixtures regenerates testdata/logpattern/sim-*.jsonl.gz from
// the simulator's presets:
//
//	go test -tags simfixtures -run TestWriteSimFixtures ./triage/
func TestWriteSimFixtures(t *testing.T) {
	now := time.Date(2026, 3, 14, 3, 20, 0, 0, time.UTC)
	for _, p := range sim.Presets() {
		inc, err := sim.Generate(p.Scenario, now)
		if err != nil {
			t.Fatal(err)
		}
		sc := p.Scenario
		if sc.Window == 0 {
			sc.Window = 15 * time.Minute
		}
		if sc.IncidentAfter == 0 {
			sc.IncidentAfter = 5 * time.Minute
		}
		gt := inc.Truth()
		meta := simFixtureMeta{
			Start: now.Add(-sc.Window), IncidentAt: now.Add(-sc.Window + sc.IncidentAfter), End: now,
			Culprit: gt.Culprit, CulpritCaller: gt.CulpritCaller, NoiseService: sc.NoiseService,
			TruthPatterns: gt.LogPatterns,
		}
		path := filepath.Join("testdata", "logpattern", "sim-"+p.Name+".jsonl.gz")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		zw := gzip.NewWriter(f)
		enc := json.NewEncoder(zw)
		if err := enc.Encode(meta); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, l := range inc.Logs() {
			if l.Level != "error" && l.Level != "warn" {
				continue
			}
			n++
			if err := enc.Encode(LogLine{Time: l.Time, Service: l.Service, Level: l.Level, Line: l.Line, TraceID: l.TraceID, SpanID: l.SpanID}); err != nil {
				t.Fatal(err)
			}
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d error and warning lines, truth %q", path, n, gt.LogPatterns)
	}
}
