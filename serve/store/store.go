// Package store is the daemon's incident store, one bbolt file: incidents,
// their alerts (for deduplication), reports and bundles. Concurrent writes
// share one fsync'd transaction, and a write that returned is on disk.
package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SchemaVersion is the layout this package writes. A store written by a
// newer layout is refused rather than misread. Schema 2 added to each
// alert when it last arrived firing and its endsAt, and to incidents when
// one of their alerts last arrived and whether they expired.
const SchemaVersion = 2

// Buckets of schemas 1 and 2.
var (
	bucketMeta      = []byte("meta")      // schema version, watchdog beat
	bucketIncidents = []byte("incidents") // id → Record JSON
	bucketAlerts    = []byte("alerts")    // alertKey → alertEntry
	bucketOpen      = []byte("open")      // groupKey \x00 scope → id of the firing incident
	// Reports and bundles are stored once by content: a storm's incidents
	// that share one scope's investigation share its report.
	bucketBlobs = []byte("blobs")     // sha256 → bytes
	bucketRefs  = []byte("blob_refs") // sha256 → reference count

	keySchema   = []byte("schema")
	keyWatchdog = []byte("watchdog")
)

// ErrClosed is returned by writes after Close.
var ErrClosed = errors.New("store is closed")

// Options tune the store.
type Options struct {
	// MaxBatch caps the writes committed in one transaction (default 1024).
	MaxBatch int
	// OnCommit, when set, observes each transaction: how many writes it
	// carried and how long the commit with its fsync took.
	OnCommit func(writes int, took time.Duration)
	// LockTimeout bounds the wait for another process's lock on the file
	// (default 1s).
	LockTimeout time.Duration
	// NoSync skips fsync: writes survive a killed process but not a power
	// loss. Only for fuzzing, where thousands of writes a second matter
	// more than the disk.
	NoSync bool
	// SeenResolution is how much later a firing alert sent again must
	// arrive for the store to write its arrival (default 1m): a retry
	// within it writes nothing. Keep it well under the alert expiry.
	SeenResolution time.Duration
}

// Store is an open store. It is safe for concurrent use.
type Store struct {
	db   *bolt.DB
	path string
	opts Options
	// unreadable counts the records the last List could not decode.
	unreadable atomic.Int64
	in         chan *write
	quit       chan struct{}
	done       chan struct{}
}

// write is one caller's change, applied inside a shared transaction. apply
// may run more than once (when a batch is retried without a failed write),
// so it must derive everything from tx.
type write struct {
	apply func(tx *wtx) error
	done  chan error
}

// Open opens (creating when absent) the store at path and starts its
// writer. The directory is created with owner-only permissions.
func Open(ctx context.Context, path string, o Options) (*Store, error) {
	if o.MaxBatch <= 0 {
		o.MaxBatch = 1024
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = time.Second
	}
	if o.SeenResolution <= 0 {
		o.SeenResolution = time.Minute
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	// The file is locked and checked before bbolt maps it: bbolt trusts
	// its pages, and on a damaged file panics where no caller can recover.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := lockFile(f, true, o.LockTimeout); err != nil {
		f.Close()
		if errors.Is(err, errLocked) {
			return nil, fmt.Errorf("store %s is locked by another process (is another triage serve running?)", path)
		}
		return nil, fmt.Errorf("store %s: lock: %w", path, err)
	}
	if err := verifyOpen(f, path, false); err != nil {
		f.Close()
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		f.Close()
		return nil, err
	}
	var db *bolt.DB
	err = guard(path, func() error {
		// The freelist is rebuilt at open instead of written at every
		// commit: fewer pages per fsync, and nothing a crash can leave
		// inconsistent.
		// bbolt opens the file checked and locked above; it opens the
		// file again to copy it (a backup), which must be a new handle.
		given := false
		openFile := func(name string, flag int, perm os.FileMode) (*os.File, error) {
			if !given {
				given = true
				return f, nil
			}
			return os.OpenFile(name, flag, perm)
		}
		var err error
		db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: o.LockTimeout, NoFreelistSync: true,
			FreelistType: bolt.FreelistMapType, OpenFile: openFile})
		return err
	})
	if err != nil {
		var de *DamageError
		if !errors.As(err, &de) {
			err = fmt.Errorf("store %s: %w", path, err)
		}
		f.Close()
		return nil, err
	}
	db.NoSync = o.NoSync
	if _, err := backupBeforeMigration(db, path); err != nil {
		db.Close()
		return nil, fmt.Errorf("store %s: backup before migrating it: %w", path, err)
	}
	if err := guard(path, func() error { return db.Update(initSchema) }); err != nil {
		db.Close()
		var de *DamageError
		if errors.As(err, &de) {
			return nil, err
		}
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	s := &Store{db: db, path: path, opts: o, in: make(chan *write, 4*o.MaxBatch), quit: make(chan struct{}), done: make(chan struct{})}
	go s.writer()
	return s, nil
}

