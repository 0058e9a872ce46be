package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/triagectl/triage/triage"
)

// Incident statuses and pre-warm states, as stored.
const (
	StatusFiring   = "firing"
	StatusResolved = "resolved"

	PrewarmQueued  = "queued"
	PrewarmRunning = "running"
	PrewarmReady   = "ready"
	PrewarmFailed  = "failed"
)

// ErrNotFound is returned for an unknown incident id.
var ErrNotFound = errors.New("incident not found")

// Record is an incident without its report and bundle.
type Record struct {
	ID           string
	GroupKey     string
	Scope        string
	Receiver     string
	Alert        triage.Alert
	Status       string
	StartedAt    time.Time
	UpdatedAt    time.Time
	ResolvedAt   time.Time
	AlertCount   int // distinct alerts (fingerprint plus startsAt)
	FiringCount  int // of those, the ones not resolved yet
	PrewarmState string
	PrewarmError string
	ReportAt     time.Time // when the current report was stored
	// CheckedAt is when the last investigation ended, with or without a
	// report; refreshes are scheduled from it.
	CheckedAt  time.Time
	ReportHash string // "" without a report
	BundleHash string // "" without a bundle
	// SeenAt is when one of its alerts last arrived firing, first or sent
	// again.
	SeenAt time.Time
	// Expired is set on an incident resolved because its alerts were not
	// sent again in time, rather than by a resolve notification.
	Expired bool
}

// Firing reports whether the incident still fires.
func (r Record) Firing() bool { return r.Status == StatusFiring }

// HasReport reports whether a report is stored.
func (r Record) HasReport() bool { return r.ReportHash != "" }

// HasBundle reports whether a bundle is stored.
func (r Record) HasBundle() bool { return r.BundleHash != "" }

// wireRecord is the stored JSON of a Record, its names fixed by the
// schema rather than by Go field names.
type wireRecord struct {
	ID           string    `json:"id"`
	GroupKey     string    `json:"group_key"`
	Scope        string    `json:"scope"`
	Receiver     string    `json:"receiver,omitempty"`
	Alert        wireAlert `json:"alert"`
	Status       string    `json:"status"`
	StartedAt    time.Time `json:"started_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	ResolvedAt   time.Time `json:"resolved_at,omitzero"`
	AlertCount   int       `json:"alert_count"`
	FiringCount  int       `json:"firing_count"`
	PrewarmState string    `json:"prewarm_state"`
	PrewarmError string    `json:"prewarm_error,omitempty"`
	ReportAt     time.Time `json:"report_at,omitzero"`
	CheckedAt    time.Time `json:"checked_at,omitzero"`
	ReportHash   string    `json:"report,omitempty"`
	BundleHash   string    `json:"bundle,omitempty"`
	SeenAt       time.Time `json:"seen_at,omitzero"`  // schema 2
	Expired      bool      `json:"expired,omitempty"` // schema 2
}

type wireAlert struct {
	Name        string            `json:"name"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations,omitempty"`
	StartsAt    time.Time         `json:"starts_at"`
	Fingerprint string            `json:"fingerprint"`
	Expr        string            `json:"expr,omitempty"`
}

func encodeRecord(r Record) ([]byte, error) {
	a := r.Alert
	return json.Marshal(wireRecord{ID: r.ID, GroupKey: r.GroupKey, Scope: r.Scope, Receiver: r.Receiver,
		Alert: wireAlert{Name: a.Name, Labels: a.Labels, Annotations: a.Annotations, StartsAt: a.StartsAt,
			Fingerprint: a.Fingerprint, Expr: a.Expr},
		Status: r.Status, StartedAt: r.StartedAt, UpdatedAt: r.UpdatedAt, ResolvedAt: r.ResolvedAt,
		AlertCount: r.AlertCount, FiringCount: r.FiringCount, PrewarmState: r.PrewarmState,
		PrewarmError: r.PrewarmError, ReportAt: r.ReportAt, CheckedAt: r.CheckedAt, ReportHash: r.ReportHash,
		BundleHash: r.BundleHash, SeenAt: r.SeenAt, Expired: r.Expired})
}

