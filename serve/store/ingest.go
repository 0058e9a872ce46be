package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/triagectl/triage/triage"
)

// AlertIn is one alert of a webhook, as the receiver hands it over.
type AlertIn struct {
	Alert  triage.Alert // Fingerprint must be set
	Firing bool
	// EndsAt is when a resolved alert resolved; for a firing one, when it
	// resolves unless sent again, as the sender said (Alertmanager's
	// webhooks leave it zero).
	EndsAt   time.Time
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
	// Counts of the webhook's alerts by outcome. Reopened are expired
	// alerts sent again as firing.
	New, Duplicate, Resolves, Orphans, Reopened int
}

// Alert states, the first byte of an alert entry.
const (
	alertResolved byte = 0
	alertFiring   byte = 1
	// alertExpired is a firing alert that was not sent again within
	// serve.alert_expiry (nor by its endsAt): presumed resolved, and
	// firing again if it is sent again.
	alertExpired byte = 2
)

// alertEntry is the stored state of one alert: its state, when it was last
// received firing, the endsAt its sender gave, and its incident. Schema 2
// encodes it as the state byte, the two times as big-endian Unix
// nanoseconds (0 for none), then the incident id; schema 1 had only the
// state (0 or 1) and the id.
type alertEntry struct {
	Incident string
	State    byte
	SeenAt   time.Time
	EndsAt   time.Time
}

// Firing reports whether the alert fires (not resolved, not expired).
func (e alertEntry) Firing() bool { return e.State == alertFiring }

const alertEntryHeader = 1 + 8 + 8

func (e alertEntry) encode() []byte {
	b := make([]byte, alertEntryHeader, alertEntryHeader+len(e.Incident))
	b[0] = e.State
	binary.BigEndian.PutUint64(b[1:], uint64(unixNano(e.SeenAt)))
	binary.BigEndian.PutUint64(b[9:], uint64(unixNano(e.EndsAt)))
	return append(b, e.Incident...)
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func decodeAlertEntry(b []byte) (alertEntry, error) {
	if len(b) < alertEntryHeader+1 || b[0] > alertExpired {
		return alertEntry{}, fmt.Errorf("alert entry %q is corrupt", b)
	}
	return alertEntry{State: b[0], SeenAt: fromUnixNano(int64(binary.BigEndian.Uint64(b[1:]))),
		EndsAt: fromUnixNano(int64(binary.BigEndian.Uint64(b[9:]))), Incident: string(b[alertEntryHeader:])}, nil
}

// decodeAlertEntryV1 reads schema 1's entry: a flag (1 firing, 0
// resolved) and the incident id.
func decodeAlertEntryV1(b []byte) (alertEntry, error) {
	if len(b) < 2 || b[0] > 1 {
		return alertEntry{}, fmt.Errorf("alert entry %q is corrupt", b)
	}
	return alertEntry{Incident: string(b[1:]), State: b[0]}, nil
}

// decodeAnyAlertEntry reads an entry of either schema, told apart by
// length: incident ids are 12 characters.
func decodeAnyAlertEntry(b []byte) (alertEntry, error) {
	if len(b) == 1+idLen {
		return decodeAlertEntryV1(b)
	}
	return decodeAlertEntry(b)
}

// newerThan reports whether e is a later state of the same alert than old.
func (e alertEntry) newerThan(old alertEntry) bool {
	if !e.SeenAt.Equal(old.SeenAt) {
		return e.SeenAt.After(old.SeenAt)
	}
	// An alert resolves once and never fires again under the same key.
	return old.State != alertResolved && e.State == alertResolved
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
		switch {
		case a.Firing && e.State == alertExpired:
			return refire(tx, a, key, e, now, res)
		case a.Firing:
			res.Duplicate++
			return tx.seen(key, e, a, now)
		case e.State == alertResolved:
			res.Duplicate++
			return nil
		case e.State == alertExpired:
			// The resolve of an alert already presumed resolved: its
			// incident's resolution stands, and the alert is resolved.
			res.Duplicate++
			e.State = alertResolved
			return alerts.Put(key, e.encode())
		}
		res.Resolves++
		e.State = alertResolved
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
		r.UpdatedAt, r.SeenAt = now, now
		if !containsID(res.Updated, r.ID) && !createdHere(res.Created, r.ID) {
			res.Updated = append(res.Updated, r.ID)
		}
		if i := createdIndex(res.Created, r.ID); i >= 0 {
			res.Created[i] = r
		}
	} else {
		r = Record{ID: incidentID(a.GroupKey, a.Scope, string(key)), GroupKey: a.GroupKey, Scope: a.Scope,
			Receiver: a.Receiver, Alert: a.Alert, Status: StatusFiring, StartedAt: a.Alert.StartsAt,
			UpdatedAt: now, SeenAt: now, AlertCount: 1, FiringCount: 1, PrewarmState: PrewarmQueued}
		if r.StartedAt.IsZero() {
			r.StartedAt = now
		}
		if err := open.Put(openKey, []byte(r.ID)); err != nil {
			return err
		}
		res.Created = append(res.Created, r)
	}
	if err := alerts.Put(key, alertEntry{Incident: r.ID, State: alertFiring, SeenAt: now, EndsAt: a.EndsAt}.encode()); err != nil {
		return err
	}
	tx.putRecord(r)
	return nil
}