// Close stops accepting writes, commits those already queued, and closes
// the file.
func (s *Store) Close() error {
	select {
	case <-s.quit:
		return nil
	default:
	}
	close(s.quit)
	<-s.done
	return s.db.Close()
}

// Ping checks that the store answers reads.
func (s *Store) Ping(ctx context.Context) error {
	select {
	case <-s.quit:
		return ErrClosed
	default:
	}
	return s.view(func(tx *bolt.Tx) error { return ctx.Err() })
}

// do queues fn and waits for the transaction holding it to commit. When
// ctx ends first the write may still commit, later: fn must not share
// memory its caller goes on to change.
func (s *Store) do(ctx context.Context, fn func(tx *wtx) error) error {
	w := &write{apply: fn, done: make(chan error, 1)}
	select {
	case <-s.quit:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	case s.in <- w:
	}
	select {
	case err := <-w.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		select {
		case err := <-w.done:
			return err
		default:
			return ErrClosed
		}
	}
}

// writer commits queued writes in batches: while one transaction fsyncs,
// the next batch gathers, so concurrent webhooks share fsyncs.
func (s *Store) writer() {
	defer close(s.done)
	batch := make([]*write, 0, s.opts.MaxBatch)
	for {
		var first *write
		select {
		case first = <-s.in:
		case <-s.quit:
			// Commit what was queued before Close.
			for {
				select {
				case w := <-s.in:
					s.commit([]*write{w})
				default:
					return
				}
			}
		}
		batch = append(batch[:0], first)
	gather:
		for len(batch) < s.opts.MaxBatch {
			select {
			case w := <-s.in:
				batch = append(batch, w)
			default:
				break gather
			}
		}
		s.commit(batch)
	}
}

// commit applies the batch in one transaction. A write whose apply fails
// gets its error and the batch is retried without it, so one bad write
// never fails the others.
func (s *Store) commit(batch []*write) {
	for len(batch) > 0 {
		failed := -1
		var failErr error
		t0 := time.Now()
		err := guard(s.path, func() error {
			return s.db.Update(func(btx *bolt.Tx) error {
				tx := newWtx(btx, s.opts.SeenResolution)
				for i, w := range batch {
					if err := w.apply(tx); err != nil {
						failed, failErr = i, err
						return err
					}
				}
				return tx.flush()
			})
		})
		if failed >= 0 {
			batch[failed].done <- failErr
			batch = append(batch[:failed:failed], batch[failed+1:]...)
			continue
		}
		if s.opts.OnCommit != nil && err == nil {
			s.opts.OnCommit(len(batch), time.Since(t0))
		}
		for _, w := range batch {
			w.done <- err
		}
		return
	}
}

// AlertIncident returns the incident an alert was stored under and whether
// it still fires; ok is false for an alert never stored.
func (s *Store) AlertIncident(ctx context.Context, a AlertIn) (id string, firing, ok bool, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketAlerts).Get([]byte(a.Key()))
		if raw == nil {
			return nil
		}
		e, err := decodeAlertEntry(raw)
		if err != nil {
			return err
		}
		id, firing, ok = e.Incident, e.Firing(), true
		return nil
	})
	return id, firing, ok, err
}

// Check verifies the file's page structure (every page reachable once,
// none past the end), the check to run after a crash: first page by page
// from the file, then with bbolt's own check, which is only safe on pages
// that passed the first. It runs in the writer, so that no commit moves
// pages while the file is read.
func (s *Store) Check(ctx context.Context) error {
	return s.do(ctx, func(tx *wtx) error {
		if err := verifyFile(s.path); err != nil {
			return err
		}
		var first error
		for err := range tx.Check() { // drained: the checker runs until it closes the channel
			if first == nil {
				first = damaged(s.path, Damage{Msg: err.Error()})
			}
		}
		return first
	})
}

// view runs fn in a read transaction. A panic from a damaged page becomes
// a DamageError instead of taking the process down.
func (s *Store) view(fn func(tx *bolt.Tx) error) (err error) {
	tx, err := s.db.Begin(false)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	return guard(s.path, func() error { return fn(tx) })
}

// guard runs fn, turning a panic (bbolt asserts on pages it cannot
// trust; a fault on its memory map panics with SetPanicOnFault) into a
// DamageError.
func guard(path string, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = damaged(path, Damage{Msg: "bbolt: " + oneLine(fmt.Sprint(r))})
		}
	}()
	return fn()
}

func oneLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// verifyOpen checks the file page by page before bbolt opens it; with
// both, either meta page failing is a problem (see pageFile.verify).
func verifyOpen(f *os.File, path string, both bool) error {
	pf, err := readPageFile(f, path)
	if err != nil {
		return err
	}
	return pf.verify(both)
}

// verifyFile checks the file at path page by page, as last committed.
func verifyFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return verifyOpen(f, path, true)
}
