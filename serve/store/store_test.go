package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/triagectl/triage/triage"
)

var t0 = time.Date(2026, 11, 25, 3, 12, 40, 0, time.UTC)

func open(t *testing.T, path string, o Options) *Store {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "incidents.db")
	}
	s, err := Open(context.Background(), path, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func alert(fp, group, scope string, firing bool, startsAt time.Time) AlertIn {
	return AlertIn{Alert: triage.Alert{Name: "HighErrorRate", Fingerprint: fp, StartsAt: startsAt,
		Labels: map[string]string{"alertname": "HighErrorRate", "service": scope}},
		Firing: firing, GroupKey: group, Scope: scope, Receiver: "triage"}
}

func ingest(t *testing.T, s *Store, alerts ...AlertIn) IngestResult {
	t.Helper()
	res, err := s.Ingest(context.Background(), alerts, time.Time{}, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func list(t *testing.T, s *Store) map[string]Record {
	t.Helper()
	rs, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Record{}
	for _, r := range rs {
		out[r.ID] = r
	}
	return out
}

// The life of an incident across notifications, with every notification
// sent twice (an Alertmanager retry), which must change nothing.
func TestIngestLifecycle(t *testing.T) {
	s := open(t, "", Options{})
	steps := []struct {
		name                         string
		alerts                       []AlertIn
		created, updated, resolved   int
		newN, dup, resolves, orphans int
		incidents, firing            int
	}{
		{"first alert opens an incident", []AlertIn{alert("a", "g1", "checkout", true, t0)}, 1, 0, 0, 1, 0, 0, 0, 1, 1},
		{"second alert joins it", []AlertIn{alert("a", "g1", "checkout", true, t0), alert("b", "g1", "checkout", true, t0)}, 0, 1, 0, 1, 1, 0, 0, 1, 1},
		{"other scope of the group is its own incident", []AlertIn{alert("c", "g1", "payments", true, t0)}, 1, 0, 0, 1, 0, 0, 0, 2, 2},
		{"one of two resolving keeps it firing", []AlertIn{alert("a", "g1", "checkout", false, t0), alert("b", "g1", "checkout", true, t0)}, 0, 0, 0, 0, 1, 1, 0, 2, 2},
		{"the last resolving resolves it", []AlertIn{alert("a", "g1", "checkout", false, t0), alert("b", "g1", "checkout", false, t0)}, 0, 0, 1, 0, 1, 1, 0, 2, 1},
		{"firing again with a new startsAt is a new incident", []AlertIn{alert("a", "g1", "checkout", true, t0.Add(time.Hour))}, 1, 0, 0, 1, 0, 0, 0, 3, 2},
		{"a late retry of the old firing alert changes nothing", []AlertIn{alert("b", "g1", "checkout", true, t0)}, 0, 0, 0, 0, 1, 0, 0, 3, 2},
		{"resolved never seen firing is dropped", []AlertIn{alert("z", "g2", "search", false, t0)}, 0, 0, 0, 0, 0, 0, 1, 3, 2},
	}
	for _, st := range steps {
		for try := range 2 {
			res := ingest(t, s, st.alerts...)
			got := list(t, s)
			firing := 0
			for _, r := range got {
				if r.Firing() {
					firing++
				}
			}
			if len(got) != st.incidents || firing != st.firing {
				t.Fatalf("%s (try %d): %d incidents, %d firing; want %d, %d", st.name, try, len(got), firing, st.incidents, st.firing)
			}
			if try == 1 {
				if len(res.Created)+len(res.Updated)+len(res.Resolved)+res.New+res.Resolves != 0 {
					t.Fatalf("%s: retry changed something: %+v", st.name, res)
				}
				continue
			}
			if len(res.Created) != st.created || len(res.Updated) != st.updated || len(res.Resolved) != st.resolved ||
				res.New != st.newN || res.Duplicate != st.dup || res.Resolves != st.resolves || res.Orphans != st.orphans {
				t.Fatalf("%s: result %+v", st.name, res)
			}
		}
	}
}

func TestResolvedIncidentFields(t *testing.T) {
	s := open(t, "", Options{})
	res := ingest(t, s, alert("a", "g", "checkout", true, t0))
	id := res.Created[0].ID
	if res.Created[0].PrewarmState != PrewarmQueued || res.Created[0].StartedAt != t0 {
		t.Fatalf("created = %+v", res.Created[0])
	}
	end := alert("a", "g", "checkout", false, t0)
	end.EndsAt = t0.Add(30 * time.Second)
	ingest(t, s, end)
	r, _, _, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != StatusResolved || !r.ResolvedAt.Equal(end.EndsAt) || r.FiringCount != 0 || r.AlertCount != 1 {
		t.Fatalf("resolved = %+v", r)
	}
	if _, _, _, err := s.Get(context.Background(), "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
}

func TestDurableAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "incidents.db")
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Ingest(context.Background(), []AlertIn{alert("a", "g", "checkout", true, t0)}, t0.Add(time.Second), t0)
	if err != nil {
		t.Fatal(err)
	}
	id := res.Created[0].ID
	if err := s.PutResults(context.Background(), []Result{{ID: id, State: PrewarmReady, Report: []byte(`{"version":1}`), Bundle: []byte{1, 2, 3}}}, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Ingest(context.Background(), []AlertIn{alert("b", "g", "checkout", true, t0)}, time.Time{}, t0); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
	s = open(t, path, Options{})
	r, report, bundle, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if r.PrewarmState != PrewarmReady || !r.HasReport() || !r.HasBundle() || string(report) != `{"version":1}` || len(bundle) != 3 {
		t.Fatalf("after reopen: %+v %q %v", r, report, bundle)
	}
	if beat, err := s.LastBeat(context.Background()); err != nil || !beat.Equal(t0.Add(time.Second)) {
		t.Fatalf("beat = %v, %v", beat, err)
	}
	if res := ingest(t, s, alert("a", "g", "checkout", true, t0)); res.Duplicate != 1 {
		t.Fatalf("retry after reopen: %+v", res)
	}
}

func TestBeatNeverMovesBack(t *testing.T) {
	s := open(t, "", Options{})
	for _, b := range []time.Time{t0.Add(time.Minute), t0} {
		if _, err := s.Ingest(context.Background(), nil, b, t0); err != nil {
			t.Fatal(err)
		}
	}
	if beat, _ := s.LastBeat(context.Background()); !beat.Equal(t0.Add(time.Minute)) {
		t.Fatalf("beat = %v", beat)
	}
}

func TestSchemaVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "incidents.db")
	s := open(t, path, Options{})
	if v, err := s.Schema(context.Background()); err != nil || v != SchemaVersion {
		t.Fatalf("schema = %d, %v", v, err)
	}
	s.Close()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keySchema, []byte("99")) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = Open(context.Background(), path, Options{})
	if err == nil || !strings.Contains(err.Error(), "newer triage (schema 99)") {
		t.Fatalf("newer schema: %v", err)
	}
}

func TestSecondOpenIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "incidents.db")
	open(t, path, Options{})
	_, err := Open(context.Background(), path, Options{LockTimeout: 50 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "locked by another process") {
		t.Fatalf("second open: %v", err)
	}
}

func TestPrune(t *testing.T) {
	s := open(t, "", Options{})
	old := ingest(t, s, alert("old", "g1", "a", true, t0)).Created[0].ID
	recent := ingest(t, s, alert("new", "g2", "b", true, t0)).Created[0].ID
	firing := ingest(t, s, alert("fire", "g3", "c", true, t0)).Created[0].ID
	o, r := alert("old", "g1", "a", false, t0), alert("new", "g2", "b", false, t0)
	o.EndsAt, r.EndsAt = t0.Add(time.Second), t0.Add(time.Hour)
	ingest(t, s, o, r)
	if err := s.PutResults(context.Background(), []Result{{ID: old, State: PrewarmReady, Report: []byte("{}")}}, t0); err != nil {
		t.Fatal(err)
	}
	n, err := s.Prune(context.Background(), t0.Add(time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("pruned %d, %v", n, err)
	}
	got := list(t, s)
	if _, ok := got[old]; ok || len(got) != 2 || got[recent].ID == "" || got[firing].ID == "" {
		t.Fatalf("after prune: %v", got)
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketBlobs).Stats().KeyN != 0 || tx.Bucket(bucketAlerts).Get([]byte(o.Key())) != nil {
			return fmt.Errorf("pruned incident left data behind")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Concurrent writers share transactions, and every acknowledged write is
// there.
func TestGroupCommit(t *testing.T) {
	var commits, writes atomic.Int64
	s := open(t, "", Options{OnCommit: func(n int, _ time.Duration) { commits.Add(1); writes.Add(int64(n)) }})
	const n = 400
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Ingest(context.Background(), []AlertIn{alert(fmt.Sprint(i), "g", fmt.Sprint(i%20), true, t0)}, time.Time{}, t0); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	rs := list(t, s)
	total := 0
	for _, r := range rs {
		total += r.AlertCount
	}
	if len(rs) != 20 || total != n {
		t.Fatalf("%d incidents holding %d alerts, want 20 holding %d", len(rs), total, n)
	}
	if writes.Load() != n || commits.Load() >= n {
		t.Fatalf("%d writes in %d commits: no batching", writes.Load(), commits.Load())
	}
	t.Logf("%d writes in %d commits", writes.Load(), commits.Load())
}

// A write that fails is reported to its caller alone; the others of its
// batch commit.
func TestFailedWriteSparesItsBatch(t *testing.T) {
	s := open(t, "", Options{})
	boom := errors.New("boom")
	var wg sync.WaitGroup
	errs := make([]error, 50)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.do(context.Background(), func(tx *wtx) error {
				if i%10 == 0 {
					return boom
				}
				return tx.Bucket(bucketMeta).Put([]byte(fmt.Sprint("k", i)), []byte("v"))
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if want := i%10 == 0; errors.Is(err, boom) != want || (!want && err != nil) {
			t.Errorf("write %d: %v", i, err)
		}
	}
	_ = s.db.View(func(tx *bolt.Tx) error {
		for i := range errs {
			if got := tx.Bucket(bucketMeta).Get([]byte(fmt.Sprint("k", i))) != nil; got != (i%10 != 0) {
				t.Errorf("write %d stored = %v", i, got)
			}
		}
		return nil
	})
}

func TestIngestRefusesMissingFingerprint(t *testing.T) {
	s := open(t, "", Options{})
	if _, err := s.Ingest(context.Background(), []AlertIn{alert("", "g", "a", true, t0)}, time.Time{}, t0); err == nil {
		t.Fatal("no error for an alert without fingerprint")
	}
}

// Incidents that share an investigation share its stored report, and the
// report goes with its last incident.
func TestSharedReports(t *testing.T) {
	s := open(t, "", Options{})
	var ids []string
	for i := range 3 {
		ids = append(ids, ingest(t, s, alert(fmt.Sprint(i), fmt.Sprint("g", i), "checkout", true, t0)).Created[0].ID)
	}
	put := func(report string, ids ...string) {
		t.Helper()
		var rs []Result
		for _, id := range ids {
			rs = append(rs, Result{ID: id, State: PrewarmReady, Report: []byte(report)})
		}
		if err := s.PutResults(context.Background(), rs, t0); err != nil {
			t.Fatal(err)
		}
	}
	blobs := func() int {
		n := 0
		_ = s.db.View(func(tx *bolt.Tx) error { n = tx.Bucket(bucketBlobs).Stats().KeyN; return nil })
		return n
	}
	put(`{"v":1}`, ids...)
	if n := blobs(); n != 1 {
		t.Fatalf("%d blobs for one shared report", n)
	}
	put(`{"v":2}`, ids[0])
	if n := blobs(); n != 2 {
		t.Fatalf("%d blobs after one incident refreshed", n)
	}
	put(`{"v":2}`, ids[1:]...)
	if n := blobs(); n != 1 {
		t.Fatalf("%d blobs after all refreshed: the old report was kept", n)
	}
	for i := range 3 {
		ingest(t, s, alert(fmt.Sprint(i), fmt.Sprint("g", i), "checkout", false, t0))
	}
	if n, err := s.Prune(context.Background(), t0.Add(time.Hour)); err != nil || n != 3 {
		t.Fatalf("pruned %d, %v", n, err)
	}
	if n := blobs(); n != 0 {
		t.Fatalf("%d blobs left after every incident was pruned", n)
	}
}
