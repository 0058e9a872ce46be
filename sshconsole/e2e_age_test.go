package sshconsole

import (
	"context"
	"testing"
	"time"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui/console"
	"github.com/triagectl/triage/tui/tuitest"
)

// A verdict pre-warmed at the first webhook and opened over SSH once it is
// older than the daemon's max_verdict_age shows its age, then refreshes in
// place: the old figures stand while the new investigation runs, and the
// page says when the figures it shows were computed.
func TestSSHStaleVerdictRefreshes(t *testing.T) {
	d := startDaemon(t, Config{})
	id := seed(t, d)
	// The SSH server is built again, its sessions' clock three minutes on
	// from the pre-warm: the stored report is then older than a minute.
	if err := d.stop(); err != nil {
		t.Fatal(err)
	}
	later := tuitest.Now.Add(3 * time.Minute)
	// The refresh's metrics wait until the stale frame has been seen: on a
	// loaded machine the fixture's answers could otherwise replace it
	// before the terminal is read.
	release := make(chan struct{})
	d.console = func(o *console.Options) {
		o.Now = func() time.Time { return later }
		o.Data.Options.Now = o.Now // the refresh investigates "now"
		o.MaxVerdictAge = time.Minute
		o.Data.Sources.Metrics = gatedMetrics{o.Data.Sources.Metrics, release}
	}
	d.listen(Config{}, "127.0.0.1:0")

	tm := newTerm(t, 120, 40, d.sshArgs(d.key, []string{"-tt"}, id)...)
	// The pre-warmed report opens with its age: computed at 03:18:40,
	// three minutes before the session's now.
	scr := tm.waitFor(15*time.Second, "as of 03:18:40 · 3m ago")
	close(release)
	if !containsAll(scr, "culprit: payments → ledger-db") {
		t.Errorf("the stale verdict's figures are not shown while it refreshes:\n%s", scr)
	}
	// It refreshes in place: once done, the figures are the session's
	// now, and no longer say they are three minutes old.
	tm.waitUntil(30*time.Second, "the refreshed verdict", func(s string) bool {
		return containsAll(s, "culprit: payments → ledger-db", "Incidents › ") && !containsAll(s, "3m ago") && !containsAll(s, "refreshing…")
	})
}

// gatedMetrics answers once release is closed.
type gatedMetrics struct {
	triage.MetricsSource
	release chan struct{}
}

func (g gatedMetrics) wait(ctx context.Context) error {
	select {
	case <-g.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g gatedMetrics) Query(ctx context.Context, q string, at time.Time) ([]triage.Sample, error) {
	if err := g.wait(ctx); err != nil {
		return nil, err
	}
	return g.MetricsSource.Query(ctx, q, at)
}

func (g gatedMetrics) QueryRange(ctx context.Context, q string, start, end time.Time, step time.Duration) ([]triage.Series, error) {
	if err := g.wait(ctx); err != nil {
		return nil, err
	}
	return g.MetricsSource.QueryRange(ctx, q, start, end, step)
}

func (g gatedMetrics) Exemplars(ctx context.Context, q string, start, end time.Time) ([]triage.Exemplar, error) {
	if err := g.wait(ctx); err != nil {
		return nil, err
	}
	return g.MetricsSource.Exemplars(ctx, q, start, end)
}