func decodeRecord(b []byte) (Record, error) {
	var w wireRecord
	if err := json.Unmarshal(b, &w); err != nil {
		return Record{}, fmt.Errorf("incident record: %w", err)
	}
	a := w.Alert
	return Record{ID: w.ID, GroupKey: w.GroupKey, Scope: w.Scope, Receiver: w.Receiver,
		Alert: triage.Alert{Name: a.Name, Labels: a.Labels, Annotations: a.Annotations, StartsAt: a.StartsAt,
			Fingerprint: a.Fingerprint, Expr: a.Expr},
		Status: w.Status, StartedAt: w.StartedAt, UpdatedAt: w.UpdatedAt, ResolvedAt: w.ResolvedAt,
		AlertCount: w.AlertCount, FiringCount: w.FiringCount, PrewarmState: w.PrewarmState,
		PrewarmError: w.PrewarmError, ReportAt: w.ReportAt, CheckedAt: w.CheckedAt, ReportHash: w.ReportHash,
		BundleHash: w.BundleHash, SeenAt: w.SeenAt, Expired: w.Expired}, nil
}

func readRecord(tx *bolt.Tx, id string) (Record, error) {
	b := tx.Bucket(bucketIncidents).Get([]byte(id))
	if b == nil {
		return Record{}, ErrNotFound
	}
	return decodeRecord(b)
}

// wtx is a write transaction shared by a batch of writes. Incident records
// are decoded once and encoded once per transaction however many of the
// batch's alerts touch them: a storm's webhooks mostly join a few
// incidents.
type wtx struct {
	*bolt.Tx
	recs  map[string]Record
	dirty map[string]bool
	// seenResolution is how much later a re-sent alert must arrive for
	// its arrival to be written (Options.SeenResolution).
	seenResolution time.Duration
}

func newWtx(tx *bolt.Tx, seenResolution time.Duration) *wtx {
	return &wtx{Tx: tx, recs: map[string]Record{}, dirty: map[string]bool{}, seenResolution: seenResolution}
}

func (tx *wtx) getRecord(id string) (Record, error) {
	if r, ok := tx.recs[id]; ok {
		return r, nil
	}
	r, err := readRecord(tx.Tx, id)
	if err != nil {
		return r, err
	}
	tx.recs[id] = r
	return r, nil
}

func (tx *wtx) putRecord(r Record) {
	tx.recs[r.ID] = r
	tx.dirty[r.ID] = true
}

func (tx *wtx) deleteRecord(id string) error {
	delete(tx.recs, id)
	delete(tx.dirty, id)
	return tx.Bucket(bucketIncidents).Delete([]byte(id))
}

// flush writes the changed records, before the transaction commits.
func (tx *wtx) flush() error {
	b := tx.Bucket(bucketIncidents)
	for id := range tx.dirty {
		raw, err := encodeRecord(tx.recs[id])
		if err != nil {
			return err
		}
		if err := b.Put([]byte(id), raw); err != nil {
			return err
		}
	}
	clear(tx.dirty)
	return nil
}

// List returns every incident, in no particular order. A record that does
// not decode (damaged in place, which no page check sees) is left out
// rather than failing the list: Unreadable counts them, and triage store
// check names them.
func (s *Store) List(ctx context.Context) ([]Record, error) {
	var out []Record
	bad := int64(0)
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketIncidents).ForEach(func(_, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			r, err := decodeRecord(v)
			if err != nil {
				bad++
				return nil
			}
			out = append(out, r)
			return nil
		})
	})
	if err == nil {
		s.unreadable.Store(bad)
	}
	return out, err
}

// Unreadable is how many incident records the last List left out because
// they did not decode.
func (s *Store) Unreadable() int64 { return s.unreadable.Load() }

// Get returns one incident with copies of its report JSON and bundle (nil
// when absent), or ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (Record, []byte, []byte, error) {
	var (
		r              Record
		report, bundle []byte
	)
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		if r, err = readRecord(tx, id); err != nil {
			return err
		}
		// Values are only valid inside the transaction: copy them out.
		report, bundle = getBlob(tx, r.ReportHash), getBlob(tx, r.BundleHash)
		return nil
	})
	return r, report, bundle, err
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

