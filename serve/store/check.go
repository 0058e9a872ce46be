package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// CheckReport is what CheckFile found.
type CheckReport struct {
	Schema              int
	Firing, Resolved    int
	Alerts, Blobs       int
	Bytes               int64
	Problems            []string // empty when the store is sound
	PageDamage          bool     // a problem is in the file's pages: salvage it
	LockedByAnother     bool
	CheckedWithBboltToo bool
}

// OK reports whether no problem was found.
func (r CheckReport) OK() bool { return len(r.Problems) == 0 }

// CheckFile checks a store that is not open: every page as bbolt lays it
// out, then, when the pages hold, bbolt's own check and the store's
// records (each incident decodes, every alert names a stored incident,
// every report and bundle is there and hashes to its name, reference
// counts match). It only reads the file.
func CheckFile(ctx context.Context, path string) (CheckReport, error) {
	var rep CheckReport
	f, err := os.Open(path)
	if err != nil {
		return rep, err
	}
	defer f.Close()
	if err := lockFile(f, false, time.Second); err != nil {
		if errors.Is(err, errLocked) {
			rep.LockedByAnother = true
			return rep, fmt.Errorf("store %s is in use by another process (a running triage serve?): stop it, or check a copy", path)
		}
		return rep, err
	}
	pf, err := readPageFile(f, path)
	if st, serr := f.Stat(); serr == nil {
		rep.Bytes = st.Size()
	}
	if err != nil {
		var de *DamageError
		if errors.As(err, &de) {
			rep.Problems, rep.PageDamage = []string{de.Damage.String()}, true
			return rep, nil
		}
		return rep, err
	}
	if pf.size == 0 {
		rep.Problems = []string{"the file is empty"}
		return rep, nil
	}
	// Every page problem, not only the first.
	for _, d := range pf.damages(false, true) {
		rep.Problems = append(rep.Problems, d.String())
	}
	if len(rep.Problems) > 0 {
		rep.PageDamage = true
		return rep, nil
	}
	err = guard(path, func() error {
		db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second,
			OpenFile: func(string, int, os.FileMode) (*os.File, error) { return os.Open(path) }})
		if err != nil {
			return err
		}
		defer db.Close()
		return db.View(func(tx *bolt.Tx) error {
			for err := range tx.Check() {
				rep.Problems = append(rep.Problems, err.Error())
				rep.PageDamage = true
			}
			rep.CheckedWithBboltToo = true
			if !rep.PageDamage {
				checkRecords(ctx, tx, &rep)
			}
			return ctx.Err()
		})
	})
	var de *DamageError
	if errors.As(err, &de) {
		rep.Problems, rep.PageDamage = append(rep.Problems, de.Damage.String()), true
		return rep, nil
	}
	return rep, err
}

// checkRecords checks the store's own invariants.
func checkRecords(ctx context.Context, tx *bolt.Tx, rep *CheckReport) {
	add := func(format string, args ...any) {
		if len(rep.Problems) < 100 {
			rep.Problems = append(rep.Problems, fmt.Sprintf(format, args...))
		}
	}
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		add("no meta bucket: not a triage store")
		return
	}
	v, err := strconv.Atoi(string(meta.Get(keySchema)))
	if err != nil {
		add("schema version %q is not a number", meta.Get(keySchema))
		return
	}
	rep.Schema = v
	if v > SchemaVersion {
		add("written by a newer triage (schema %d); this one reads schema %d or older", v, SchemaVersion)
		return
	}
	for _, b := range [][]byte{bucketIncidents, bucketAlerts, bucketOpen, bucketBlobs, bucketRefs} {
		if tx.Bucket(b) == nil {
			add("bucket %s is missing", b)
			return
		}
	}
	recs := map[string]Record{}
	refs := map[string]uint64{}
	_ = tx.Bucket(bucketIncidents).ForEach(func(k, v []byte) error {
		r, err := decodeRecord(v)
		if err != nil {
			add("incident %s: %v", k, err)
			return nil
		}
		if r.ID != string(k) {
			add("incident %s is stored under %s", r.ID, k)
		}
		recs[r.ID] = r
		if r.Firing() {
			rep.Firing++
		} else {
			rep.Resolved++
		}
		for _, h := range []string{r.ReportHash, r.BundleHash} {
			if h != "" {
				refs[h]++
			}
		}
		return ctx.Err()
	})
	decode := decodeAlertEntry
	if v == 1 {
		decode = decodeAlertEntryV1 // migrated when triage serve opens it
	}
	_ = tx.Bucket(bucketAlerts).ForEach(func(k, v []byte) error {
		rep.Alerts++
		e, err := decode(v)
		if err != nil {
			add("alert %q: %v", k, err)
			return nil
		}
		if _, ok := recs[e.Incident]; !ok {
			add("alert %q names incident %s, which is not stored", k, e.Incident)
		}
		return ctx.Err()
	})
	_ = tx.Bucket(bucketOpen).ForEach(func(k, v []byte) error {
		if r, ok := recs[string(v)]; !ok || !r.Firing() {
			add("the open incident of group %q is %s, which is not a stored firing incident", k, v)
		}
		return nil
	})
	_ = tx.Bucket(bucketBlobs).ForEach(func(k, v []byte) error {
		rep.Blobs++
		sum := sha256.Sum256(v)
		if hex.EncodeToString(sum[:]) != string(k) {
			add("blob %s does not hash to its name", k)
		}
		if refs[string(k)] == 0 {
			add("blob %s is stored but no incident uses it", k)
		}
		return ctx.Err()
	})
	for h, n := range refs {
		if tx.Bucket(bucketBlobs).Get([]byte(h)) == nil {
			add("report or bundle %s is used by %d incidents but not stored", h, n)
		}
		if got := refCount(tx.Bucket(bucketRefs), h); got != n {
			add("report or bundle %s has %d references recorded, %d in use", h, got, n)
		}
	}
}
