// Package enginebench measures the two embedded stores considered for
// `triage serve` on its webhook write path. It is a module of its own so the
// store that lost stays out of the main module's dependencies.
package enginebench

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	_ "modernc.org/sqlite"
)

// alertOp is one webhook alert as the receiver stores it: a dedup key
// lookup and insert, then the incident record rewritten.
type alertOp struct {
	dedupKey string
	groupKey string
	incident []byte
}

// engine applies a batch of alerts in one durable transaction.
type engine interface {
	apply(ops []alertOp) error
	close() error
}

type boltEngine struct{ db *bolt.DB }

func openBolt(b *testing.B) engine {
	// The options the store uses: the freelist is rebuilt at open rather
	// than written at every commit.
	db, err := bolt.Open(filepath.Join(b.TempDir(), "bolt.db"), 0o600,
		&bolt.Options{Timeout: time.Second, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		b.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, n := range []string{"alerts", "groups", "incidents"} {
			if _, err := tx.CreateBucketIfNotExists([]byte(n)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return &boltEngine{db}
}

func (e *boltEngine) apply(ops []alertOp) error {
	return e.db.Update(func(tx *bolt.Tx) error {
		alerts, groups, incidents := tx.Bucket([]byte("alerts")), tx.Bucket([]byte("groups")), tx.Bucket([]byte("incidents"))
		for _, op := range ops {
			if alerts.Get([]byte(op.dedupKey)) != nil {
				continue
			}
			id := groups.Get([]byte(op.groupKey))
			if id == nil {
				id = []byte(op.groupKey)
				if err := groups.Put([]byte(op.groupKey), id); err != nil {
					return err
				}
			}
			_ = incidents.Get(id)
			if err := alerts.Put([]byte(op.dedupKey), id); err != nil {
				return err
			}
			if err := incidents.Put(id, op.incident); err != nil {
				return err
			}
		}
		return nil
	})
}

func (e *boltEngine) close() error { return e.db.Close() }

type sqliteEngine struct{ db *sql.DB }

func openSQLite(b *testing.B) engine {
	// WAL with synchronous=FULL fsyncs the log on every commit: durable
	// against power loss, not only against a killed process.
	dsn := "file:" + filepath.Join(b.TempDir(), "sqlite.db") +
		"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(5000)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS alerts (key TEXT PRIMARY KEY, incident TEXT NOT NULL)`,
		`CREATE TABLE IF NOT EXISTS groups (key TEXT PRIMARY KEY, incident TEXT NOT NULL)`,
		`CREATE TABLE IF NOT EXISTS incidents (id TEXT PRIMARY KEY, body BLOB NOT NULL)`,
	} {
		if _, err := db.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
	return &sqliteEngine{db}
}

func (e *sqliteEngine) apply(ops []alertOp) error {
	tx, err := e.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, op := range ops {
		var id string
		err := tx.QueryRow(`SELECT incident FROM alerts WHERE key = ?`, op.dedupKey).Scan(&id)
		if err == nil {
			continue
		}
		if err != sql.ErrNoRows {
			return err
		}
		if err := tx.QueryRow(`SELECT incident FROM groups WHERE key = ?`, op.groupKey).Scan(&id); err == sql.ErrNoRows {
			id = op.groupKey
			if _, err := tx.Exec(`INSERT INTO groups (key, incident) VALUES (?, ?)`, op.groupKey, id); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		var body []byte
		_ = tx.QueryRow(`SELECT body FROM incidents WHERE id = ?`, id).Scan(&body)
		if _, err := tx.Exec(`INSERT INTO alerts (key, incident) VALUES (?, ?)`, op.dedupKey, id); err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO incidents (id, body) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET body = excluded.body`, id, op.incident); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func (e *sqliteEngine) close() error { return e.db.Close() }

// groupCommit batches the alerts of concurrent writers into one transaction:
// a writer waits for the transaction that holds its alert.
type groupCommit struct {
	in  chan request
	eng engine
}

type request struct {
	op   alertOp
	done chan error
}

func newGroupCommit(eng engine, maxBatch int) *groupCommit {
	g := &groupCommit{in: make(chan request, 4096), eng: eng}
	go func() {
		batch := make([]request, 0, maxBatch)
		ops := make([]alertOp, 0, maxBatch)
		for r := range g.in {
			batch, ops = append(batch[:0], r), append(ops[:0], r.op)
		drain:
			for len(batch) < maxBatch {
				select {
				case r, ok := <-g.in:
					if !ok {
						break drain
					}
					batch, ops = append(batch, r), append(ops, r.op)
				default:
					break drain
				}
			}
			err := eng.apply(ops)
			for _, r := range batch {
				r.done <- err
			}
		}
	}()
	return g
}

func (g *groupCommit) write(op alertOp) error {
	done := make(chan error, 1)
	g.in <- request{op, done}
	return <-done
}

var incidentBody = func() []byte {
	b, _ := json.Marshal(map[string]any{
		"id": "3f2a9c1d7e4b", "status": "firing", "scope": "checkout", "alert_count": 12,
		"alert": map[string]any{"name": "HighErrorRate", "labels": map[string]string{
			"alertname": "HighErrorRate", "service": "checkout", "severity": "critical", "namespace": "shop"},
			"annotations": map[string]string{"summary": "checkout is failing requests", "description": "18% of root spans end in error."}},
		"started_at": time.Now(), "updated_at": time.Now(), "prewarm_state": "queued",
	})
	return b
}()

// run sends b.N alerts from writers concurrent goroutines and reports
// alerts/s and the p99 latency of one alert's durable write.
func run(b *testing.B, open func(*testing.B) engine, writers, maxBatch int) {
	eng := open(b)
	defer eng.close()
	write := func(op alertOp) error { return eng.apply([]alertOp{op}) }
	if maxBatch > 1 {
		write = newGroupCommit(eng, maxBatch).write
	}
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				op := alertOp{dedupKey: fmt.Sprintf("fp%016x|2026-11-25T00:33:59Z", i),
					groupKey: fmt.Sprintf("{}:{alertname=\"A%d\"}|svc-%d", w, i%20), incident: incidentBody}
				t0 := time.Now()
				if err := write(op); err != nil {
					b.Error(err)
					return
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "alerts/s")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
}

// BenchmarkEngines compares the engines on the same work, with one
// transaction per alert and with group commit:
//
//	cd serve/store/enginebench && go test -run '^$' -bench . -benchtime 20000x -count 3
func BenchmarkEngines(b *testing.B) {
	for _, e := range []struct {
		name string
		open func(*testing.B) engine
	}{{"bbolt", openBolt}, {"sqlite", openSQLite}} {
		b.Run(e.name+"/txn-per-alert/writers-64", func(b *testing.B) { run(b, e.open, 64, 1) })
		b.Run(e.name+"/group-commit/writers-64", func(b *testing.B) { run(b, e.open, 64, 512) })
		b.Run(e.name+"/group-commit/writers-256", func(b *testing.B) { run(b, e.open, 256, 512) })
	}
}
