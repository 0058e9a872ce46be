package bundle

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/triage"
)

// rawJSON keeps a value's JSON as the line holds it, uncopied: it is valid
// until the next line is read, and is packed or decoded before then.
type rawJSON []byte

func (r *rawJSON) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*r = nil
		return nil
	}
	*r = b
	return nil
}

// wireLine is a line as read: what the reader holds is copied out of it.
type wireLine struct {
	Type     string        `json:"type"`
	Exchange *wireExchange `json:"exchange"`
	Report   rawJSON       `json:"report"`
	End      *End          `json:"end"`
}

// wireExchange is Exchange with its header and bodies left as JSON, so
// their size is checked before they are decoded.
type wireExchange struct {
	Seq         int       `json:"seq"`
	Phase       string    `json:"phase"`
	Source      string    `json:"source"`
	Op          string    `json:"op"`
	Method      string    `json:"method"`
	URL         string    `json:"url"`
	RequestBody rawJSON   `json:"request_body"`
	Status      int       `json:"status"`
	Header      rawJSON   `json:"header"`
	Body        rawJSON   `json:"body"`
	Started     time.Time `json:"started"`
	DurationMS  float64   `json:"duration_ms"`
	Error       string    `json:"error"`
	ErrorKind   string    `json:"error_kind"`
}

// lineDecoder turns lines into a Bundle, checking each and what the bundle
// holds against the limits.
type lineDecoder struct {
	limits  Limits
	b       *Bundle
	pk      *packer
	n       int // lines read
	lastSeq int
	end     *End
	reports int
	report  packed // the last report's JSON
	repCost int64  // its decodedCost, counted as held
	repLine int
}

func (d *lineDecoder) line(raw []byte, whole bool) error {
	n := d.n
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	if d.end != nil {
		return problem(ProblemCorrupted, n, nil, "data after the end line")
	}
	if n == 1 {
		if err := readHeader(raw, &d.b.Header); err != nil {
			if !whole && !json.Valid(raw) && bytes.HasPrefix(raw, []byte(`{"type":"header"`)) {
				return problem(ProblemTruncated, n, nil, "the header line is cut short")
			}
			return err
		}
		return nil
	}
	var l wireLine
	if err := json.Unmarshal(raw, &l); err != nil {
		if !whole {
			return problem(ProblemTruncated, n, err, "the last line is cut short")
		}
		return problem(ProblemCorrupted, n, err, "not a JSON line: %s", sources.OneLine(err.Error(), 120))
	}
	switch l.Type {
	case typeExchange:
		return d.exchange(len(raw), l.Exchange)
	case typeReport:
		return d.reportLine(l.Report)
	case typeEnd:
		if l.End == nil {
			return problem(ProblemCorrupted, n, nil, "end line without counts")
		}
		d.end = l.End
		if d.end.Exchanges != d.b.Len() || d.end.Reports != d.reports {
			return problem(ProblemCorrupted, n, nil, "the end line counts %d exchanges and %d reports, the file holds %d and %d",
				d.end.Exchanges, d.end.Reports, d.b.Len(), d.reports)
		}
		return nil
	case typeHeader:
		return problem(ProblemCorrupted, n, nil, "a second header line")
	}
	return problem(ProblemCorrupted, n, nil, "unknown line type %q", sources.OneLine(l.Type, 40))
}

