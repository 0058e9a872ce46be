package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// written is what a test wrote: each incident with its report and bundle.
type written struct {
	rec            Record
	report, bundle []byte
}

// writeStore fills a store with n incidents, one alert each, every one
// with its own report and bundle; every third bundle spans several pages.
// A third of the incidents are resolved.
func writeStore(t testing.TB, path string, n int) map[string]written {
	t.Helper()
	s, err := Open(context.Background(), path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]written{}
	now := t0
	for i := range n {
		now = now.Add(time.Second)
		a := alert(fmt.Sprintf("fp%05d", i), fmt.Sprintf("g%d", i), fmt.Sprintf("svc-%d", i%40), true, t0.Add(time.Duration(i)*time.Minute))
		res, err := s.Ingest(context.Background(), []AlertIn{a}, time.Time{}, now)
		if err != nil {
			t.Fatal(err)
		}
		id := res.Created[0].ID
		report := []byte(fmt.Sprintf(`{"version":1,"incident":%q,"pad":%q}`, id, strings.Repeat("r", 200+i%300)))
		bundle := bytes.Repeat([]byte{byte(i), byte(i >> 8), 0x5a}, 100+(i%3)*4000)
		now = now.Add(time.Second)
		if err := s.PutResults(context.Background(), []Result{{ID: id, State: PrewarmReady, Report: report, Bundle: bundle}}, now); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			a.Firing = false
			now = now.Add(time.Second)
			if _, err := s.Ingest(context.Background(), []AlertIn{a}, time.Time{}, now); err != nil {
				t.Fatal(err)
			}
		}
	}
	recs, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		_, rep, b, err := s.Get(context.Background(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		out[r.ID] = written{rec: r, report: rep, bundle: b}
	}
	if err := s.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// layout says where each incident of an undamaged store lies: the pages
// from the root to its leaf, and the pages of its report and bundle.
type layout struct {
	pageSize  int
	hwm       uint64              // pages in use
	incidents map[string][]uint64 // id → pages, root first, leaf last
	blobs     map[string][]uint64
	spans     map[uint64]uint32
}

func readLayout(t testing.TB, path string) layout {
	t.Helper()
	pf, err := openPageFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	l := layout{pageSize: pf.pageSize, hwm: pf.meta.pgid, incidents: map[string][]uint64{}, blobs: map[string][]uint64{}}
	w := newWalker(pf)
	w.damage = func(d Damage) { t.Fatalf("undamaged store: %s", d) }
	w.kv = func(path []string, k, v []byte, sub bool) {
		if sub || len(path) != 1 {
			return
		}
		switch path[0] {
		case string(bucketIncidents):
			l.incidents[string(k)] = append([]uint64(nil), w.stack...)
		case string(bucketBlobs):
			l.blobs[string(k)] = append([]uint64(nil), w.stack...)
		}
	}
	hdr := make([]byte, bucketHdrSize)
	le.PutUint64(hdr, pf.meta.root)
	w.bucket(nil, hdr)
	l.spans = w.spans
	return l
}

// readable reports whether the page an entry is on (the last of its
// path), with its overflow, survives a damage that cut the file at size
// and overwrote the page bad. The pages above it need not: salvage reads
// the pages the tree no longer reaches too.
func (l layout) readable(pages []uint64, size int64, bad uint64) bool {
	if len(pages) == 0 {
		return false
	}
	p := pages[len(pages)-1]
	return p != bad && int64(p+uint64(l.spans[p])+1)*int64(l.pageSize) <= size
}

// leafOf picks a leaf page of the incidents bucket holding several
// incidents, away from the root.
func (l layout) leafOf(t testing.TB) uint64 {
	count := map[uint64]int{}
	for _, pages := range l.incidents {
		if len(pages) > 1 {
			count[pages[len(pages)-1]]++
		}
	}
	best, n := uint64(0), 0
	for p, c := range count {
		if c > n || (c == n && p < best) {
			best, n = p, c
		}
	}
	if best == 0 {
		t.Fatal("the incidents bucket has no leaf page below a branch")
	}
	return best
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// overwriteHeader writes garbage over page id's header.
func overwriteHeader(t testing.TB, path string, pageSize int, id uint64) {
	t.Helper()
	writeAt(t, path, bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 4), int64(id)*int64(pageSize))
}

func writeAt(t testing.TB, path string, b []byte, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func truncate(t testing.TB, path string, size int64) {
	t.Helper()
	if err := os.Truncate(path, size); err != nil {
		t.Fatal(err)
	}
}

// Damaged files of every kind are refused with a DamageError that names
// the file and says what to do, and never panic.
func TestOpenDamaged(t *testing.T) {
	dir := t.TempDir()
	orig := filepath.Join(dir, "orig.db")
	writeStore(t, orig, 300)
	l := readLayout(t, orig)
	st, _ := os.Stat(orig)
	leaf := l.leafOf(t)
	root := l.incidents[firstKey(l.incidents)][0]
	cases := []struct {
		name    string
		damage  func(path string)
		opens   bool // harmless damage: bbolt uses the other meta page
		wantMsg string
	}{
		{"cut in half", func(p string) { truncate(t, p, st.Size()/2) }, false, "cut short"},
		{"cut to one page", func(p string) { truncate(t, p, int64(l.pageSize)) }, false, "cut short"},
		{"cut mid-page", func(p string) { truncate(t, p, int64(l.hwm)*int64(l.pageSize)-100) }, false, "cut short"},
		{"cut past the pages in use", func(p string) { truncate(t, p, int64(l.hwm)*int64(l.pageSize)) }, true, ""},
		{"leaf header overwritten", func(p string) { overwriteHeader(t, p, l.pageSize, leaf) }, false, fmt.Sprintf("page %d (bucket incidents): its header names page", leaf)},
		{"root header overwritten", func(p string) { overwriteHeader(t, p, l.pageSize, root) }, false, fmt.Sprintf("page %d", root)},
		{"leaf zeroed", func(p string) { writeAt(t, p, make([]byte, l.pageSize), int64(leaf)*int64(l.pageSize)) }, false, "names page 0"},
		{"leaf element pointing out of its page", func(p string) {
			writeAt(t, p, []byte{0xff, 0xff, 0xff, 0x7f}, int64(leaf)*int64(l.pageSize)+pageHeaderSize+4)
		}, false, "outside its page"},
		{"first meta page overwritten", func(p string) { overwriteHeader(t, p, l.pageSize, 0) }, true, ""},
		{"both meta pages overwritten", func(p string) {
			overwriteHeader(t, p, l.pageSize, 0)
			writeAt(t, p, bytes.Repeat([]byte{1}, 64), int64(l.pageSize)+16)
		}, false, "meta page"},
		{"not a store", func(p string) {
			if err := os.WriteFile(p, bytes.Repeat([]byte("not bbolt "), 1000), 0o600); err != nil {
				t.Fatal(err)
			}
		}, false, "meta page"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "incidents.db")
			copyFile(t, orig, path)
			c.damage(path)
			s, err := Open(context.Background(), path, Options{})
			if c.opens {
				if err != nil {
					t.Fatalf("open: %v", err)
				}
				s.Close()
				return
			}
			var de *DamageError
			if !errors.As(err, &de) {
				t.Fatalf("open = %v, want a DamageError", err)
			}
			msg := err.Error()
			for _, want := range []string{"store " + path + " is damaged", c.wantMsg, "triage store salvage -o NEW --store " + path} {
				if !strings.Contains(msg, want) {
					t.Errorf("%q lacks %q", msg, want)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("not one line: %q", msg)
			}
			// The check says the same, and the file is left as it was.
			rep, err := CheckFile(context.Background(), path)
			if err != nil || rep.OK() {
				t.Fatalf("check = %+v, %v", rep, err)
			}
		})
	}
}

func firstKey(m map[string][]uint64) string {
	for k := range m {
		return k
	}
	return ""
}

// A salvage keeps every incident whose pages survived, exactly as it was
// written, with its report and bundle when theirs survived too; anything
// else it copies is an incident that was written (found in an older
// version of a lost page), never garbage.
func TestSalvageKeepsEveryReadableIncident(t *testing.T) {
	dir := t.TempDir()
	orig := filepath.Join(dir, "orig.db")
	all := writeStore(t, orig, 600)
	l := readLayout(t, orig)
	st, _ := os.Stat(orig)
	leaf := l.leafOf(t)
	for _, c := range []struct {
		name string
		size int64
		bad  uint64
	}{
		{"leaf header overwritten", st.Size(), leaf},
		{"cut in half", st.Size() / 2, 0},
		{"cut to a quarter", st.Size() / 4, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "incidents.db")
			copyFile(t, orig, path)
			if c.bad != 0 {
				overwriteHeader(t, path, l.pageSize, c.bad)
			}
			if c.size != st.Size() {
				truncate(t, path, c.size)
			}
			dst := filepath.Join(t.TempDir(), "salvaged.db")
			rep, err := Salvage(context.Background(), path, dst)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Damage) == 0 {
				t.Error("salvage met no damage: the test damages nothing")
			}
			checkSalvaged(t, l, all, dst, c.size, c.bad, rep)
		})
	}
}