// seen records that a firing alert was sent again, which keeps it from
// expiring. To keep a retry a no-op, the entry is only rewritten once the
// last arrival is older than the store's resolution.
func (tx *wtx) seen(key []byte, e alertEntry, a AlertIn, now time.Time) error {
	if now.Sub(e.SeenAt) < tx.seenResolution && a.EndsAt.Equal(e.EndsAt) {
		return nil
	}
	e.SeenAt, e.EndsAt = now, a.EndsAt
	if err := tx.Bucket(bucketAlerts).Put(key, e.encode()); err != nil {
		return err
	}
	r, err := tx.getRecord(e.Incident)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if now.After(r.SeenAt) {
		r.SeenAt = now
		tx.putRecord(r)
	}
	return nil
}

// refire takes an expired alert sent again as firing: it was firing all
// along, so it fires again and its incident, resolved by the expiry,
// opens again.
func refire(tx *wtx, a AlertIn, key []byte, e alertEntry, now time.Time, res *IngestResult) error {
	e.State, e.SeenAt, e.EndsAt = alertFiring, now, a.EndsAt
	if err := tx.Bucket(bucketAlerts).Put(key, e.encode()); err != nil {
		return err
	}
	r, err := tx.getRecord(e.Incident)
	if errors.Is(err, ErrNotFound) {
		return nil // pruned meanwhile
	}
	if err != nil {
		return err
	}
	res.Reopened++
	r.FiringCount++
	r.UpdatedAt, r.SeenAt = now, now
	if r.Status == StatusResolved {
		r.Status, r.Expired, r.ResolvedAt = StatusFiring, false, time.Time{}
		openKey := []byte(r.GroupKey + "\x00" + r.Scope)
		if open := tx.Bucket(bucketOpen); open.Get(openKey) == nil {
			if err := open.Put(openKey, []byte(r.ID)); err != nil {
				return err
			}
		}
	}
	if !containsID(res.Updated, r.ID) && !createdHere(res.Created, r.ID) {
		res.Updated = append(res.Updated, r.ID)
	}
	tx.putRecord(r)
	return nil
}

// idLen is the length of an incident id.
const idLen = 12

// incidentID is derived from the incident's first alert, so the same
// notification always names the same incident.
func incidentID(groupKey, scope, alertKey string) string {
	h := sha256.Sum256([]byte(groupKey + "\x00" + scope + "\x00" + alertKey))
	return hex.EncodeToString(h[:idLen/2])
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
