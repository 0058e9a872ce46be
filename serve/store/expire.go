package store

import (
	"context"
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"
)

// expireBatch bounds one expiry transaction.
const expireBatch = 1000

// Expire resolves the firing alerts that were not sent again within
// expiry of their last arrival, and whose endsAt, when their sender gave
// one, has passed: Alertmanager repeats a firing alert's notification, so
// one that stopped coming was resolved and its resolve notification lost.
// No alert expires before since+expiry (since is when the daemon started:
// what it could not receive while it was down does not count). An
// incident whose last firing alert expires is resolved and marked
// Expired. Expire returns the incidents it resolved and how many alerts
// expired.
func (s *Store) Expire(ctx context.Context, now, since time.Time, expiry time.Duration) ([]string, int, error) {
	cutoff := now.Add(-expiry)
	if expiry <= 0 || !since.Before(cutoff) {
		return nil, 0, nil
	}
	due := func(e alertEntry) bool {
		return e.State == alertFiring && e.SeenAt.Before(cutoff) && !e.EndsAt.After(now)
	}
	var keys [][]byte
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAlerts).ForEach(func(k, v []byte) error {
			if e, err := decodeAlertEntry(v); err == nil && due(e) {
				keys = append(keys, clone(k))
			}
			return ctx.Err()
		})
	})
	if err != nil || len(keys) == 0 {
		return nil, 0, err
	}
	var resolved []string
	expired := 0
	for start := 0; start < len(keys); start += expireBatch {
		batch := keys[start:min(start+expireBatch, len(keys))]
		var got []string
		n := 0
		err := s.do(ctx, func(tx *wtx) error {
			got, n = got[:0], 0
			alerts, open := tx.Bucket(bucketAlerts), tx.Bucket(bucketOpen)
			for _, k := range batch {
				raw := alerts.Get(k)
				if raw == nil {
					continue
				}
				e, err := decodeAlertEntry(raw)
				if err != nil || !due(e) { // sent again meanwhile
					continue
				}
				e.State = alertExpired
				if err := alerts.Put(k, e.encode()); err != nil {
					return err
				}
				n++
				r, err := tx.getRecord(e.Incident)
				if errors.Is(err, ErrNotFound) {
					continue
				}
				if err != nil {
					return err
				}
				r.FiringCount--
				if r.FiringCount <= 0 && r.Status == StatusFiring {
					r.FiringCount, r.Status, r.Expired, r.ResolvedAt, r.UpdatedAt = 0, StatusResolved, true, now, now
					openKey := []byte(r.GroupKey + "\x00" + r.Scope)
					if id := open.Get(openKey); id != nil && string(id) == r.ID {
						if err := open.Delete(openKey); err != nil {
							return err
						}
					}
					got = append(got, r.ID)
				}
				tx.putRecord(r)
			}
			return nil
		})
		if err != nil {
			return resolved, expired, err
		}
		resolved, expired = append(resolved, got...), expired+n
	}
	return resolved, expired, nil
}
