package store

import (
	"context"
	"fmt"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// migrations[v] upgrades a store of schema v to v+1, in the same
// transaction that records the new version.
var migrations = map[int]func(tx *bolt.Tx) error{1: migrate1}

// migrate1 gives schema 1's alerts and incidents the times schema 2
// keeps: an alert's last arrival is its incident's last update, the best
// schema 1 knew.
func migrate1(tx *bolt.Tx) error {
	incidents, alerts := tx.Bucket(bucketIncidents), tx.Bucket(bucketAlerts)
	if incidents == nil || alerts == nil {
		return nil
	}
	// Collected first: a bucket is not written while it is iterated.
	type kv struct{ k, v []byte }
	var alertPuts, incidentPuts []kv
	err := alerts.ForEach(func(k, v []byte) error {
		e, err := decodeAlertEntryV1(v)
		if err != nil {
			return fmt.Errorf("alert %q: %w", k, err)
		}
		if r, err := readRecord(tx, e.Incident); err == nil {
			e.SeenAt = r.UpdatedAt
		}
		alertPuts = append(alertPuts, kv{clone(k), e.encode()})
		return nil
	})
	if err != nil {
		return err
	}
	err = incidents.ForEach(func(k, v []byte) error {
		r, err := decodeRecord(v)
		if err != nil {
			return fmt.Errorf("incident %s: %w", k, err)
		}
		if r.SeenAt.IsZero() {
			r.SeenAt = r.UpdatedAt
		}
		b, err := encodeRecord(r)
		incidentPuts = append(incidentPuts, kv{clone(k), b})
		return err
	})
	if err != nil {
		return err
	}
	for _, p := range alertPuts {
		if err := alerts.Put(p.k, p.v); err != nil {
			return err
		}
	}
	for _, p := range incidentPuts {
		if err := incidents.Put(p.k, p.v); err != nil {
			return err
		}
	}
	return nil
}

// backupBeforeMigration copies a store of an older schema next to itself
// (path.schemaN.bak) before it is migrated: the older triage that wrote
// it refuses the migrated file.
func backupBeforeMigration(db *bolt.DB, path string) (string, error) {
	var bak string
	err := db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil || tx.Bucket(bucketIncidents) == nil {
			return nil
		}
		v, err := strconv.Atoi(string(meta.Get(keySchema)))
		if err != nil || v >= SchemaVersion {
			return nil
		}
		bak = fmt.Sprintf("%s.schema%d.bak", path, v)
		return tx.CopyFile(bak, 0o600)
	})
	return bak, err
}

func initSchema(tx *bolt.Tx) error {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return err
	}
	v := 0
	if raw := meta.Get(keySchema); raw != nil {
		if v, err = strconv.Atoi(string(raw)); err != nil {
			return fmt.Errorf("schema version %q is not a number", raw)
		}
	} else if tx.Bucket(bucketIncidents) == nil {
		v = SchemaVersion // a new file starts at the current layout
	}
	if v > SchemaVersion {
		return fmt.Errorf("written by a newer triage (schema %d); this one reads schema %d or older", v, SchemaVersion)
	}
	for ; v < SchemaVersion; v++ {
		m, ok := migrations[v]
		if !ok {
			return fmt.Errorf("no migration from schema %d", v)
		}
		if err := m(tx); err != nil {
			return fmt.Errorf("migrate schema %d: %w", v, err)
		}
	}
	for _, b := range [][]byte{bucketIncidents, bucketAlerts, bucketOpen, bucketBlobs, bucketRefs} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return meta.Put(keySchema, []byte(strconv.Itoa(SchemaVersion)))
}

// Schema returns the schema version recorded in the file.
func (s *Store) Schema(ctx context.Context) (int, error) {
	var v int
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		v, err = strconv.Atoi(string(tx.Bucket(bucketMeta).Get(keySchema)))
		return err
	})
	return v, err
}
