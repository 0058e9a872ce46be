package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// This file reads a bbolt file the way bbolt lays it out (version 2 of its
// format), with plain reads instead of a memory map and a check on every
// offset. bbolt trusts its pages: opened on a damaged file it follows
// pointers out of the file, asserts and panics, sometimes in a goroutine
// no caller can recover. So the store is checked here before bbolt opens
// it, and salvaged from here when it is damaged.

// The on-disk layout: page header, meta, and element sizes.
const (
	pageHeaderSize = 16 // id u64, flags u16, count u16, overflow u32
	elemSize       = 16 // branch: pos, ksize u32, pgid u64; leaf: flags, pos, ksize, vsize u32
	bucketHdrSize  = 16 // root pgid u64, sequence u64
	metaSize       = 64 // magic, version, pageSize, flags u32; root bucket; freelist, pgid, txid, checksum u64

	flagBranch   = 0x01
	flagLeaf     = 0x02
	flagMeta     = 0x04
	flagFreelist = 0x10

	leafBucket = 0x01

	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	noFreelist     = ^uint64(0)
	maxTreeDepth   = 64
	minPageSize    = 512
	maxPageSize    = 1 << 20
	maxMetaProbeSz = 64 << 10
)

var le = binary.LittleEndian

// boltMeta is one meta page.
type boltMeta struct {
	page     uint64 // 0 or 1
	pageSize int
	root     uint64 // root bucket's page
	freelist uint64
	pgid     uint64 // high water mark: pages [0, pgid) are in use
	txid     uint64
	err      error // why it is not valid, nil when valid
}

// pageFile is a bbolt file opened for checked reads.
type pageFile struct {
	f        *os.File
	path     string
	size     int64
	pageSize int
	metas    [2]boltMeta
	meta     boltMeta // the one bbolt would use: the valid one with the higher txid
}

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

