package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SalvageReport says what a salvage copied and what it lost.
type SalvageReport struct {
	Incidents int
	// Recovered are the incidents among Incidents found on pages the
	// store's tree no longer reaches (a damaged branch page, a file cut
	// short): possibly in an older version than the last one written.
	Recovered int
	// IncidentsUnreadable are records on damaged pages that could be
	// counted but not read, or that did not decode.
	IncidentsUnreadable int
	// IncidentsMissing are incidents that surviving alerts name but that
	// were found nowhere.
	IncidentsMissing   int
	Alerts, AlertsLost int
	// AlertsOrphaned are alerts dropped because their incident was lost,
	// so that Alertmanager's next notification opens it again.
	AlertsOrphaned       int
	Reports, ReportsLost int
	Bundles, BundlesLost int
	// Damage lists each unreadable page or entry of the store's tree.
	Damage []Damage
}

// salvaged is what a salvage read from the damaged file.
type salvaged struct {
	schema    int
	beat      []byte
	incidents map[string]Record
	recovered map[string]bool // incidents not reached through the tree
	alerts    map[string]salvagedAlert
	blobKeys  map[string]bool
	lost      map[string]int // entries counted on damaged pages, per bucket
	damage    []Damage
	decodeBad int // incident records that did not decode
}

type salvagedAlert struct {
	e        alertEntry
	fromTree bool
}

// Salvage copies every readable incident of the store at src, with its
// alerts, report and bundle, into a new store at dst. It reads the file
// page by page, never through bbolt: first the store's tree, where an
// unreadable page loses only the entries it holds, then every page the
// tree no longer reaches, for entries of the pages it lost (the newest
// version found of each). dst must not exist. src is only read.
func Salvage(ctx context.Context, src, dst string) (SalvageReport, error) {
	var rep SalvageReport
	if _, err := os.Stat(dst); err == nil {
		return rep, fmt.Errorf("%s exists: salvage writes a new store and never overwrites one", dst)
	}
	f, err := os.Open(src)
	if err != nil {
		return rep, err
	}
	defer f.Close()
	if err := lockFile(f, false, time.Second); err != nil {
		if errors.Is(err, errLocked) {
			return rep, fmt.Errorf("store %s is in use by another process (a running triage serve?): stop it first", src)
		}
		return rep, err
	}
	pf, err := readPageFile(f, src)
	if err != nil {
		return rep, fmt.Errorf("cannot salvage: %w", err)
	}
	if pf.size == 0 {
		return rep, fmt.Errorf("store %s is empty", src)
	}
	sv := readSalvage(pf)
	if sv.schema > SchemaVersion {
		return rep, fmt.Errorf("store %s was written by a newer triage (schema %d); salvage it with that one", src, sv.schema)
	}
	return writeSalvage(ctx, pf, sv, dst)
}

// visitAll calls fn with every readable entry of the file: those of the
// store's tree with their bucket, then those of leaf pages the tree does
// not reach, with bucket nil. damage and lost, when set, hear about the
// tree's unreadable pages.
func visitAll(pf *pageFile, damage func(Damage), lost func([]string, int), fn func(bucket []string, k, v []byte)) {
	w := newWalker(pf)
	w.damage, w.lost = damage, lost
	w.kv = func(path []string, k, v []byte, sub bool) {
		if !sub {
			fn(path, k, v)
		}
	}
	hdr := make([]byte, bucketHdrSize)
	le.PutUint64(hdr, pf.meta.root)
	w.bucket(nil, hdr)
	last := min(pf.meta.pgid, uint64(pf.size/int64(pf.pageSize)))
	for id := uint64(2); id < last; id++ {
		if w.seen[id] {
			continue
		}
		p, err := pf.readPage(id)
		if err != nil || p.flags != flagLeaf {
			continue
		}
		for i := uint64(1); i <= uint64(p.overflow); i++ {
			w.seen[id+i] = true
		}
		for i := range p.count {
			flags, k, v, err := p.leaf(i)
			if err != nil {
				break
			}
			if flags&leafBucket == 0 {
				fn(nil, k, v)
			}
		}
	}
}

// readSalvage reads every readable entry of the store's buckets except
// the blobs' contents, which are copied later.
func readSalvage(pf *pageFile) *salvaged {
	sv := &salvaged{schema: 1, incidents: map[string]Record{}, recovered: map[string]bool{},
		alerts: map[string]salvagedAlert{}, blobKeys: map[string]bool{}, lost: map[string]int{}}
	damage := func(d Damage) { sv.damage = append(sv.damage, d) }
	lost := func(path []string, n int) { sv.lost[bucketName(path)] += n }
	visitAll(pf, damage, lost, func(path []string, k, v []byte) {
		if path != nil {
			sv.fromTree(path, k, v)
			return
		}
		sv.fromPage(k, v)
	})
	return sv
}

