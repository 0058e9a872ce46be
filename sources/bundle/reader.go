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

// MaxLineBytes bounds one decompressed line: a 64 MiB body (the clients'
// cap) fits with room for escaping, and a hostile file cannot make the
// reader hold more.
const MaxLineBytes = 512 << 20

// Bundle is a bundle read whole.
type Bundle struct {
	Header    Header
	Exchanges []Exchange // in the order they were written
	// Report is the last report written; nil when the bundle has none.
	Report *triage.Report
}

// ReadFile reads the bundle at path.
func ReadFile(path string) (*Bundle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// Parse reads a bundle held in memory.
func Parse(data []byte) (*Bundle, error) { return Read(bytes.NewReader(data)) }

// Read reads a whole bundle: gzip'd JSON lines, or the same lines
// uncompressed. Whatever the input, it returns a bundle or an *Error
// naming the problem; it never panics.
func Read(r io.Reader) (*Bundle, error) {
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
		return readLines(br)
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, streamError(0, err)
	}
	defer zr.Close()
	// One gzip member: the writer never writes more, so bytes after it
	// are damage, not a second stream.
	zr.Multistream(false)
	b, err := readLines(bufio.NewReaderSize(zr, 64<<10))
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

// readLine reads one line without its newline, refusing lines over
// MaxLineBytes; whole reports whether the newline was there. It returns
// io.EOF only when nothing is left.
func readLine(r *bufio.Reader) (b []byte, whole bool, err error) {
	var buf []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(buf)+len(chunk) > MaxLineBytes {
			return nil, false, errLineTooLong
		}
		buf = append(buf, chunk...)
		switch {
		case err == nil:
			return buf[:len(buf)-1], true, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF && len(buf) > 0:
			return buf, false, nil
		}
		return nil, false, err
	}
}

var errLineTooLong = fmt.Errorf("line longer than %s", sources.FormatBytes(MaxLineBytes))

func readLines(r *bufio.Reader) (*Bundle, error) {
	b := &Bundle{}
	var end *End
	reports, n := 0, 0
	for {
		raw, whole, err := readLine(r)
		if err == io.EOF {
			break
		}
		n++
		if err == errLineTooLong {
			return nil, problem(ProblemCorrupted, n, err, "%v", err)
		}
		if err != nil {
			return nil, streamError(n, err)
		}
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		if end != nil {
			return nil, problem(ProblemCorrupted, n, nil, "data after the end line")
		}
		if n == 1 {
			if err := readHeader(raw, &b.Header); err != nil {
				if !whole && !json.Valid(raw) && bytes.HasPrefix(raw, []byte(`{"type":"header"`)) {
					return nil, problem(ProblemTruncated, n, nil, "the header line is cut short")
				}
				return nil, err
			}
			continue
		}
		var l line
		if err := json.Unmarshal(raw, &l); err != nil {
			if !whole {
				return nil, problem(ProblemTruncated, n, err, "the last line is cut short")
			}
			return nil, problem(ProblemCorrupted, n, err, "not a JSON line: %s", sources.OneLine(err.Error(), 120))
		}
		switch l.Type {
		case typeExchange:
			if err := checkExchange(l.Exchange, b.Exchanges); err != "" {
				return nil, problem(ProblemCorrupted, n, nil, "exchange %s", err)
			}
			b.Exchanges = append(b.Exchanges, *l.Exchange)
		case typeReport:
			rep, err := readReport(n, l.Report)
			if err != nil {
				return nil, err
			}
			b.Report = rep
			reports++
		case typeEnd:
			if l.End == nil {
				return nil, problem(ProblemCorrupted, n, nil, "end line without counts")
			}
			end = l.End
			if end.Exchanges != len(b.Exchanges) || end.Reports != reports {
				return nil, problem(ProblemCorrupted, n, nil, "the end line counts %d exchanges and %d reports, the file holds %d and %d",
					end.Exchanges, end.Reports, len(b.Exchanges), reports)
			}
		case typeHeader:
			return nil, problem(ProblemCorrupted, n, nil, "a second header line")
		default:
			return nil, problem(ProblemCorrupted, n, nil, "unknown line type %q", sources.OneLine(l.Type, 40))
		}
	}
	if n == 0 {
		return nil, problem(ProblemTruncated, 0, nil, "no header line: the bundle is empty")
	}
	if end == nil {
		return nil, problem(ProblemTruncated, n, nil, "no end line after %d exchanges (an interrupted recording or a partial copy?)", len(b.Exchanges))
	}
	return b, nil
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

func checkExchange(e *Exchange, before []Exchange) string {
	switch {
	case e == nil:
		return "line without its exchange"
	case e.Source == "" || e.Method == "" || e.URL == "":
		return "without source, method or url"
	case e.Status == 0 && e.Error == "":
		return "with neither a status nor an error"
	case len(before) > 0 && e.Seq <= before[len(before)-1].Seq:
		return fmt.Sprintf("seq %d after seq %d: lines out of order", e.Seq, before[len(before)-1].Seq)
	}
	return ""
}

func readReport(n int, raw json.RawMessage) (*triage.Report, error) {
	var probe struct {
		Version int `json:"version"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &probe) != nil {
		return nil, problem(ProblemCorrupted, n, nil, "report line without a report")
	}
	if probe.Version > triage.ReportVersion {
		e := problem(ProblemNewerVersion, n, nil, "report version %d; this triage reads up to version %d", probe.Version, triage.ReportVersion)
		e.Version = probe.Version
		return nil, e
	}
	var r triage.Report
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, problem(ProblemCorrupted, n, err, "report: %s", sources.OneLine(err.Error(), 120))
	}
	return &r, nil
}
