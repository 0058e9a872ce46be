package bundle

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/triage"
)

// Bundle is a bundle read: its header and report decoded, its exchanges
// held with their bodies compressed (Len, Exchange), for a Replay.
type Bundle struct {
	Header Header
	// Report is the last report written; nil when the bundle has none.
	Report *triage.Report

	exchanges chunks // in the order they were written
	bodies    *bodies
	held      int64 // the exchanges' fields and the report, as counted
}

// ReadFile reads the bundle at path within the default limits.
func ReadFile(path string) (*Bundle, error) { return Limits{}.ReadFile(path) }

// Parse reads a bundle held in memory within the default limits.
func Parse(data []byte) (*Bundle, error) { return Limits{}.Read(bytes.NewReader(data)) }

// Read reads a bundle within the default limits.
func Read(r io.Reader) (*Bundle, error) { return Limits{}.Read(r) }

// ReadFile reads the bundle at path within l.
func (l Limits) ReadFile(path string) (*Bundle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := l.Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// Parse reads a bundle held in memory within l.
func (l Limits) Parse(data []byte) (*Bundle, error) { return l.Read(bytes.NewReader(data)) }

// Read reads a bundle, gzip'd JSON lines or the same lines uncompressed,
// one line at a time within l. Whatever the input, it returns a bundle or
// an *Error naming the problem; it never panics.
func (l Limits) Read(r io.Reader) (*Bundle, error) {
	l = l.withDefaults()
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(2)
	switch {
	case len(head) == 0 && (err == io.EOF || err == nil):
		return nil, problem(ProblemTruncated, 0, nil, "the file is empty")
	case err != nil && err != io.EOF:
		return nil, err
	}
	if len(head) < 2 || head[0] != 0x1f || head[1] != 0x8b {
		if head[0] != '{' {
			return nil, problem(ProblemNotBundle, 0, nil, "neither gzip nor JSON lines (starts with %q)", head)
		}
		return l.readLines(br)
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, streamError(0, err)
	}
	defer zr.Close()
	// One gzip member: the writer never writes more, so bytes after it
	// are damage, not a second stream.
	zr.Multistream(false)
	b, err := l.readLines(bufio.NewReaderSize(zr, 64<<10))
	if err != nil {
		return nil, err
	}
	if _, err := br.Peek(1); err == nil {
		return nil, problem(ProblemCorrupted, 0, nil, "unexpected bytes after the compressed stream")
	}
	return b, nil
}

// streamError classifies a failure of the compressed stream.
func streamError(line int, err error) error {
	var corrupt flate.CorruptInputError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return problem(ProblemTruncated, line, err, "the compressed stream ends early (an interrupted recording or a partial copy?)")
	case errors.Is(err, gzip.ErrChecksum):
		return problem(ProblemCorrupted, line, err, "gzip checksum mismatch: the bytes were changed")
	case errors.Is(err, gzip.ErrHeader):
		return problem(ProblemCorrupted, line, err, "invalid gzip header")
	case errors.As(err, &corrupt):
		return problem(ProblemCorrupted, line, err, "broken compression: %v", err)
	}
	return problem(ProblemCorrupted, line, err, "%v", err)
}

func (l Limits) readLines(r *bufio.Reader) (*Bundle, error) {
	lr := &lineReader{r: r, max: l.MaxBytes}
	pk := &packer{}
	rd := lineDecoder{limits: l, pk: pk, b: &Bundle{bodies: newBodies(pk)}}
	for {
		limit := l.MaxLineBytes
		if rd.n == 0 {
			limit = MaxHeaderBytes
		}
		raw, whole, err := lr.next(limit)
		if err == io.EOF {
			break
		}
		rd.n++
		if e := l.lineError(err, rd.n, limit); e != nil {
			if rd.n == 1 && !bytes.HasPrefix(lr.buf, []byte(`{"type":"header"`)) {
				return nil, problem(ProblemNotBundle, 1, nil, "no line in the first %s: not JSON lines", sources.FormatBytes(MaxHeaderBytes))
			}
			return nil, e
		}
		if err != nil {
			return nil, streamError(rd.n, err)
		}
		if err := rd.line(raw, whole); err != nil {
			return nil, err
		}
	}
	return rd.finish()
}

// readHeader checks the format and version before decoding the rest, so a
// newer bundle is refused by its version, not by a field it changed.
func readHeader(raw []byte, h *Header) error {
	var probe struct {
		Type   string `json:"type"`
		Header *struct {
			Format  string `json:"format"`
			Version int    `json:"version"`
		} `json:"header"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil || probe.Type != typeHeader || probe.Header == nil || probe.Header.Format != Format {
		return problem(ProblemNotBundle, 1, err, "the first line is not a %s header", Format)
	}
	switch v := probe.Header.Version; {
	case v > Version:
		e := problem(ProblemNewerVersion, 1, nil, "format version %d; this triage reads up to version %d: upgrade triage to open it", v, Version)
		e.Version = v
		return e
	case v < 1:
		return problem(ProblemCorrupted, 1, nil, "format version %d is not a version", v)
	}
	var l line
	if err := json.Unmarshal(raw, &l); err != nil {
		return problem(ProblemCorrupted, 1, err, "header: %s", sources.OneLine(err.Error(), 120))
	}
	if l.Header.Options.Now.IsZero() {
		return problem(ProblemCorrupted, 1, nil, "header without options.now: the investigation's clock is unknown")
	}
	*h = *l.Header
	return nil
}

// decodeReport decodes a report whose version and size were checked.
func decodeReport(n int, raw []byte) (*triage.Report, error) {
	var r triage.Report
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, problem(ProblemCorrupted, n, err, "report: %s", sources.OneLine(err.Error(), 120))
	}
	return &r, nil
}
