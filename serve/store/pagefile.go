package store

import (
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
