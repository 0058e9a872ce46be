package store

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func ingestAt(t *testing.T, s *Store, now time.Time, alerts ...AlertIn) IngestResult {
	t.Helper()
	res, err := s.Ingest(context.Background(), alerts, time.Time{}, now)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func expire(t *testing.T, s *Store, now, since time.Time, expiry time.Duration) ([]string, int) {
	t.Helper()
	ids, n, err := s.Expire(context.Background(), now, since, expiry)
	if err != nil {
		t.Fatal(err)
	}
	return ids, n
}

// An alert that Alertmanager stops sending expires; the incident resolves
// when its last firing alert resolves or expires; an expired alert sent
// again fires again and opens its incident again.
func TestExpiry(t *testing.T) {
	s := open(t, "", Options{SeenResolution: time.Second})
	const expiry = time.Hour
	a, b := alert("a", "g", "checkout", true, t0), alert("b", "g", "checkout", true, t0)
	id := ingestAt(t, s, t0, a, b).Created[0].ID
	since := t0.Add(-time.Hour)

	// Sent again before the expiry: nothing expires.
	ingestAt(t, s, t0.Add(50*time.Minute), a)
	if ids, n := expire(t, s, t0.Add(70*time.Minute), since, expiry); len(ids) != 0 || n != 1 {
		t.Fatalf("expired %v, %d alerts; want b alone", ids, n)
	}
	if r := list(t, s)[id]; !r.Firing() || r.FiringCount != 1 || !r.SeenAt.Equal(t0.Add(50*time.Minute)) {
		t.Fatalf("after b expired: %+v", r)
	}
	// a stops too: the incident resolves, as expired.
	ids, n := expire(t, s, t0.Add(111*time.Minute), since, expiry)
	if len(ids) != 1 || ids[0] != id || n != 1 {
		t.Fatalf("expired %v, %d", ids, n)
	}
	r := list(t, s)[id]
	if r.Firing() || !r.Expired || !r.ResolvedAt.Equal(t0.Add(111*time.Minute)) {
		t.Fatalf("expired incident: %+v", r)
	}
	// A new alert of the group opens a new incident: the old one is shut.
	// b is sent again: it was firing all along, and its incident reopens.
	res := ingestAt(t, s, t0.Add(2*time.Hour), b)
	if res.Reopened != 1 || len(res.Updated) != 1 || res.Updated[0] != id || len(res.Created) != 0 {
		t.Fatalf("re-sent expired alert: %+v", res)
	}
	r = list(t, s)[id]
	if !r.Firing() || r.Expired || !r.ResolvedAt.IsZero() || r.FiringCount != 1 {
		t.Fatalf("reopened: %+v", r)
	}
	// Its resolve resolves it for good, not as expired.
	b.Firing = false
	ingestAt(t, s, t0.Add(3*time.Hour), b)
	if r = list(t, s)[id]; r.Firing() || r.Expired {
		t.Fatalf("resolved: %+v", r)
	}
	// The late resolve of an expired alert changes nothing.
	a.Firing = false
	if res := ingestAt(t, s, t0.Add(4*time.Hour), a); res.Duplicate != 1 || len(res.Resolved) != 0 {
		t.Fatalf("late resolve: %+v", res)
	}
}

// Nothing expires within the expiry of the daemon's start: what it could
// not receive while it was down does not count against the alerts.
func TestExpiryCountsFromStart(t *testing.T) {
	s := open(t, "", Options{})
	ingestAt(t, s, t0, alert("a", "g", "svc", true, t0))
	now := t0.Add(703 * 24 * time.Hour)
	if ids, n := expire(t, s, now, now.Add(-59*time.Minute), time.Hour); len(ids)+n != 0 {
		t.Fatalf("expired %v, %d within an hour of the start", ids, n)
	}
	if ids, _ := expire(t, s, now, now.Add(-61*time.Minute), time.Hour); len(ids) != 1 {
		t.Fatalf("expired %v an hour after the start", ids)
	}
}

// A sender's endsAt keeps a firing alert until it passes, even past the
// expiry.
func TestExpiryKeepsEndsAt(t *testing.T) {
	s := open(t, "", Options{})
	a := alert("a", "g", "svc", true, t0)
	a.EndsAt = t0.Add(3 * time.Hour)
	ingestAt(t, s, t0, a)
	since := t0.Add(-time.Hour)
	if ids, _ := expire(t, s, t0.Add(2*time.Hour), since, time.Hour); len(ids) != 0 {
		t.Fatalf("expired before its endsAt: %v", ids)
	}
	if ids, _ := expire(t, s, t0.Add(3*time.Hour+time.Second), since, time.Hour); len(ids) != 1 {
		t.Fatalf("not expired after its endsAt: %v", ids)
	}
}

// A retry within the resolution writes nothing; later, the arrival is
// recorded.
func TestSeenResolution(t *testing.T) {
	s := open(t, "", Options{SeenResolution: time.Minute})
	a := alert("a", "g", "svc", true, t0)
	id := ingestAt(t, s, t0, a).Created[0].ID
	ingestAt(t, s, t0.Add(30*time.Second), a)
	if r := list(t, s)[id]; !r.SeenAt.Equal(t0) {
		t.Fatalf("seen %v after a retry", r.SeenAt)
	}
	ingestAt(t, s, t0.Add(2*time.Minute), a)
	if r := list(t, s)[id]; !r.SeenAt.Equal(t0.Add(2 * time.Minute)) {
		t.Fatalf("seen %v after a repeat", r.SeenAt)
	}
}

// writeSchema1 writes a store as schema 1 laid it out: one firing
// incident with a firing and a resolved alert.
func writeSchema1(t *testing.T, path string) Record {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r := Record{ID: "0123456789ab", GroupKey: "g", Scope: "svc", Status: StatusFiring, StartedAt: t0, UpdatedAt: t0.Add(time.Minute),
		AlertCount: 2, FiringCount: 1, PrewarmState: PrewarmReady}
	r.Alert.Name, r.Alert.Fingerprint, r.Alert.StartsAt = "A", "a", t0
	raw, _ := encodeRecord(r)
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketMeta, bucketIncidents, bucketAlerts, bucketOpen, bucketBlobs, bucketRefs} {
			if _, err := tx.CreateBucket(b); err != nil {
				return err
			}
		}
		for _, kv := range []struct {
			b    []byte
			k, v []byte
		}{
			{bucketMeta, keySchema, []byte("1")},
			{bucketIncidents, []byte(r.ID), raw},
			{bucketOpen, []byte("g\x00svc"), []byte(r.ID)},
			{bucketAlerts, []byte(alert("a", "g", "svc", true, t0).Key()), append([]byte{1}, r.ID...)},
			{bucketAlerts, []byte(alert("b", "g", "svc", true, t0).Key()), append([]byte{0}, r.ID...)},
		} {
			if err := tx.Bucket(kv.b).Put(kv.k, kv.v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A schema 1 store opens migrated, after a backup the older triage can
// still read: its alerts' last arrival is their incident's last update.
func TestMigrateSchema1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "incidents.db")
	r := writeSchema1(t, path)

	s := open(t, path, Options{})
	if v, _ := s.Schema(context.Background()); v != SchemaVersion {
		t.Fatalf("schema %d after open", v)
	}
	got := list(t, s)[r.ID]
	if !got.SeenAt.Equal(r.UpdatedAt) || got.FiringCount != 1 {
		t.Fatalf("migrated incident: %+v", got)
	}
	if res := ingestAt(t, s, t0.Add(time.Hour), alert("a", "g", "svc", true, t0)); res.Duplicate != 1 {
		t.Fatalf("retry after migration: %+v", res)
	}
	if ids, n := expire(t, s, t0.Add(10*time.Hour), t0, time.Hour); len(ids) != 1 || n != 1 {
		t.Fatalf("expiry after migration: %v, %d", ids, n)
	}
	if err := s.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	bak := path + ".schema1.bak"
	db, err := bolt.Open(bak, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	defer db.Close()
	_ = db.View(func(tx *bolt.Tx) error {
		if v, _ := strconv.Atoi(string(tx.Bucket(bucketMeta).Get(keySchema))); v != 1 || tx.Bucket(bucketIncidents).Get([]byte(r.ID)) == nil {
			t.Errorf("backup is not the schema 1 store")
		}
		return nil
	})
	if _, err := os.Stat(bak); err != nil {
		t.Fatal(err)
	}
}

// A schema 1 store is salvaged into schema 2, its alerts converted.
func TestSalvageSchema1(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "old.db"), filepath.Join(dir, "new.db")
	r := writeSchema1(t, src)
	rep, err := Salvage(context.Background(), src, dst)
	if err != nil || rep.Incidents != 1 || rep.Alerts != 2 {
		t.Fatalf("salvage: %+v, %v", rep, err)
	}
	s := open(t, dst, Options{})
	if got := list(t, s)[r.ID]; !got.SeenAt.Equal(r.UpdatedAt) || !got.Firing() {
		t.Fatalf("salvaged: %+v", got)
	}
	if res := ingestAt(t, s, t0.Add(time.Hour), alert("a", "g", "svc", true, t0), alert("b", "g", "svc", true, t0)); res.Duplicate != 2 {
		t.Fatalf("alerts after salvage: %+v", res)
	}
	if err := s.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// A record damaged in place, which no page check sees, is left out of the
// list instead of failing it, and counted; the check names it.
func TestUnreadableRecordLeftOut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "incidents.db")
	s := open(t, path, Options{})
	ingestAt(t, s, t0, alert("a", "g1", "a", true, t0))
	bad := ingestAt(t, s, t0, alert("b", "g2", "b", true, t0)).Created[0].ID
	s.Close()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketIncidents).Put([]byte(bad), []byte("{not json")) })
	db.Close()
	s = open(t, path, Options{})
	if got := list(t, s); len(got) != 1 || s.Unreadable() != 1 {
		t.Fatalf("list %v, %d unreadable", got, s.Unreadable())
	}
	if n, err := s.Prune(context.Background(), t0.Add(time.Hour)); err != nil || n != 0 {
		t.Fatalf("prune: %d, %v", n, err)
	}
	s.Close()
	rep, err := CheckFile(context.Background(), path)
	if err != nil || rep.OK() || !strings.Contains(strings.Join(rep.Problems, "\n"), "incident "+bad) {
		t.Fatalf("check: %+v, %v", rep, err)
	}
}