func (sv *salvaged) fromTree(path []string, k, v []byte) {
	if len(path) != 1 {
		return
	}
	switch path[0] {
	case string(bucketMeta):
		switch string(k) {
		case string(keySchema):
			if n, err := strconv.Atoi(string(v)); err == nil {
				sv.schema = n
			}
		case string(keyWatchdog):
			sv.beat = bytes.Clone(v)
		}
	case string(bucketIncidents):
		r, err := decodeRecord(v)
		if err != nil || r.ID != string(k) {
			sv.decodeBad++
			return
		}
		sv.incidents[r.ID] = r
	case string(bucketAlerts):
		if e, err := decodeAnyAlertEntry(v); err == nil {
			sv.alerts[string(k)] = salvagedAlert{e: e, fromTree: true}
		}
	case string(bucketBlobs):
		sv.blobKeys[string(k)] = true
	}
}

// fromPage takes an entry of a page the tree does not reach: a page of a
// lost subtree, or an older version of a page. Its bucket is told by its
// shape; what the tree holds wins, then the newest version.
func (sv *salvaged) fromPage(k, v []byte) {
	switch {
	case len(k) == idLen && isHex(k) && len(v) > 0 && v[0] == '{':
		r, err := decodeRecord(v)
		if err != nil || r.ID != string(k) {
			return
		}
		if old, ok := sv.incidents[r.ID]; ok && (!sv.recovered[r.ID] || !r.UpdatedAt.After(old.UpdatedAt)) {
			return
		}
		sv.incidents[r.ID], sv.recovered[r.ID] = r, true
	case len(k) == 64 && isHex(k):
		if sum := sha256.Sum256(v); hex.EncodeToString(sum[:]) == string(k) {
			sv.blobKeys[string(k)] = true
		}
	case isAlertKey(k):
		e, err := decodeAnyAlertEntry(v)
		if err != nil {
			return
		}
		if old, ok := sv.alerts[string(k)]; ok && (old.fromTree || !e.newerThan(old.e)) {
			return
		}
		sv.alerts[string(k)] = salvagedAlert{e: e}
	}
}

// isAlertKey reports whether k is an alert's key: a fingerprint and its
// startsAt.
func isAlertKey(k []byte) bool {
	i := bytes.IndexByte(k, 0)
	if i <= 0 {
		return false
	}
	_, err := time.Parse(time.RFC3339Nano, string(k[i+1:]))
	return err == nil
}

