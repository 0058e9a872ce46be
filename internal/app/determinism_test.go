package app

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/triagectl/triage/internal/demo"
	"github.com/triagectl/triage/internal/simsource"
	"github.com/triagectl/triage/sources/bundle"
	"github.com/triagectl/triage/triage"
)

// reportJSON is the report without what measures the replay rather than
// the answers: latencies, and the "slow" state derived from them alone.
func reportJSON(t *testing.T, r *triage.Report) string {
	t.Helper()
	c := r.Clone()
	for i := range c.Sources {
		c.Sources[i].LatencyMS = 0
		if c.Sources[i].State == triage.StateSlow {
			c.Sources[i].State = triage.StateOK
		}
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The same answers give the same report, whatever order and pace they
// arrive in: the demo bundle replayed 20 times, each call delayed by a
// random time, gives one report.
func TestSameAnswersSameReport(t *testing.T) {
	b, err := demo.Open()
	if err != nil {
		t.Fatal(err)
	}
	var want string
	for run := range 20 {
		rp, err := ReplaySources(b, bundle.ReplayOptions{})
		if err != nil {
			t.Fatal(err)
		}
		src := simsource.Jitter(rp.Sources, uint64(run), 60*time.Millisecond)
		r, err := triage.NewInvestigation(src, rp.Options, rp.RED).Run(context.Background(), rp.Alert, nil)
		if err != nil {
			t.Fatal(err)
		}
		if missed := rp.Replay.Missed(); len(missed) > 0 {
			t.Fatalf("run %d asked %d requests the bundle does not hold, first %s", run, len(missed), missed[0])
		}
		got := reportJSON(t, r)
		if run == 0 {
			want = got
			continue
		}
		if got != want {
			t.Fatalf("run %d gave another report:\n%s\nwant\n%s", run, got, want)
		}
	}
}
