package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/triagectl/triage/triage"
)

// AlertIn is one alert of a webhook, as the receiver hands it over.
type AlertIn struct {
	Alert    triage.Alert // Fingerprint must be set
	Firing   bool
	EndsAt   time.Time // when it resolved; zero while firing
	GroupKey string
	Scope    string
	Receiver string
}

// Key is the alert's identity for deduplication: Alertmanager keeps the
// fingerprint across notifications and starts a new startsAt when the
// alert fires again after resolving.
func (a AlertIn) Key() string {
	return a.Alert.Fingerprint + "\x00" + a.Alert.StartsAt.UTC().Format(time.RFC3339Nano)
}

// IngestResult says what one webhook changed.
type IngestResult struct {
	Created  []Record // incidents opened by this webhook
	Updated  []string // firing incidents that gained alerts
	Resolved []string // incidents whose last firing alert resolved
	// Counts of the webhook's alerts by outcome.
	New, Duplicate, Resolves, Orphans int
}

// alertEntry is the stored state of one alert, encoded as one flag byte
// (1 firing, 0 resolved) followed by the incident id.
type alertEntry struct {
	Incident string
	Firing   bool
}

func (e alertEntry) encode() []byte {
	b := make([]byte, 1, 1+len(e.Incident))
	if e.Firing {
		b[0] = 1
	}
	return append(b, e.Incident...)
}

// newerThan reports whether e is a later state of the same alert than old:
// an alert resolves once and never fires again under the same key.
func (e alertEntry) newerThan(old alertEntry) bool { return old.Firing && !e.Firing }

func decodeAlertEntry(b []byte) (alertEntry, error) {
	if len(b) < 2 || b[0] > 1 {
		return alertEntry{}, fmt.Errorf("alert entry %q is corrupt", b)
	}
	return alertEntry{Incident: string(b[1:]), Firing: b[0] == 1}, nil
}

// Ingest stores a webhook's alerts and, when beat is not zero, the
// Watchdog's arrival, in one durable transaction. A firing alert seen
// before (same fingerprint and startsAt) changes nothing, so a retried
// webhook is a no-op; a resolved alert resolves its incident once the
// incident has no firing alert left. A resolved alert never seen firing
// is counted as an orphan and dropped.
func (s *Store) Ingest(ctx context.Context, alerts []AlertIn, beat, now time.Time) (IngestResult, error) {
	for i, a := range alerts {
		if a.Alert.Fingerprint == "" {
			return IngestResult{}, fmt.Errorf("alerts[%d] has no fingerprint", i)
		}
	}
	alerts = append([]AlertIn(nil), alerts...) // the write may outlive a cancelled ctx
	var res IngestResult
	err := s.do(ctx, func(tx *wtx) error {
		res = IngestResult{}
		if !beat.IsZero() {
			if err := putBeat(tx, beat); err != nil {
				return err
			}
		}
		for _, a := range alerts {
			if err := ingestOne(tx, a, now, &res); err != nil {
				return err
			}
		}
		return nil
	})
	return res, err
}

func putBeat(tx *wtx, beat time.Time) error {
	meta := tx.Bucket(bucketMeta)
	if raw := meta.Get(keyWatchdog); raw != nil {
		var prev time.Time
		// A retried, older webhook must not move the beat back.
		if prev.UnmarshalText(raw) == nil && !beat.After(prev) {
			return nil
		}
	}
	b, err := beat.UTC().MarshalText()
	if err != nil {
		return err
	}
	return meta.Put(keyWatchdog, b)
}

func ingestOne(tx *wtx, a AlertIn, now time.Time, res *IngestResult) error {
	alerts, open := tx.Bucket(bucketAlerts), tx.Bucket(bucketOpen)
	key := []byte(a.Key())
	openKey := []byte(a.GroupKey + "\x00" + a.Scope)

	if raw := alerts.Get(key); raw != nil {
		e, err := decodeAlertEntry(raw)
		if err != nil {
			return err
		}
		if a.Firing || !e.Firing {
			res.Duplicate++
			return nil
		}
		res.Resolves++
		e.Firing = false
		if err := alerts.Put(key, e.encode()); err != nil {
			return err
		}
		r, err := tx.getRecord(e.Incident)
		if errors.Is(err, ErrNotFound) {
			return nil // pruned meanwhile
		}
		if err != nil {
			return err
		}
		r.FiringCount--
		r.UpdatedAt = now
		if r.FiringCount <= 0 && r.Status == StatusFiring {
			r.FiringCount, r.Status = 0, StatusResolved
			r.ResolvedAt = a.EndsAt
			if r.ResolvedAt.IsZero() || r.ResolvedAt.After(now) {
				r.ResolvedAt = now
			}
			if id := open.Get(openKey); id != nil && string(id) == r.ID {
				if err := open.Delete(openKey); err != nil {
					return err
				}
			}
			res.Resolved = append(res.Resolved, r.ID)
		}
		tx.putRecord(r)
		return nil
	}

	if !a.Firing {
		res.Orphans++
		return nil
	}
	res.New++
	var r Record
	if id := open.Get(openKey); id != nil {
		var err error
		if r, err = tx.getRecord(string(id)); err != nil {
			return err
		}
		r.AlertCount++
		r.FiringCount++
		r.UpdatedAt = now
		if !containsID(res.Updated, r.ID) && !createdHere(res.Created, r.ID) {
			res.Updated = append(res.Updated, r.ID)
		}
		if i := createdIndex(res.Created, r.ID); i >= 0 {
			res.Created[i] = r
		}
	} else {
		r = Record{ID: incidentID(a.GroupKey, a.Scope, string(key)), GroupKey: a.GroupKey, Scope: a.Scope,
			Receiver: a.Receiver, Alert: a.Alert, Status: StatusFiring, StartedAt: a.Alert.StartsAt,
			UpdatedAt: now, AlertCount: 1, FiringCount: 1, PrewarmState: PrewarmQueued}
		if r.StartedAt.IsZero() {
			r.StartedAt = now
		}
		if err := open.Put(openKey, []byte(r.ID)); err != nil {
			return err
		}
		res.Created = append(res.Created, r)
	}
	if err := alerts.Put(key, alertEntry{Incident: r.ID, Firing: true}.encode()); err != nil {
		return err
	}
	tx.putRecord(r)
	return nil
}

// incidentID is derived from the incident's first alert, so the same
// notification always names the same incident.
func incidentID(groupKey, scope, alertKey string) string {
	h := sha256.Sum256([]byte(groupKey + "\x00" + scope + "\x00" + alertKey))
	return hex.EncodeToString(h[:6])
}

func containsID(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func createdIndex(rs []Record, id string) int {
	for i, r := range rs {
		if r.ID == id {
			return i
		}
	}
	return -1
}

func createdHere(rs []Record, id string) bool { return createdIndex(rs, id) >= 0 }