func isHex(b []byte) bool {
	for _, c := range b {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// salvageBatch bounds one transaction of the copy.
const salvageBatch = 1000

func writeSalvage(ctx context.Context, pf *pageFile, sv *salvaged, dst string) (SalvageReport, error) {
	rep := SalvageReport{Damage: sv.damage, Recovered: len(sv.recovered)}
	// Alerts: only those of incidents that were copied, so that the next
	// notification of a lost incident opens it anew instead of being
	// taken for a repeat.
	named := map[string]bool{}
	var alertKeys []string
	for k, a := range sv.alerts {
		if _, ok := sv.incidents[a.e.Incident]; !ok {
			named[a.e.Incident] = true
			rep.AlertsOrphaned++
			continue
		}
		if a.e.SeenAt.IsZero() {
			// From schema 1, which did not keep it.
			a.e.SeenAt = sv.incidents[a.e.Incident].UpdatedAt
			sv.alerts[k] = a
		}
		alertKeys = append(alertKeys, k)
	}
	sort.Strings(alertKeys)
	rep.AlertsLost = sv.lost[string(bucketAlerts)]
	rep.IncidentsMissing = len(named)
	rep.IncidentsUnreadable = sv.decodeBad + sv.lost[string(bucketIncidents)]

	// Blobs: read the bucket again, keeping what copied incidents use and
	// what still hashes to its key.
	want := map[string]bool{}
	for _, r := range sv.incidents {
		for _, h := range []string{r.ReportHash, r.BundleHash} {
			if h != "" && sv.blobKeys[h] {
				want[h] = true
			}
		}
	}
	s, err := Open(ctx, dst, Options{})
	if err != nil {
		return rep, err
	}
	defer s.Close()
	good := map[string]bool{}
	var pending [][2][]byte
	flushBlobs := func() error {
		if len(pending) == 0 {
			return nil
		}
		err := s.db.Update(func(tx *bolt.Tx) error {
			for _, kv := range pending {
				if err := tx.Bucket(bucketBlobs).Put(kv[0], kv[1]); err != nil {
					return err
				}
			}
			return nil
		})
		pending = pending[:0]
		return err
	}
	var werr error
	size := 0
	visitAll(pf, nil, nil, func(path []string, k, v []byte) {
		if werr != nil || good[string(k)] || !want[string(k)] || (path != nil && bucketName(path) != string(bucketBlobs)) {
			return
		}
		if sum := sha256.Sum256(v); hex.EncodeToString(sum[:]) != string(k) {
			return // damaged content: not this copy
		}
		good[string(k)] = true
		pending = append(pending, [2][]byte{bytes.Clone(k), bytes.Clone(v)})
		if size += len(v); size > 32<<20 || len(pending) >= salvageBatch {
			werr, size = flushBlobs(), 0
		}
	})
	if werr == nil {
		werr = flushBlobs()
	}
	if werr != nil {
		return rep, werr
	}

	// Incidents, with their references recounted and what was lost of
	// them cleared: a firing incident without its report is investigated
	// again.
	ids := make([]string, 0, len(sv.incidents))
	for id := range sv.incidents {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	refs := map[string]uint64{}
	open := map[string]Record{}
	recs := make([]Record, 0, len(ids))
	for _, id := range ids {
		r := sv.incidents[id]
		if r.ReportHash != "" {
			if good[r.ReportHash] {
				rep.Reports++
				refs[r.ReportHash]++
			} else {
				rep.ReportsLost++
				r.ReportHash, r.ReportAt = "", time.Time{}
				r.PrewarmState, r.PrewarmError = PrewarmQueued, ""
				if !r.Firing() {
					r.PrewarmState, r.PrewarmError = PrewarmFailed, "the report was lost when the store was salvaged"
				}
			}
		}
		if r.BundleHash != "" {
			if good[r.BundleHash] {
				rep.Bundles++
				refs[r.BundleHash]++
			} else {
				rep.BundlesLost++
				r.BundleHash = ""
			}
		}
		if r.SeenAt.IsZero() {
			r.SeenAt = r.UpdatedAt // from schema 1
		}
		if r.Firing() {
			k := r.GroupKey + "\x00" + r.Scope
			if o, ok := open[k]; !ok || r.StartedAt.After(o.StartedAt) {
				open[k] = r
			}
		}
		recs = append(recs, r)
	}
	for start := 0; start < len(recs) || start == 0; start += salvageBatch {
		end := min(start+salvageBatch, len(recs))
		err := s.db.Update(func(tx *bolt.Tx) error {
			if start == 0 {
				if err := putSalvageMeta(tx, sv, refs, open); err != nil {
					return err
				}
			}
			for _, r := range recs[start:end] {
				raw, err := encodeRecord(r)
				if err != nil {
					return err
				}
				if err := tx.Bucket(bucketIncidents).Put([]byte(r.ID), raw); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return rep, err
		}
		rep.Incidents += end - start
		if end == len(recs) {
			break
		}
	}
	for start := 0; start < len(alertKeys); start += salvageBatch {
		end := min(start+salvageBatch, len(alertKeys))
		err := s.db.Update(func(tx *bolt.Tx) error {
			for _, k := range alertKeys[start:end] {
				if err := tx.Bucket(bucketAlerts).Put([]byte(k), sv.alerts[k].e.encode()); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return rep, err
		}
		rep.Alerts += end - start
	}
	return rep, s.Check(ctx)
}

// putSalvageMeta writes the heartbeat, the blob reference counts and the
// open incident of each group and scope, all recomputed from what was
// copied.
func putSalvageMeta(tx *bolt.Tx, sv *salvaged, refs map[string]uint64, open map[string]Record) error {
	if sv.beat != nil {
		if err := tx.Bucket(bucketMeta).Put(keyWatchdog, sv.beat); err != nil {
			return err
		}
	}
	for h, n := range refs {
		if err := setRefs(tx.Bucket(bucketRefs), h, n); err != nil {
			return err
		}
	}
	for k, r := range open {
		if err := tx.Bucket(bucketOpen).Put([]byte(k), []byte(r.ID)); err != nil {
			return err
		}
	}
	return nil
}
