package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/triagectl/triage/serve/store"
	"github.com/triagectl/triage/triage"
)

// The real daemon with a short serve.alert_expiry: an incident whose
// alerts Alertmanager stops sending resolves as expired; one whose alerts
// keep coming stays firing; one that resolves normally is not expired;
// an expired alert sent again opens its incident again. Webhooks are
// gzip'd, as Grafana and proxies send them.
func TestDaemonExpiresAlertsNotSentAgain(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the triage binary")
	}
	dir := t.TempDir()
	bin := buildTriage(t, dir)
	storePath := filepath.Join(dir, "incidents.db")
	const expiry = 3 * time.Second
	cfg := writeServeConfig(t, dir, fmt.Sprintf("serve:\n  webhook_listen: %s\n  store: %s\n  alert_expiry: %s\n  refresh_interval: 10s\n  coalesce_window: 5s",
		freeAddr(t), storePath, expiry))
	c := startServe(t, bin, dir, cfg)
	gz := http.Header{"Content-Encoding": {"gzip"}}
	send := func(body []byte) WebhookResponse {
		t.Helper()
		code, out := post(t, c.url, gzipped(t, body), gz)
		var r WebhookResponse
		if code != 200 || json.Unmarshal([]byte(out), &r) != nil {
			t.Fatalf("webhook: %d %s", code, out)
		}
		return r
	}
	at := time.Now().Add(-time.Minute).Truncate(time.Second)
	kept, lost1, lost2 := firing("HighErrorRate", "checkout", "kept", at), firing("HighErrorRate", "search", "lost-1", at), firing("HighErrorRate", "search", "lost-2", at)
	done := firing("DiskFull", "ledger", "done", at)
	keptID := send(payload("firing", "g-checkout", kept)).Created[0]
	lostID := send(payload("firing", "g-search", lost1, lost2)).Created[0]
	doneID := send(payload("firing", "g-ledger", done)).Created[0]
	done.Status, done.EndsAt = "resolved", at.Add(30*time.Second)
	if r := send(payload("resolved", "g-ledger", done)); len(r.Resolved) != 1 {
		t.Fatalf("resolve: %+v", r)
	}

	// Alertmanager repeats the checkout alert, never the search ones.
	t0 := time.Now()
	for time.Since(t0) < 3*expiry {
		if r := send(payload("firing", "g-checkout", kept)); r.Duplicate != 1 {
			t.Fatalf("repeat: %+v", r)
		}
		time.Sleep(expiry / 6)
	}
	page := scrape(t, c.url)
	if got := metricValue(page, "triage_incidents_expired_total"); got != 1 {
		t.Fatalf("triage_incidents_expired_total = %v, want 1\n%s", got, grep(page, "expired"))
	}
	if got := metricValue(page, "triage_alerts_expired_total"); got != 2 {
		t.Fatalf("triage_alerts_expired_total = %v, want 2", got)
	}
	// One of the search alerts comes back: it was firing all along.
	if r := send(payload("firing", "g-search", lost1)); r.Duplicate != 0 || r.New != 0 || len(r.Created) != 0 {
		t.Fatalf("re-sent expired alert: %+v", r)
	}
	page = scrape(t, c.url)
	if got := metricValue(page, `triage_webhook_alerts_total{outcome="reopened"}`); got != 1 {
		t.Fatalf("reopened = %v\n%s", got, grep(page, "webhook_alerts"))
	}
	c.stop(t)

	st, err := store.Open(context.Background(), storePath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recs, err := st.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]store.Record{}
	for _, r := range recs {
		by[r.ID] = r
	}
	if r := by[keptID]; !r.Firing() || r.Expired {
		t.Errorf("the repeated incident: %+v", r)
	}
	if r := by[lostID]; !r.Firing() || r.Expired || r.FiringCount != 1 {
		t.Errorf("the reopened incident: %+v", r)
	}
	if r := by[doneID]; r.Firing() || r.Expired {
		t.Errorf("the resolved incident: %+v", r)
	}
}

// The real daemon started on a store of firing incidents all due for a
// refresh: it investigates them newest first, with never more than twice
// serve.workers queued, the rest waiting in the backlog.
func TestDaemonStartupNewestFirstBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the triage binary")
	}
	dir := t.TempDir()
	bin := buildTriage(t, dir)
	storePath := filepath.Join(dir, "incidents.db")
	const n, workers = 400, 2
	started := dueStore(t, storePath, n)
	cfg := writeServeConfig(t, dir, fmt.Sprintf("serve:\n  webhook_listen: %s\n  store: %s\n  workers: %d", freeAddr(t), storePath, workers))
	c := startServe(t, bin, dir, cfg)
	maxQueued, sawBacklog := 0.0, false
	eventually(t, 120*time.Second, "the backlog investigated", func() bool {
		page := scrape(t, c.url)
		maxQueued = max(maxQueued, metricValue(page, "triage_prewarm_queued"))
		sawBacklog = sawBacklog || metricValue(page, "triage_prewarm_backlog") > 0
		ok := metricValue(page, `triage_investigations_total{result="ok"}`) + metricValue(page, `triage_investigations_total{result="failed"}`)
		return ok >= n
	})
	c.stop(t)
	if maxQueued > 2*workers {
		t.Errorf("%v investigations queued at once, want at most %d", maxQueued, 2*workers)
	}
	if !sawBacklog {
		t.Error("no backlog seen: the pool took everything at once")
	}

	st, err := store.Open(context.Background(), storePath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recs, err := st.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].CheckedAt.Before(recs[j].CheckedAt) })
	// Newest first: an incident is investigated after at most as many
	// newer ones as can be queued or running beside it.
	worst := 0
	for i, r := range recs {
		if !r.CheckedAt.After(started) {
			t.Fatalf("incident %s not investigated", r.ID)
		}
		newerLater := 0
		for _, o := range recs[i+1:] {
			if o.StartedAt.After(r.StartedAt) {
				newerLater++
			}
		}
		worst = max(worst, newerLater)
	}
	if limit := 3 * workers; worst > limit {
		t.Errorf("an incident was investigated before %d newer ones, want at most %d", worst, limit)
	}
	t.Logf("%d incidents; at most %v queued; worst order inversion %d", n, maxQueued, worst)
}

// dueStore writes n firing incidents, one a minute apart, seen a minute
// ago and last checked an hour ago: all due for a refresh.
func dueStore(t *testing.T, path string, n int) time.Time {
	t.Helper()
	st, err := store.Open(context.Background(), path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	// Written in an order that is neither oldest nor newest first.
	var in []store.AlertIn
	for i := range n {
		j := (i * 7919) % n
		svc := fmt.Sprintf("svc-%04d", j)
		in = append(in, store.AlertIn{Alert: triage.Alert{Name: "HighErrorRate", Fingerprint: fmt.Sprintf("fp%04d", j),
			StartsAt: now.Add(-time.Duration(n-j) * time.Minute), Labels: map[string]string{"alertname": "HighErrorRate", "service": svc}},
			Firing: true, GroupKey: "g" + svc, Scope: svc, Receiver: "triage"})
	}
	res, err := st.Ingest(context.Background(), in, time.Time{}, now.Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var results []store.Result
	for _, c := range res.Created {
		results = append(results, store.Result{ID: c.ID, State: store.PrewarmReady, Report: []byte(`{"version":1}`)})
	}
	if err := st.PutResults(context.Background(), results, now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	return now
}
