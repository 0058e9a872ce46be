package triage

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// simFixtureMeta is the first record of a simulator fixture: the windows
// and the ground truth.
type simFixtureMeta struct {
	Start, IncidentAt, End time.Time
	Culprit, CulpritCaller string
	NoiseService           string
	TruthPatterns          []string // the culprit caller's error templates, most frequent first
}

// simFixture is one preset's error and warning lines, split at the fault.
type simFixture struct {
	meta               simFixtureMeta
	incident, baseline []LogLine
}

func loadSimFixture(t testing.TB, name string) simFixture {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "logpattern", "sim-"+name+".jsonl.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var fx simFixture
	for first := true; sc.Scan(); first = false {
		if first {
			if err := json.Unmarshal(sc.Bytes(), &fx.meta); err != nil {
				t.Fatal(err)
			}
			continue
		}
		var l LogLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		if l.Time.Before(fx.meta.IncidentAt) {
			fx.baseline = append(fx.baseline, l)
		} else {
			fx.incident = append(fx.incident, l)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return fx
}

func (fx simFixture) window() Window {
	return Window{Start: fx.meta.IncidentAt, End: fx.meta.End, BaselineStart: fx.meta.Start, BaselineEnd: fx.meta.IncidentAt}
}

// simLogPresets are the simulator presets with a fixture in testdata.
var simLogPresets = []string{"db-region", "cache-tier", "consumer", "noise"}
