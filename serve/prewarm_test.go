package serve

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/triagectl/triage/sources/alertmanager"
	"github.com/triagectl/triage/triage"
)

func incident(t testing.TB, s *Service, id string) Incident {
	t.Helper()
	inc, err := s.Incident(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

func createdIDs(t testing.TB, body string) []string {
	t.Helper()
	var r WebhookResponse
	if err := jsonUnmarshal(body, &r); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return r.Created
}

// A new firing incident is investigated at once, its report stored, and
// subscribers told at each step.
func TestPrewarmStoresTheReport(t *testing.T) {
	b := newBackends()
	d := start(t, Config{}, Deps{Sources: b.sources(), Options: b.options()})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := d.Subscribe(ctx)

	code, body := post(t, d.url, payload("firing", "g", firing("HighErrorRate", "checkout", "f1", time.Now().Add(-time.Minute))), nil)
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	id := createdIDs(t, body)[0]
	var kinds []EventKind
	for e := range events {
		if e.IncidentID != id {
			t.Fatalf("event for %q, want %q", e.IncidentID, id)
		}
		kinds = append(kinds, e.Kind)
		if e.Kind == EventPrewarmReady || e.Kind == EventPrewarmFailed {
			break
		}
	}
	if fmt.Sprint(kinds) != fmt.Sprint([]EventKind{EventIncidentNew, EventPrewarmStarted, EventPrewarmReady}) {
		t.Fatalf("events %v", kinds)
	}
	inc := incident(t, d.Service, id)
	if inc.PrewarmState != PrewarmReady || inc.Report == nil || inc.ReportAt.IsZero() || inc.Bundle != nil {
		t.Fatalf("incident %+v", inc)
	}
	if inc.Report.Alert.Scope.Service != "checkout" || len(inc.Report.Sources) != 3 {
		t.Fatalf("report alert %+v sources %+v", inc.Report.Alert, inc.Report.Sources)
	}
	if b.runs.Load() != 1 {
		t.Fatalf("%d investigations for one incident", b.runs.Load())
	}
}

// An alert storm: 2,000 alerts of 100 alert names across 20 services,
// grouped by alert name and service as Alertmanager does, arriving in
// concurrent webhooks. Each of the 2,000 incidents gets its report from
// one of at most 20 investigations, and no backend sees more concurrent
// requests than its limit.
func TestAlertStormCoalescesByScope(t *testing.T) {
	for _, held := range []bool{true, false} {
		t.Run(fmt.Sprintf("backends held %v", held), func(t *testing.T) {
			b := newBackends()
			if held {
				b.gate = make(chan struct{})
			}
			limit := map[string]int{triage.SourcePrometheus: 3, triage.SourceLoki: 2, triage.SourceTempo: 3}
			d := start(t, Config{Workers: 8, SourceLimits: limit, Coalesce: time.Minute, Refresh: time.Hour},
				Deps{Sources: b.sources(), Options: b.options()})
			ids := storm(t, d.url, 100, 20)
			if held {
				close(b.gate)
			}
			eventually(t, 60*time.Second, "every incident's report", func() bool {
				incs, err := d.Incidents(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				for _, inc := range incs {
					if inc.PrewarmState != PrewarmReady {
						return false
					}
				}
				return len(incs) == len(ids)
			})
			if n := b.runs.Load(); n > 20 || n < 1 {
				t.Fatalf("%d investigations for a storm over 20 scopes", n)
			}
			for src, l := range limit {
				if p := b.peakOf(src); p > l {
					t.Errorf("%s saw %d concurrent requests, limit %d", src, p, l)
				}
			}
			inc := incident(t, d.Service, ids[len(ids)-1])
			if inc.Report == nil {
				t.Fatal("last incident of the storm has no report")
			}
			t.Logf("%d incidents, %d investigations, peak concurrency %v", len(ids), b.runs.Load(), b.peak)
		})
	}
}

// storm posts names×scopes firing alerts, one webhook per group, from 16
// concurrent senders, and returns the incidents created.
func storm(t testing.TB, url string, names, scopes int) []string {
	t.Helper()
	type group struct{ name, scope string }
	groups := make(chan group)
	go func() {
		for n := range names {
			for s := range scopes {
				groups <- group{fmt.Sprintf("Alert%03d", n), fmt.Sprintf("svc-%02d", s)}
			}
		}
		close(groups)
	}()
	var (
		mu  sync.Mutex
		ids []string
		wg  sync.WaitGroup
	)
	startsAt := time.Now().Add(-time.Minute)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for g := range groups {
				key := fmt.Sprintf(`{}:{alertname=%q, service=%q}`, g.name, g.scope)
				code, body := post(t, url, payload("firing", key, firing(g.name, g.scope, g.name+"/"+g.scope, startsAt)), nil)
				if code != 200 {
					t.Errorf("%d %s", code, body)
					return
				}
				mu.Lock()
				ids = append(ids, createdIDs(t, body)...)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(ids) != names*scopes {
		t.Fatalf("%d incidents created, want %d", len(ids), names*scopes)
	}
	return ids
}

// A firing incident is investigated again every refresh interval; once
// resolved it is not.
func TestRefreshWhileFiring(t *testing.T) {
	b := newBackends()
	d := start(t, Config{Refresh: 40 * time.Millisecond}, Deps{Sources: b.sources(), Options: b.options()})
	startsAt := time.Now().Add(-time.Minute)
	_, body := post(t, d.url, payload("firing", "g", firing("HighErrorRate", "checkout", "f1", startsAt)), nil)
	id := createdIDs(t, body)[0]
	eventually(t, 20*time.Second, "three investigations", func() bool { return b.runs.Load() >= 3 })
	first := incident(t, d.Service, id).ReportAt

	resolved := firing("HighErrorRate", "checkout", "f1", startsAt)
	resolved.Status = alertmanager.StatusResolved
	post(t, d.url, payload("resolved", "g", resolved), nil)
	eventually(t, 20*time.Second, "the last refresh to finish", func() bool { return !d.pool.holds(id) })
	d.schedule(context.Background())
	if d.pool.holds(id) {
		t.Fatal("a resolved incident was scheduled for a refresh")
	}
	inc := incident(t, d.Service, id)
	if inc.Status != StatusResolved || inc.Report == nil || inc.ReportAt.Before(first) {
		t.Fatalf("resolved incident %+v", inc)
	}
}

// With a recorder, the investigation goes through it and the bundle is
// stored with the report.
func TestRecorderStoresTheBundle(t *testing.T) {
	b := newBackends()
	var calls atomic.Int64
	rec := func(ctx context.Context, a triage.Alert, limit func(triage.Sources) triage.Sources) (*triage.Report, []byte, error) {
		calls.Add(1)
		r, err := triage.NewInvestigation(limit(b.sources()), b.options(), triage.REDQueries{}).Run(ctx, a, nil)
		return r, []byte("bundle of " + a.Fingerprint), err
	}
	d := start(t, Config{}, Deps{Recorder: rec})
	_, body := post(t, d.url, payload("firing", "g", firing("HighErrorRate", "checkout", "f1", time.Now())), nil)
	id := createdIDs(t, body)[0]
	eventually(t, 10*time.Second, "the recorded pre-warm", func() bool {
		return incident(t, d.Service, id).PrewarmState == PrewarmReady
	})
	inc := incident(t, d.Service, id)
	if string(inc.Bundle) != "bundle of f1" || inc.Report == nil || calls.Load() != 1 {
		t.Fatalf("bundle %q report %v calls %d", inc.Bundle, inc.Report != nil, calls.Load())
	}
}

// A failed investigation is stored as failed with its reason, and its
// report (every source failed) is kept for the console to show why.
func TestFailedPrewarm(t *testing.T) {
	b := newBackends()
	b.fail = errors.New("connection refused")
	d := start(t, Config{}, Deps{Sources: b.sources(), Options: b.options()})
	_, body := post(t, d.url, payload("firing", "g", firing("HighErrorRate", "checkout", "f1", time.Now())), nil)
	id := createdIDs(t, body)[0]
	eventually(t, 10*time.Second, "the failed pre-warm", func() bool {
		return incident(t, d.Service, id).PrewarmState == PrewarmFailed
	})
	inc := incident(t, d.Service, id)
	if inc.PrewarmError == "" || inc.Report == nil || inc.Report.Sources[0].State != triage.StateFailed {
		t.Fatalf("failed incident %+v", inc)
	}
}

// Incidents stored by a daemon that stopped before investigating them are
// investigated when the next one starts.
func TestRestartResumesPrewarms(t *testing.T) {
	path := filepath.Join(t.TempDir(), "incidents.db")
	s, err := New(context.Background(), Config{StorePath: path}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	wh, _ := alertmanager.ParseWebhook(payload("firing", "g", firing("HighErrorRate", "checkout", "f1", time.Now())))
	in, _ := s.convert(wh, time.Now())
	res, err := s.store.Ingest(context.Background(), in, time.Time{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s.Close() // never ran: the incident is left queued

	b := newBackends()
	d := start(t, Config{StorePath: path}, Deps{Sources: b.sources(), Options: b.options()})
	id := res.Created[0].ID
	eventually(t, 10*time.Second, "the resumed pre-warm", func() bool {
		return incident(t, d.Service, id).PrewarmState == PrewarmReady
	})
}

func TestIncidentsOrder(t *testing.T) {
	d := start(t, Config{}, Deps{})
	now := time.Now()
	for i, svc := range []string{"a", "b", "c"} {
		post(t, d.url, payload("firing", "g", firing("E", svc, svc, now.Add(time.Duration(i)*time.Minute))), nil)
	}
	resolved := firing("E", "c", "c", now.Add(2*time.Minute))
	resolved.Status = alertmanager.StatusResolved
	post(t, d.url, payload("resolved", "g", resolved), nil)
	incs, err := d.Incidents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, inc := range incs {
		got = append(got, inc.Scope+":"+string(inc.Status))
	}
	if fmt.Sprint(got) != "[b:firing a:firing c:resolved]" {
		t.Fatalf("order %v", got)
	}
	if _, err := d.Incident(context.Background(), "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
}

func TestSubscribeEndsWithItsContext(t *testing.T) {
	d := start(t, Config{}, Deps{})
	ctx, cancel := context.WithCancel(context.Background())
	ch := d.Subscribe(ctx)
	cancel()
	for range ch { // drains, then ends when the feed closes
	}
}