// openPageFile reads the meta pages of the file at path. A file that is
// empty is not an error: bbolt writes its first pages.
func openPageFile(path string) (*pageFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	pf, err := readPageFile(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	return pf, nil
}

func readPageFile(f *os.File, path string) (*pageFile, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	pf := &pageFile{f: f, path: path, size: st.Size()}
	if pf.size == 0 {
		return pf, nil
	}
	pf.metas[0] = pf.readMeta(0, 0)
	ps := pf.metas[0].pageSize
	if pf.metas[0].err != nil {
		// The page size is in the meta page: without the first, find the
		// second at each size bbolt could have used.
		ps = 0
		for size := minPageSize; size <= maxMetaProbeSz; size *= 2 {
			if m := pf.readMeta(1, int64(size)); m.err == nil && m.pageSize == size {
				ps, pf.metas[1] = size, m
				break
			}
		}
	}
	if ps == 0 {
		pf.metas[1] = boltMeta{page: 1, err: errors.New("not found")}
		return pf, damaged(path, Damage{Msg: fmt.Sprintf("neither meta page is readable (page 0: %v); this is not a store, or its first pages were overwritten", pf.metas[0].err)})
	}
	pf.pageSize = ps
	if pf.metas[0].err == nil {
		pf.metas[1] = pf.readMeta(1, int64(ps))
	}
	a, b := pf.metas[0], pf.metas[1]
	if b.txid > a.txid {
		a, b = b, a
	}
	switch {
	case a.err == nil:
		pf.meta = a
	case b.err == nil:
		pf.meta = b
	default:
		return pf, damaged(path, Damage{Msg: fmt.Sprintf("neither meta page is valid (page 0: %v; page 1: %v)", pf.metas[0].err, pf.metas[1].err)})
	}
	return pf, nil
}

// readMeta reads and validates the meta page at off.
func (pf *pageFile) readMeta(page uint64, off int64) boltMeta {
	m := boltMeta{page: page}
	buf := make([]byte, pageHeaderSize+metaSize)
	if _, err := pf.f.ReadAt(buf, off); err != nil {
		m.err = fmt.Errorf("unreadable: %w", err)
		return m
	}
	if flags := le.Uint16(buf[8:]); flags != flagMeta {
		m.err = fmt.Errorf("not a meta page (flags %#x)", flags)
		return m
	}
	if id := le.Uint64(buf[0:]); id != page {
		// bbolt reads the meta without it, but its check asserts it.
		m.err = fmt.Errorf("its header names page %d", id)
		return m
	}
	b := buf[pageHeaderSize:]
	if le.Uint32(b[0:]) != boltMagic {
		m.err = errors.New("no bbolt magic number")
		return m
	}
	if v := le.Uint32(b[4:]); v != boltVersion {
		m.err = fmt.Errorf("bbolt format version %d, not %d", v, boltVersion)
		return m
	}
	h := fnv.New64a()
	h.Write(b[:56])
	if h.Sum64() != le.Uint64(b[56:]) {
		m.err = errors.New("checksum mismatch")
		return m
	}
	m.pageSize = int(le.Uint32(b[8:]))
	m.root, m.freelist, m.pgid, m.txid = le.Uint64(b[16:]), le.Uint64(b[32:]), le.Uint64(b[40:]), le.Uint64(b[48:])
	if m.pageSize < minPageSize || m.pageSize > maxPageSize || m.pageSize&(m.pageSize-1) != 0 {
		m.err = fmt.Errorf("page size %d", m.pageSize)
	}
	return m
}

func (pf *pageFile) Close() error { return pf.f.Close() }

// page is one page (with its overflow) of the file, read on demand.
type page struct {
	id       uint64
	flags    uint16
	count    int
	overflow uint32
	pf       *pageFile
	off      int64  // of the page in the file
	span     int64  // bytes of the page with its overflow
	head     []byte // the first bytes, read with the header
	inline   []byte // the whole page when it is inline in a bucket value
}

// readPage reads page id's header and checks it against what the tree
// said: in the file, under the high water mark, and naming itself.
func (pf *pageFile) readPage(id uint64) (*page, error) {
	hwm := pf.meta.pgid
	if id < 2 || id >= hwm {
		return nil, fmt.Errorf("a page points to page %d, outside the pages in use (2 to %d)", id, hwm-1)
	}
	off := int64(id) * int64(pf.pageSize)
	if off+int64(pf.pageSize) > pf.size {
		return nil, fmt.Errorf("past the end of the file (%d bytes): the file was cut short", pf.size)
	}
	head := make([]byte, pf.pageSize)
	if _, err := pf.f.ReadAt(head, off); err != nil {
		return nil, fmt.Errorf("unreadable: %w", err)
	}
	p := &page{id: le.Uint64(head[0:]), flags: le.Uint16(head[8:]), count: int(le.Uint16(head[10:])),
		overflow: le.Uint32(head[12:]), pf: pf, off: off, head: head}
	if p.id != id {
		return nil, fmt.Errorf("its header names page %d: it was overwritten", p.id)
	}
	if p.flags != flagBranch && p.flags != flagLeaf {
		return nil, fmt.Errorf("expected a branch or leaf page, found %s", pageType(p.flags))
	}
	if id+uint64(p.overflow) >= hwm {
		return nil, fmt.Errorf("its %d overflow pages run past the pages in use", p.overflow)
	}
	p.span = int64(p.overflow+1) * int64(pf.pageSize)
	if off+p.span > pf.size {
		return nil, fmt.Errorf("its %d overflow pages run past the end of the file: the file was cut short", p.overflow)
	}
	if pageHeaderSize+int64(p.count)*elemSize > p.span {
		return nil, fmt.Errorf("%d elements do not fit in the page", p.count)
	}
	return p, nil
}

func pageType(flags uint16) string {
	switch flags {
	case flagBranch:
		return "a branch page"
	case flagLeaf:
		return "a leaf page"
	case flagMeta:
		return "a meta page"
	case flagFreelist:
		return "a freelist page"
	}
	return fmt.Sprintf("an unknown page type (flags %#x)", flags)
}

// inlinePage is the page stored in an inline bucket's value.
func inlinePage(pf *pageFile, v []byte) (*page, error) {
	if len(v) < pageHeaderSize {
		return nil, errors.New("inline bucket shorter than a page header")
	}
	p := &page{flags: le.Uint16(v[8:]), count: int(le.Uint16(v[10:])), pf: pf, span: int64(len(v)), inline: v}
	if p.flags != flagLeaf {
		return nil, fmt.Errorf("inline bucket holds %s", pageType(p.flags))
	}
	if pageHeaderSize+p.count*elemSize > len(v) {
		return nil, fmt.Errorf("inline bucket: %d elements do not fit", p.count)
	}
	return p, nil
}

// bytes returns n bytes at off within the page, after checking they are.
func (p *page) bytes(off, n int64) ([]byte, error) {
	if off < 0 || n < 0 || off+n > p.span {
		return nil, fmt.Errorf("an element points outside its page (%d+%d of %d bytes)", off, n, p.span)
	}
	switch {
	case p.inline != nil:
		return p.inline[off : off+n], nil
	case off+n <= int64(len(p.head)):
		return p.head[off : off+n], nil
	}
	b := make([]byte, n)
	// ReadAt may answer io.EOF with every byte read, at the end of the file.
	if k, err := p.pf.f.ReadAt(b, p.off+off); err != nil && (!errors.Is(err, io.EOF) || int64(k) != n) {
		return nil, fmt.Errorf("unreadable: %w", err)
	}
	return b, nil
}

// branch returns element i of a branch page: its key and child page.
func (p *page) branch(i int) (key []byte, child uint64, err error) {
	at := int64(pageHeaderSize + i*elemSize)
	e, err := p.bytes(at, elemSize)
	if err != nil {
		return nil, 0, err
	}
	key, err = p.bytes(at+int64(le.Uint32(e[0:])), int64(le.Uint32(e[4:])))
	return key, le.Uint64(e[8:]), err
}

// leaf returns element i of a leaf page.
func (p *page) leaf(i int) (flags uint32, key, value []byte, err error) {
	at := int64(pageHeaderSize + i*elemSize)
	e, err := p.bytes(at, elemSize)
	if err != nil {
		return 0, nil, nil, err
	}
	flags, pos, ksize, vsize := le.Uint32(e[0:]), int64(le.Uint32(e[4:])), int64(le.Uint32(e[8:])), int64(le.Uint32(e[12:]))
	if flags&^leafBucket != 0 {
		return 0, nil, nil, fmt.Errorf("element %d has unknown flags %#x", i, flags)
	}
	if key, err = p.bytes(at+pos, ksize); err != nil {
		return 0, nil, nil, err
	}
	value, err = p.bytes(at+pos+ksize, vsize)
	return flags, key, value, err
}

// bucketValue decodes a bucket's header: its root page, or its inline page.
func bucketValue(pf *pageFile, v []byte) (root uint64, inline *page, err error) {
	if len(v) < bucketHdrSize {
		return 0, nil, fmt.Errorf("bucket header of %d bytes", len(v))
	}
	root = le.Uint64(v[0:])
	if root != 0 {
		return root, nil, nil
	}
	inline, err = inlinePage(pf, v[bucketHdrSize:])
	return 0, inline, err
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
