package bundle

import (
	"bufio"
	"errors"
	"io"

	"github.com/triagectl/triage/sources"
)

// MaxHeaderBytes bounds a bundle's first line. The header holds the alert,
// the options and the sources: a few KiB. A file with no line in its first
// 64 KiB is not a bundle, whatever follows.
const MaxHeaderBytes = 64 << 10

// maxFieldBytes bounds an exchange's line without its bodies: the URL, the
// headers, the error. Those are decoded into strings and maps, which take
// several times their JSON.
const maxFieldBytes = 64 << 10

// The default limits: far above the embedded demo (8 MB of lines, 380 KB
// the longest) and below what the memory of a laptop notices.
const (
	DefaultMaxLineBytes = 16 << 20
	DefaultMaxBytes     = 512 << 20
	DefaultMaxHeldBytes = 32 << 20
)

// Limits bound what reading a bundle may cost, whatever the file holds.
// Zero fields take the defaults. A file over a limit is refused with an
// *Error of ProblemTooLarge naming it.
type Limits struct {
	// MaxLineBytes bounds one decompressed line: an exchange with its
	// body, or the report. The reader holds one line at a time.
	MaxLineBytes int64
	// MaxBytes bounds the whole decompressed stream, and so the time a
	// read takes.
	MaxBytes int64
	// MaxHeldBytes bounds what a read bundle keeps in memory: every body,
	// compressed, and the exchanges' other fields.
	MaxHeldBytes int64
}

// DefaultLimits are the limits a zero Limits takes.
var DefaultLimits = Limits{MaxLineBytes: DefaultMaxLineBytes, MaxBytes: DefaultMaxBytes, MaxHeldBytes: DefaultMaxHeldBytes}

func (l Limits) withDefaults() Limits {
	if l.MaxLineBytes <= 0 {
		l.MaxLineBytes = DefaultMaxLineBytes
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxHeldBytes <= 0 {
		l.MaxHeldBytes = DefaultMaxHeldBytes
	}
	// A line the header cap lets through must pass the line cap too.
	l.MaxLineBytes = max(l.MaxLineBytes, MaxHeaderBytes)
	return l
}

// The names of the limits in ProblemTooLarge errors; the configurable ones
// are the config keys that raise them.
const (
	LimitLine   = "bundle.max_line_bytes"
	LimitTotal  = "bundle.max_bytes"
	LimitHeld   = "bundle.max_held_bytes"
	LimitHeader = "header"
	LimitFields = "exchange fields"
)

func tooLarge(limit string, line int, format string, args ...any) *Error {
	e := problem(ProblemTooLarge, line, nil, format, args...)
	e.Limit = limit
	return e
}

var (
	errLineTooLong = errors.New("line too long")
	errTooMuch     = errors.New("stream too long")
)

// lineReader reads the decompressed stream a line at a time into one
// buffer, reused, and counts every byte against MaxBytes: memory follows
// the longest line allowed, not the file.
type lineReader struct {
	r     *bufio.Reader
	buf   []byte
	total int64
	max   int64
}

// next reads one line without its newline, refusing one longer than limit
// (errLineTooLong) or one past the stream's cap (errTooMuch); whole
// reports whether the newline was there. The line is valid until the next
// call. It returns io.EOF only when nothing is left.
func (lr *lineReader) next(limit int64) (line []byte, whole bool, err error) {
	lr.buf = lr.buf[:0]
	for {
		chunk, err := lr.r.ReadSlice('\n')
		lr.total += int64(len(chunk))
		if lr.total > lr.max {
			return nil, false, errTooMuch
		}
		n := int64(len(lr.buf) + len(chunk))
		if err == nil {
			n-- // the newline
		}
		if n > limit {
			if len(lr.buf) == 0 { // keep its start, to say what it was
				lr.buf = append(lr.buf, chunk[:min(len(chunk), 64)]...)
			}
			return nil, false, errLineTooLong
		}
		lr.append(chunk, limit)
		switch {
		case err == nil:
			return lr.buf[:len(lr.buf)-1], true, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF && len(lr.buf) > 0:
			return lr.buf, false, nil
		}
		return nil, false, err
	}
}

// append grows the buffer by doubling, never past limit and its newline,
// so the longest line allowed costs its size and not twice it.
func (lr *lineReader) append(chunk []byte, limit int64) {
	need := len(lr.buf) + len(chunk)
	if need > cap(lr.buf) {
		c := int(min(max(int64(2*cap(lr.buf)), int64(need), 4<<10), limit+1))
		nb := make([]byte, len(lr.buf), max(c, need))
		copy(nb, lr.buf)
		lr.buf = nb
	}
	lr.buf = append(lr.buf, chunk...)
}

func (l Limits) lineError(err error, n int, limit int64) *Error {
	switch err {
	case errTooMuch:
		return tooLarge(LimitTotal, n, "more than %s of lines; raise %s to read it, if you trust the file",
			sources.FormatBytes(l.MaxBytes), LimitTotal)
	case errLineTooLong:
		if n == 1 {
			return tooLarge(LimitHeader, n, "a first line longer than %s", sources.FormatBytes(limit))
		}
		return tooLarge(LimitLine, n, "a line longer than %s; raise %s to read it, if you trust the file",
			sources.FormatBytes(limit), LimitLine)
	}
	return nil
}

func (l Limits) heldError(n int) *Error {
	return tooLarge(LimitHeld, n, "its exchanges and report would take more than %s in memory; raise %s to read it, if you trust the file",
		sources.FormatBytes(l.MaxHeldBytes), LimitHeld)
}

// decodedCost estimates what valid JSON takes once decoded: its bytes,
// and for each object, key and element the struct, map entry or slice slot
// it fills. Its size alone says little: "{}," is three bytes and may
// decode into a struct of a hundred.
func decodedCost(raw []byte) int64 {
	var objects, keys, elems int64
	inString, escaped := false, false
	for _, c := range raw {
		switch {
		case escaped:
			escaped = false
		case inString:
			switch c {
			case '\\':
				escaped = true
			case '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{':
			objects++
		case c == ':':
			keys++
		case c == '[' || c == ',':
			elems++
		}
	}
	return int64(len(raw)) + 160*objects + 64*keys + 32*elems
}