func checkSalvaged(t *testing.T, l layout, all map[string]written, dst string, size int64, bad uint64, rep SalvageReport) {
	t.Helper()
	s, err := Open(context.Background(), dst, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := list(t, s)
	want, lost := 0, 0
	for id, w := range all {
		pages := l.incidents[id]
		r, ok := got[id]
		if !l.readable(pages, size, bad) {
			lost++
			continue
		}
		want++
		if !ok {
			t.Errorf("incident %s survived on its pages but was not copied", id)
			continue
		}
		_, report, bundle, err := s.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		wr := w.rec
		if l.readable(l.blobs[wr.ReportHash], size, bad) {
			if !bytes.Equal(report, w.report) {
				t.Errorf("%s: report not copied", id)
			}
		} else if report != nil && !bytes.Equal(report, w.report) {
			t.Errorf("%s: a report that is not its own", id)
		}
		if l.readable(l.blobs[wr.BundleHash], size, bad) && !bytes.Equal(bundle, w.bundle) {
			t.Errorf("%s: bundle not copied", id)
		}
		// The record itself is what was written, blob references aside.
		r.ReportHash, r.BundleHash, r.ReportAt, r.PrewarmState, r.PrewarmError = wr.ReportHash, wr.BundleHash, wr.ReportAt, wr.PrewarmState, wr.PrewarmError
		if fmt.Sprint(r) != fmt.Sprint(wr) {
			t.Errorf("%s: copied %+v\nwritten %+v", id, r, wr)
		}
	}
	for id := range got {
		if _, ok := all[id]; !ok {
			t.Errorf("salvage invented incident %s", id)
		}
	}
	if rep.Incidents != len(got) || len(got) < want {
		t.Errorf("report says %d copied; the new store holds %d; %d were readable", rep.Incidents, len(got), want)
	}
	if err := s.Check(context.Background()); err != nil {
		t.Errorf("salvaged store: %v", err)
	}
	t.Logf("%d written, %d on surviving pages, %d copied (%d from pages the tree no longer reached); %d unreadable pages",
		len(all), want, len(got), rep.Recovered, len(rep.Damage))
	_ = lost
}

// The same store checks clean, and its check says what it holds.
func TestCheckFileSound(t *testing.T) {
	path := filepath.Join(t.TempDir(), "incidents.db")
	all := writeStore(t, path, 60)
	rep, err := CheckFile(context.Background(), path)
	if err != nil || !rep.OK() || rep.Firing+rep.Resolved != len(all) || rep.Resolved != 20 || rep.Blobs != 120 || !rep.CheckedWithBboltToo {
		t.Fatalf("check = %+v, %v", rep, err)
	}
	// A record the store's invariants reject, though bbolt's pages hold.
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketBlobs).Put([]byte(strings.Repeat("0", 64)), []byte("x"))
	})
	db.Close()
	rep, err = CheckFile(context.Background(), path)
	if err != nil || rep.OK() || rep.PageDamage || !strings.Contains(strings.Join(rep.Problems, "\n"), "does not hash to its name") {
		t.Fatalf("check = %+v, %v", rep, err)
	}
}
