package serve

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/triagectl/triage/serve/store"
	"github.com/triagectl/triage/triage"
)

// backlogStore writes n firing incidents of n services, started an hour
// apart up to 703 days ago, and last checked seen ago: with seen 703 days,
// what a daemon that never heard their resolves left behind; with seen a
// minute, a store after a short restart, every incident due for a
// refresh. It returns the store's path.
func backlogStore(b testing.TB, dir string, n int, seen time.Duration) string {
	b.Helper()
	path := filepath.Join(dir, "backlog.db")
	s, err := store.Open(context.Background(), path, store.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	first := time.Now().Add(-703 * 24 * time.Hour)
	at := time.Now().Add(-seen)
	var ids []string
	for i := 0; i < n; i += 1000 {
		var in []store.AlertIn
		for j := i; j < min(i+1000, n); j++ {
			svc := fmt.Sprintf("svc-%05d", j)
			in = append(in, store.AlertIn{Alert: triage.Alert{Name: "HighErrorRate", Fingerprint: fmt.Sprintf("fp%05d", j),
				StartsAt: first.Add(time.Duration(j) * time.Hour), Labels: map[string]string{"alertname": "HighErrorRate", "service": svc}},
				Firing: true, GroupKey: "g" + svc, Scope: svc, Receiver: "triage"})
		}
		res, err := s.Ingest(context.Background(), in, time.Time{}, at)
		if err != nil {
			b.Fatal(err)
		}
		var results []store.Result
		for _, c := range res.Created {
			ids = append(ids, c.ID)
			results = append(results, store.Result{ID: c.ID, State: store.PrewarmReady, Report: []byte(`{"version":1}`)})
		}
		if err := s.PutResults(context.Background(), results, at.Add(-time.Hour)); err != nil {
			b.Fatal(err)
		}
	}
	if len(ids) != n {
		b.Fatalf("%d incidents written, want %d", len(ids), n)
	}
	return path
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkStartupBacklog starts the daemon (4 workers, backends that
// answer at once) on a store of 10,010 firing incidents and reports how
// long the incident list (what the SSH console reads) takes to answer
// first and at worst, how long until the store settles, the
// investigations run, and the CPU used meanwhile (of one core; the
// list's own reads every 100 ms included). "stale": their alerts were
// last sent 703 days ago, as when resolves were lost; they are not
// refreshed, and expire serve.alert_expiry after the start unless sent
// again (settled: 5 s without an investigation). "due": seen a minute
// ago and checked an hour ago, as after a short restart; every one is
// refreshed, newest first (settled: all refreshed).
//
//	go test -run '^$' -bench StartupBacklog -benchtime 3x ./serve
func BenchmarkStartupBacklog(b *testing.B) {
	const n = 10010
	for _, c := range []struct {
		name string
		seen time.Duration
	}{{"stale", 703 * 24 * time.Hour}, {"due", time.Minute}} {
		b.Run(c.name, func(b *testing.B) {
			orig, err := os.ReadFile(backlogStore(b, b.TempDir(), n, c.seen))
			if err != nil {
				b.Fatal(err)
			}
			var firstList, worstList, settle, cpu time.Duration
			var runs int64
			for i := 0; i < b.N; i++ {
				f, w, d, u, r := startOnBacklog(b, orig, n, c.seen < time.Hour)
				firstList, worstList, settle, cpu, runs = firstList+f, max(worstList, w), settle+d, cpu+u, runs+r
			}
			b.ReportMetric(float64(firstList.Milliseconds())/float64(b.N), "ms-to-list")
			b.ReportMetric(float64(worstList.Milliseconds()), "ms-worst-list")
			b.ReportMetric(settle.Seconds()/float64(b.N), "s-to-settle")
			b.ReportMetric(float64(runs)/float64(b.N), "investigations")
			b.ReportMetric(100*cpu.Seconds()/settle.Seconds(), "%cpu")
		})
	}
}

// startOnBacklog runs one start; see BenchmarkStartupBacklog.
func startOnBacklog(b *testing.B, orig []byte, n int, due bool) (first, worst, settle, cpu time.Duration, runs int64) {
	path := filepath.Join(b.TempDir(), "incidents.db")
	if err := os.WriteFile(path, orig, 0o600); err != nil {
		b.Fatal(err)
	}
	bk := newBackends()
	s, err := New(context.Background(), Config{StorePath: path, Workers: 4, AlertExpiry: 4*time.Hour + 10*time.Minute},
		Deps{Sources: bk.sources(), Options: bk.options()})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	c0, t0 := cpuTime(), time.Now()
	go func() { defer wg.Done(); _ = s.Run(ctx) }()
	lastRuns, quietSince := int64(0), time.Now()
	for {
		q0 := time.Now()
		list, err := s.Incidents(ctx)
		took := time.Since(q0)
		if err != nil {
			b.Fatal(err)
		}
		if first == 0 {
			first = time.Since(t0)
		}
		worst = max(worst, took)
		if due {
			checked := 0
			for _, in := range list {
				if in.PrewarmState == PrewarmReady && in.UpdatedAt.After(t0) {
					checked++
				}
			}
			if checked == n {
				break
			}
		} else if r := bk.runs.Load(); r != lastRuns {
			lastRuns, quietSince = r, time.Now()
		} else if time.Since(quietSince) > 5*time.Second {
			break
		}
		if time.Since(t0) > 5*time.Minute {
			b.Fatalf("not settled after 5m")
		}
		time.Sleep(100 * time.Millisecond)
	}
	settle = time.Since(t0)
	cpu = cpuTime() - c0
	runs = bk.runs.Load()
	cancel()
	wg.Wait()
	s.Close()
	return first, worst, settle, cpu, runs
}
