package store

import (
	"bytes"
	"fmt"
)

// Damage is a problem in a store file, located.
type Damage struct {
	Page   uint64 // 0 when not about one page
	Bucket string // the bucket the page belongs to, "" for the root
	Msg    string
}

func (d Damage) String() string {
	where := ""
	switch {
	case d.Page != 0 && d.Bucket != "":
		where = fmt.Sprintf("page %d (bucket %s): ", d.Page, d.Bucket)
	case d.Page != 0:
		where = fmt.Sprintf("page %d: ", d.Page)
	case d.Bucket != "":
		where = "bucket " + d.Bucket + ": "
	}
	return where + d.Msg
}

// walker visits a bucket's tree. Each page is checked as bbolt's own
// check does (in bounds, referenced once, of the right type, keys in
// order); a page that fails is reported and its subtree skipped, so one
// bad page loses only what it holds.
type walker struct {
	pf   *pageFile
	seen map[uint64]bool
	// damage is called for each problem; stop ends the walk at the first.
	damage func(Damage)
	stop   bool
	// kv is called for each key and value of a bucket; bucket entries are
	// passed with sub set (value is the bucket header).
	kv func(bucket []string, key, value []byte, sub bool)
	// lostElements counts the entries on pages that were readable enough
	// to say how many they held.
	lost   func(bucket []string, n int)
	halted bool
	// stack holds the pages from the root to the one being read, and
	// spans each page's overflow, for callers that locate entries.
	stack []uint64
	spans map[uint64]uint32
}

func newWalker(pf *pageFile) *walker {
	return &walker{pf: pf, seen: map[uint64]bool{}, spans: map[uint64]uint32{}}
}

func (w *walker) fail(d Damage) {
	if w.damage != nil {
		w.damage(d)
	}
	if w.stop {
		w.halted = true
	}
}

func bucketName(path []string) string {
	var b bytes.Buffer
	for i, p := range path {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(p)
	}
	return b.String()
}

// bucket walks the bucket whose header is v, at path.
func (w *walker) bucket(path []string, v []byte) {
	root, inline, err := bucketValue(w.pf, v)
	if err != nil {
		w.fail(Damage{Bucket: bucketName(path), Msg: err.Error()})
		return
	}
	if inline != nil {
		w.leafPage(path, inline, nil, nil)
		return
	}
	w.tree(path, root, nil, nil, 0)
}

// tree walks the page id and its children; keys must lie in [min, max).
func (w *walker) tree(path []string, id uint64, min, max []byte, depth int) {
	if w.halted {
		return
	}
	name := bucketName(path)
	if depth > maxTreeDepth {
		w.fail(Damage{Page: id, Bucket: name, Msg: "the tree is deeper than any bbolt writes: a loop"})
		return
	}
	p, err := w.pf.readPage(id)
	if err != nil {
		w.fail(Damage{Page: id, Bucket: name, Msg: err.Error()})
		return
	}
	for i := uint64(0); i <= uint64(p.overflow); i++ {
		if w.seen[id+i] {
			w.fail(Damage{Page: id + i, Bucket: name, Msg: "referenced twice"})
			return
		}
		w.seen[id+i] = true
	}
	w.spans[id] = p.overflow
	w.stack = append(w.stack, id)
	defer func() { w.stack = w.stack[:len(w.stack)-1] }()
	if p.flags == flagLeaf {
		w.leafPage(path, p, min, max)
		return
	}
	// Branch: each child holds the keys from its own key to the next's.
	keys := make([][]byte, p.count)
	children := make([]uint64, p.count)
	for i := range p.count {
		k, c, err := p.branch(i)
		if err != nil {
			w.fail(Damage{Page: id, Bucket: name, Msg: err.Error()})
			return
		}
		keys[i], children[i] = bytes.Clone(k), c
	}
	for i := range keys {
		if !inOrder(keys[i], i, keys, min, max) {
			w.fail(Damage{Page: id, Bucket: name, Msg: fmt.Sprintf("branch key %d is out of order", i)})
			return
		}
	}
	for i, c := range children {
		hi := max
		if i+1 < len(keys) {
			hi = keys[i+1]
		}
		if w.tree(path, c, keys[i], hi, depth+1); w.halted {
			return
		}
	}
}

// inOrder reports whether keys[i] follows keys[i-1] and lies in [min, max).
func inOrder(k []byte, i int, keys [][]byte, min, max []byte) bool {
	if i > 0 && bytes.Compare(keys[i-1], k) >= 0 {
		return false
	}
	if i == 0 && min != nil && bytes.Compare(min, k) > 0 {
		return false
	}
	return max == nil || bytes.Compare(k, max) < 0
}

