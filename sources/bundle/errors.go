package bundle

import "fmt"

// Problem says what is wrong with a file that could not be read as a
// bundle.
type Problem string

// The problems a reader reports.
const (
	// ProblemNotBundle: the file is not an incident bundle at all.
	ProblemNotBundle Problem = "not a bundle"
	// ProblemTruncated: the file ends early, e.g. an interrupted recording
	// or a partial copy.
	ProblemTruncated Problem = "truncated"
	// ProblemCorrupted: the bytes were changed: a bad checksum, broken
	// compression, a line that is not what its type says.
	ProblemCorrupted Problem = "corrupted"
	// ProblemNewerVersion: written by a newer Triage in a format version
	// this one does not know.
	ProblemNewerVersion Problem = "newer version"
	// ProblemTooLarge: the file is over a reading limit (Error.Limit names
	// it): a line, the decompressed total, or what the bundle would hold.
	ProblemTooLarge Problem = "too large"
)

// Sentinels for errors.Is: errors.Is(err, bundle.ErrTruncated).
var (
	ErrNotBundle    = &Error{Problem: ProblemNotBundle}
	ErrTruncated    = &Error{Problem: ProblemTruncated}
	ErrCorrupted    = &Error{Problem: ProblemCorrupted}
	ErrNewerVersion = &Error{Problem: ProblemNewerVersion}
	ErrTooLarge     = &Error{Problem: ProblemTooLarge}
)

// Error is the one error type the reader returns.
type Error struct {
	Problem Problem
	Line    int    // 1-based line of the decompressed stream, 0 when not known
	Version int    // the file's version, for ProblemNewerVersion
	Limit   string // the limit reached, for ProblemTooLarge: LimitLine…
	Msg     string // what was found, one line
	Err     error
}

// titles lead each problem's message.
var titles = map[Problem]string{
	ProblemNotBundle:    "not an incident bundle",
	ProblemTruncated:    "truncated bundle",
	ProblemCorrupted:    "corrupted bundle",
	ProblemNewerVersion: "bundle from a newer triage",
	ProblemTooLarge:     "bundle over a reading limit",
}

func (e *Error) Error() string {
	s := titles[e.Problem]
	if s == "" {
		s = "bad bundle (" + string(e.Problem) + ")"
	}
	if e.Line > 0 {
		s += fmt.Sprintf(" at line %d", e.Line)
	}
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Is matches on Problem, so the sentinels work with errors.Is.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Problem == e.Problem
}

func problem(p Problem, line int, err error, format string, args ...any) *Error {
	return &Error{Problem: p, Line: line, Msg: fmt.Sprintf(format, args...), Err: err}
}