func (d *lineDecoder) exchange(lineLen int, w *wireExchange) error {
	n := d.n
	if w == nil {
		return problem(ProblemCorrupted, n, nil, "exchange line without its exchange")
	}
	fields := lineLen - len(w.Body) - len(w.RequestBody)
	if fields > maxFieldBytes {
		return tooLarge(LimitFields, n, "an exchange whose url, headers and error take %s, over %s",
			sources.FormatBytes(int64(fields)), sources.FormatBytes(maxFieldBytes))
	}
	e := Exchange{Seq: w.Seq, Phase: w.Phase, Source: w.Source, Op: w.Op, Method: w.Method, URL: w.URL,
		Status: w.Status, Started: w.Started, DurationMS: w.DurationMS, Error: w.Error, ErrorKind: w.ErrorKind}
	if len(w.Header) > 0 {
		if err := json.Unmarshal(w.Header, &e.Header); err != nil {
			return problem(ProblemCorrupted, n, err, "exchange header: %s", sources.OneLine(err.Error(), 120))
		}
	}
	if err := e.RequestBody.UnmarshalJSON(w.RequestBody); len(w.RequestBody) > 0 && err != nil {
		return problem(ProblemCorrupted, n, err, "exchange request_body: %s", sources.OneLine(err.Error(), 120))
	}
	if err := checkBody(w.Body); err != nil {
		return problem(ProblemCorrupted, n, err, "exchange body: %s", sources.OneLine(err.Error(), 120))
	}
	switch {
	case e.Source == "" || e.Method == "" || e.URL == "":
		return problem(ProblemCorrupted, n, nil, "exchange without source, method or url")
	case e.Status == 0 && e.Error == "":
		return problem(ProblemCorrupted, n, nil, "exchange with neither a status nor an error")
	case d.b.Len() > 0 && e.Seq <= d.lastSeq:
		return problem(ProblemCorrupted, n, nil, "exchange seq %d after seq %d: lines out of order", e.Seq, d.lastSeq)
	}
	d.lastSeq = e.Seq
	s := stored{ex: e, body: d.b.bodies.add(w.Body)}
	// The URL once more for the replay's request key.
	d.b.held += int64(fields) + decodedCost(w.Header) + int64(len(e.RequestBody)+len(e.URL)) + heldOverhead
	if d.b.HeldBytes() > d.limits.MaxHeldBytes {
		return d.limits.heldError(n)
	}
	d.b.exchanges.add(s)
	return nil
}

// checkBody checks a body's JSON: a string (valid, as the line is), or
// {"base64": "…"} of valid base64, decoded in passing, never held whole.
func checkBody(raw rawJSON) error {
	if len(raw) == 0 || raw[0] == '"' {
		return nil
	}
	var o struct {
		B64 rawJSON `json:"base64"`
	}
	if raw[0] != '{' || json.Unmarshal(raw, &o) != nil || len(o.B64) < 2 || o.B64[0] != '"' {
		return errors.New(`want a string or {"base64": …}`)
	}
	var src io.Reader
	if s := o.B64[1 : len(o.B64)-1]; bytes.IndexByte(s, '\\') < 0 {
		src = bytes.NewReader(s)
	} else {
		var str string
		if err := json.Unmarshal(o.B64, &str); err != nil {
			return err
		}
		src = strings.NewReader(str)
	}
	if _, err := io.Copy(io.Discard, base64.NewDecoder(base64.StdEncoding, src)); err != nil {
		return fmt.Errorf("base64: %w", err)
	}
	return nil
}

// reportLine checks a report's version and size; only the last one is
// decoded, at the end.
func (d *lineDecoder) reportLine(raw rawJSON) error {
	n := d.n
	var probe struct {
		Version int `json:"version"`
	}
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &probe) != nil {
		return problem(ProblemCorrupted, n, nil, "report line without a report")
	}
	if probe.Version > triage.ReportVersion {
		e := problem(ProblemNewerVersion, n, nil, "report version %d; this triage reads up to version %d", probe.Version, triage.ReportVersion)
		e.Version = probe.Version
		return e
	}
	// Only the last report is decoded, at the end; what it will take
	// counts now, so a report of many tiny values is refused unread.
	d.b.held -= d.report.size() + d.repCost
	d.report, d.repCost = d.pk.pack(raw), decodedCost(raw)
	d.b.held += d.report.size() + d.repCost
	if d.b.HeldBytes() > d.limits.MaxHeldBytes {
		return d.limits.heldError(n)
	}
	d.reports++
	d.repLine = n
	return nil
}

func (d *lineDecoder) finish() (*Bundle, error) {
	if d.n == 0 {
		return nil, problem(ProblemTruncated, 0, nil, "no header line: the bundle is empty")
	}
	if d.end == nil {
		return nil, problem(ProblemTruncated, d.n, nil, "no end line after %d exchanges (an interrupted recording or a partial copy?)", d.b.Len())
	}
	d.b.bodies.flush()
	d.b.bodies.cur = nil
	d.b.bodies.pk = nil
	if d.reports > 0 {
		raw, err := d.report.json()
		if err != nil {
			return nil, err
		}
		r, err := decodeReport(d.repLine, raw)
		if err != nil {
			return nil, err
		}
		d.b.Report = r
	}
	return d.b, nil
}
