package bundle

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"iter"
	"sync"
)

// A read bundle holds the bodies' JSON from the file, one after another,
// in segments of about 128 KiB compressed each on its own: about what the
// file takes on disk, and a body asked for costs inflating its segment,
// not reading the file again. (Compressed body by body, the demo's bodies
// take twice as much and read slower: a body alone shares nothing with
// those before it.) The JSON is kept rather than the bytes it stands for,
// so reading never unescapes a body that no one asks for.

// segmentSize is the raw size at which a segment is closed and compressed.
const segmentSize = 128 << 10

// packMin is the size under which a body is kept as it is: compressing it
// would save less than the bookkeeping costs.
const packMin = 256

// heldOverhead is what an exchange costs held besides its bodies and
// fields: the struct, its index entry.
const heldOverhead = 256

// packed is one value's JSON, flate-compressed when z.
type packed struct {
	data []byte
	n    int // length of the JSON
	z    bool
}

func (p packed) size() int64 { return int64(len(p.data)) }

// packer compresses values one at a time with one compressor.
type packer struct {
	buf bytes.Buffer
}

// deflaters keeps compressors between reads: each is about a megabyte.
var deflaters sync.Pool

func (p *packer) pack(raw []byte) packed {
	if len(raw) < packMin {
		return packed{data: bytes.Clone(raw), n: len(raw)}
	}
	p.buf.Reset()
	zw, _ := deflaters.Get().(*flate.Writer)
	if zw == nil {
		zw, _ = flate.NewWriter(&p.buf, flate.BestSpeed) // BestSpeed is a valid level
	} else {
		zw.Reset(&p.buf)
	}
	_, _ = zw.Write(raw) // a bytes.Buffer does not fail
	_ = zw.Close()
	deflaters.Put(zw)
	if p.buf.Len() >= len(raw) {
		return packed{data: bytes.Clone(raw), n: len(raw)}
	}
	return packed{data: bytes.Clone(p.buf.Bytes()), n: len(raw), z: true}
}

var inflaters sync.Pool // of flate readers, which also are flate.Resetters

// json is the value's JSON again.
func (p packed) json() ([]byte, error) {
	if !p.z {
		return p.data, nil
	}
	src := bytes.NewReader(p.data)
	zr, _ := inflaters.Get().(io.ReadCloser)
	if zr == nil {
		zr = flate.NewReader(src)
	} else if err := zr.(flate.Resetter).Reset(src, nil); err != nil {
		return nil, err
	}
	defer inflaters.Put(zr)
	out := make([]byte, p.n)
	if _, err := io.ReadFull(zr, out); err != nil {
		return nil, fmt.Errorf("bundle: unpacking a held body: %w", err)
	}
	return out, nil
}

// bodies are the exchanges' bodies as held.
type bodies struct {
	segs []packed // compressed, in order
	cur  []byte   // the segment being filled
	pk   *packer

	mu       sync.Mutex // over the inflated segments, which replays share
	inflated []inflated // the last inflatedKept segments asked for, newest last
}

// inflated is one segment inflated.
type inflated struct {
	seg  int
	json []byte
}

// inflatedKept is how many inflated segments a bundle keeps: a replay
// fetches traces several at a time, whose bodies lie in different
// segments; keeping one inflated them three times over for the demo.
const inflatedKept = 4

// bodyRef places a body's JSON in the segments; n is 0 for none.
type bodyRef struct {
	seg, off, n int
}

func newBodies(pk *packer) *bodies { return &bodies{pk: pk} }

// add appends a body's JSON, which may be the line's and is copied.
func (h *bodies) add(raw []byte) bodyRef {
	if len(raw) == 0 {
		return bodyRef{}
	}
	if len(raw) >= segmentSize {
		// A segment of its own, packed from the line: copying it first
		// would cost its size again.
		h.flush()
		h.segs = append(h.segs, h.pk.pack(raw))
		return bodyRef{seg: len(h.segs) - 1, n: len(raw)}
	}
	r := bodyRef{seg: len(h.segs), off: len(h.cur), n: len(raw)}
	h.cur = append(h.cur, raw...)
	if len(h.cur) >= segmentSize {
		h.flush()
	}
	return r
}

// flush closes the segment being filled.
func (h *bodies) flush() {
	if len(h.cur) == 0 {
		return
	}
	h.segs = append(h.segs, h.pk.pack(h.cur))
	h.cur = h.cur[:0]
}

// size is what the bodies hold, the segment being filled included.
func (h *bodies) size() int64 {
	if h == nil {
		return 0
	}
	n := int64(cap(h.cur))
	for _, s := range h.segs {
		n += s.size()
	}
	return n
}

// body decodes the body at r.
func (h *bodies) body(r bodyRef) (Body, error) {
	if r.n == 0 || h == nil {
		return nil, nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	seg, err := h.segment(r.seg)
	if err != nil {
		return nil, err
	}
	var b Body
	err = b.UnmarshalJSON(seg[r.off : r.off+r.n])
	return b, err
}

// segment is segment i inflated, from those kept when it is one.
func (h *bodies) segment(i int) ([]byte, error) {
	for k, in := range h.inflated {
		if in.seg == i {
			// Newest last, so that the oldest goes first.
			h.inflated = append(append(h.inflated[:k:k], h.inflated[k+1:]...), in)
			return in.json, nil
		}
	}
	raw, err := h.segs[i].json()
	if err != nil {
		return nil, err
	}
	if len(h.inflated) == inflatedKept {
		h.inflated = h.inflated[1:]
	}
	h.inflated = append(h.inflated, inflated{seg: i, json: raw})
	return raw, nil
}

// stored is one exchange as held: its fields decoded, its answer's body
// in the segments.
type stored struct {
	ex   Exchange // Body nil
	body bodyRef
}

// chunks holds the exchanges in chunks of a fixed size: growing never
// copies them all, which for many small exchanges would take their size
// again for a moment.
type chunks struct {
	c [][]stored
	n int
}

const chunkLen = 256

func (c *chunks) add(s stored) {
	if c.n%chunkLen == 0 {
		c.c = append(c.c, make([]stored, 0, chunkLen))
	}
	last := &c.c[len(c.c)-1]
	*last = append(*last, s)
	c.n++
}

func (c *chunks) at(i int) *stored { return &c.c[i/chunkLen][i%chunkLen] }

// unpack returns the i-th exchange with its body.
func (b *Bundle) unpack(i int) (Exchange, error) {
	s := b.exchanges.at(i)
	e := s.ex
	body, err := b.bodies.body(s.body)
	if err != nil {
		return e, fmt.Errorf("bundle: exchange %d: body: %w", e.Seq, err)
	}
	e.Body = body
	return e, nil
}

// Len is the number of exchanges, in the order they were written.
func (b *Bundle) Len() int { return b.exchanges.n }

// Exchange returns the i-th exchange (0 ≤ i < Len) with its body.
func (b *Bundle) Exchange(i int) (Exchange, error) { return b.unpack(i) }

// Exchanges yields the exchanges in order, each with its body unpacked
// when its turn comes.
func (b *Bundle) Exchanges() iter.Seq2[Exchange, error] {
	return func(yield func(Exchange, error) bool) {
		for i := range b.exchanges.n {
			if !yield(b.unpack(i)) {
				return
			}
		}
	}
}

// HeldBytes is about what the bundle keeps in memory for its exchanges,
// as counted against Limits.MaxHeldBytes.
func (b *Bundle) HeldBytes() int64 { return b.held + b.bodies.size() }