func (w *walker) leafPage(path []string, p *page, min, max []byte) {
	name := bucketName(path)
	var prev []byte
	for i := range p.count {
		flags, k, v, err := p.leaf(i)
		if err == nil && ((prev != nil && bytes.Compare(prev, k) >= 0) || (prev == nil && min != nil && bytes.Compare(min, k) > 0) ||
			(max != nil && bytes.Compare(k, max) >= 0)) {
			err = fmt.Errorf("key %d is out of order", i)
		}
		if err != nil {
			w.fail(Damage{Page: p.id, Bucket: name, Msg: err.Error()})
			if w.lost != nil {
				w.lost(path, p.count-i)
			}
			return
		}
		prev = k
		if flags&leafBucket != 0 {
			if w.kv != nil {
				w.kv(path, k, v, true)
			}
			w.bucket(append(append([]string(nil), path...), string(k)), bytes.Clone(v))
			if w.halted {
				return
			}
			continue
		}
		if w.kv != nil {
			w.kv(path, k, v, false)
		}
	}
}

// verify checks the whole file as bbolt would have it, and returns the
// first problem. With both set, a meta page that bbolt can do without
// (the other one is valid) is a problem too: bbolt's own check asserts on
// it.
func (pf *pageFile) verify(both bool) error {
	if ds := pf.damages(true, both); len(ds) > 0 {
		return damaged(pf.path, ds[0])
	}
	return nil
}

// damages checks the meta pages, the file's length, the freelist, then
// every page of every bucket, and lists the problems (stopping at the
// first when first is set). A meta page bbolt can do without is only a
// problem with both.
func (pf *pageFile) damages(first, both bool) []Damage {
	if pf.size == 0 {
		return nil
	}
	var ds []Damage
	if need := int64(pf.meta.pgid) * int64(pf.pageSize); need > pf.size {
		ds = append(ds, Damage{Msg: fmt.Sprintf("the file is %d bytes but its last transaction wrote %d: it was cut short", pf.size, need)})
	}
	for _, m := range pf.metas {
		if m.err != nil && both {
			// bbolt opens on the other meta page and rewrites this one at
			// its next commit, but its check reads it and asserts.
			ds = append(ds, Damage{Msg: fmt.Sprintf("meta page %d: %v", m.page, m.err)})
		}
	}
	if err := pf.verifyFreelist(); err != nil {
		ds = append(ds, Damage{Page: pf.meta.freelist, Msg: "freelist: " + err.Error()})
	}
	if first && len(ds) > 0 {
		return ds[:1]
	}
	w := newWalker(pf)
	w.stop = first
	w.damage = func(d Damage) { ds = append(ds, d) }
	hdr := make([]byte, bucketHdrSize)
	le.PutUint64(hdr, pf.meta.root)
	w.bucket(nil, hdr)
	return ds
}

// verifyFreelist checks the freelist page, when the file has one (the
// daemon never writes it; other bbolt tools may have).
func (pf *pageFile) verifyFreelist() error {
	id := pf.meta.freelist
	if id == noFreelist {
		return nil
	}
	if id < 2 || id >= pf.meta.pgid {
		return fmt.Errorf("on page %d, outside the pages in use", id)
	}
	off := int64(id) * int64(pf.pageSize)
	head := make([]byte, pageHeaderSize+8)
	if _, err := pf.f.ReadAt(head, off); err != nil {
		return fmt.Errorf("unreadable: %w", err)
	}
	if got := le.Uint64(head[0:]); got != id {
		return fmt.Errorf("its header names page %d", got)
	}
	if flags := le.Uint16(head[8:]); flags != flagFreelist {
		return fmt.Errorf("expected a freelist page, found %s", pageType(flags))
	}
	overflow := le.Uint32(head[12:])
	span := int64(overflow+1) * int64(pf.pageSize)
	if id+uint64(overflow) >= pf.meta.pgid || off+span > pf.size {
		return fmt.Errorf("its %d overflow pages run past the pages in use", overflow)
	}
	n, at := int64(le.Uint16(head[10:])), int64(pageHeaderSize)
	if n == 0xffff { // the real count is the first element
		n, at = int64(le.Uint64(head[pageHeaderSize:])), at+8
	}
	if n < 0 || at+n*8 > span {
		return fmt.Errorf("%d free pages do not fit in it", n)
	}
	ids := make([]byte, n*8)
	if _, err := pf.f.ReadAt(ids, off+at); err != nil {
		return fmt.Errorf("unreadable: %w", err)
	}
	for i := int64(0); i < n; i++ {
		if free := le.Uint64(ids[i*8:]); free < 2 || free >= pf.meta.pgid {
			return fmt.Errorf("lists page %d, outside the pages in use", free)
		}
	}
	return nil
}

// DamageError says a store file is damaged, where, and what to do.
type DamageError struct {
	Path   string
	Damage Damage
}

func damaged(path string, d Damage) *DamageError { return &DamageError{Path: path, Damage: d} }

func (e *DamageError) Error() string {
	return fmt.Sprintf("store %s is damaged: %s; it was left as it is: run `triage store salvage -o NEW --store %s` to copy every readable incident into NEW, then set serve.store to NEW", e.Path, e.Damage, e.Path)
}