// LastBeat returns the Watchdog's last recorded arrival; zero when none.
func (s *Store) LastBeat(ctx context.Context) (time.Time, error) {
	var t time.Time
	err := s.view(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketMeta).Get(keyWatchdog)
		if raw == nil {
			return nil
		}
		return t.UnmarshalText(raw)
	})
	return t, err
}

// SetPrewarm records the pre-warm state of incidents (queued or running);
// unknown ids are skipped.
func (s *Store) SetPrewarm(ctx context.Context, ids []string, state string, now time.Time) error {
	ids = append([]string(nil), ids...) // the write may outlive a cancelled ctx
	return s.do(ctx, func(tx *wtx) error {
		for _, id := range ids {
			r, err := tx.getRecord(id)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			r.PrewarmState = state
			tx.putRecord(r)
		}
		return nil
	})
}

// Result is the outcome of one investigation for one incident.
type Result struct {
	ID     string
	State  string // PrewarmReady or PrewarmFailed
	Error  string
	Report []byte // report JSON; nil keeps the previous one
	Bundle []byte // nil keeps the previous one
}

// PutResults stores investigation results in one transaction; results for
// incidents that no longer exist (pruned) are dropped.
func (s *Store) PutResults(ctx context.Context, results []Result, now time.Time) error {
	results = append([]Result(nil), results...) // the write may outlive a cancelled ctx
	return s.do(ctx, func(tx *wtx) error {
		for _, res := range results {
			r, err := tx.getRecord(res.ID)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			r.PrewarmState, r.PrewarmError = res.State, res.Error
			if res.Report != nil {
				if r.ReportHash, err = replaceBlob(tx, r.ReportHash, res.Report); err != nil {
					return err
				}
				r.ReportAt = now
			}
			if res.Bundle != nil {
				if r.BundleHash, err = replaceBlob(tx, r.BundleHash, res.Bundle); err != nil {
					return err
				}
			}
			r.UpdatedAt, r.CheckedAt = now, now
			tx.putRecord(r)
		}
		return nil
	})
}

// pruneBatch bounds one retention transaction, so pruning never holds the
// writer for long.
const pruneBatch = 500

// Prune deletes resolved incidents that resolved before cutoff, with their
// alerts, report and bundle, and returns how many it deleted. Firing
// incidents are kept however old.
func (s *Store) Prune(ctx context.Context, cutoff time.Time) (int, error) {
	total := 0
	for {
		n := 0
		err := s.do(ctx, func(tx *wtx) error {
			n = 0
			ids := map[string]bool{}
			err := tx.Bucket(bucketIncidents).ForEach(func(k, v []byte) error {
				if len(ids) >= pruneBatch {
					return nil
				}
				r, err := decodeRecord(v)
				if err != nil {
					return nil // left for triage store check to name
				}
				if r.Status == StatusResolved && r.ResolvedAt.Before(cutoff) {
					ids[r.ID] = true
				}
				return nil
			})
			if err != nil {
				return err
			}
			if err := deleteIncidents(tx, ids); err != nil {
				return err
			}
			n = len(ids)
			return nil
		})
		total += n
		if err != nil || n < pruneBatch {
			return total, err
		}
	}
}

// deleteIncidents deletes incidents with their alerts and blobs. Alerts
// are found by a scan rather than an index, which would cost every
// webhook a write to save retention, run hourly, a read.
func deleteIncidents(tx *wtx, ids map[string]bool) error {
	alerts := tx.Bucket(bucketAlerts)
	var keys [][]byte
	err := alerts.ForEach(func(k, v []byte) error {
		if e, err := decodeAlertEntry(v); err == nil && ids[e.Incident] {
			keys = append(keys, clone(k))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := alerts.Delete(k); err != nil {
			return err
		}
	}
	for id := range ids {
		r, err := tx.getRecord(id)
		if err != nil {
			return err
		}
		for _, h := range []string{r.ReportHash, r.BundleHash} {
			if err := dropBlob(tx, h); err != nil {
				return err
			}
		}
		if err := tx.deleteRecord(id); err != nil {
			return err
		}
	}
	return nil
}
