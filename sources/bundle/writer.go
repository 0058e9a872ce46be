package bundle

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/triage"
)

// Writer writes a bundle as the investigation runs. Record is safe for
// concurrent use, so it can be every client's OnExchange hook at once.
type Writer struct {
	mu      sync.Mutex
	zw      *gzip.Writer
	enc     *json.Encoder
	file    *os.File // set by Create
	path    string   // the final name; the file is written beside it
	phase   string
	seq     int
	reports int
	// last holds, per request, a hash of the answer last written. After
	// the investigation an identical answer to the same request adds
	// nothing a replay would not give: it repeats the last answer. During
	// it every answer is kept, so a replay gives them in the same order.
	last   map[string][32]byte
	err    error
	closed bool
}

// NewWriter starts a bundle on w with h as its header; the zero Format,
// Version and Created are filled in. Exchanges are PhaseInvestigation until
// SetPhase or WriteReport.
func NewWriter(w io.Writer, h Header) (*Writer, error) {
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	zw.Comment = Format
	enc := json.NewEncoder(zw)
	enc.SetEscapeHTML(false)
	bw := &Writer{zw: zw, enc: enc, phase: PhaseInvestigation, last: map[string][32]byte{}}
	h.Format, h.Version = Format, Version
	if h.Created.IsZero() {
		h.Created = time.Now().UTC()
	}
	h.Sources = append([]Source(nil), h.Sources...)
	for i := range h.Sources {
		h.Sources[i].URL = cleanURL(h.Sources[i].URL)
	}
	hl, err := headerLine(h)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(hl); err != nil {
		return nil, err
	}
	return bw, nil
}

// headerLine is the header's line, within what a reader takes
// (MaxHeaderBytes): when the alert's annotations would take it over, they
// are left out, and a note says so; a header over it without them is an
// error.
func headerLine(h Header) ([]byte, error) {
	enc := func(h Header) ([]byte, error) {
		var buf bytes.Buffer
		e := json.NewEncoder(&buf)
		e.SetEscapeHTML(false)
		err := e.Encode(line{Type: typeHeader, Header: &h})
		return buf.Bytes(), err
	}
	b, err := enc(h)
	if err != nil || len(b)-1 <= MaxHeaderBytes {
		return b, err
	}
	size := len(b) - 1
	if len(h.Alert.Annotations) > 0 {
		h.Alert.Annotations = map[string]string{AnnotationsLeftOut: fmt.Sprintf(
			"the alert's annotations were left out: with them the bundle's header took %s, over the %s a reader takes",
			sources.FormatBytes(int64(size)), sources.FormatBytes(MaxHeaderBytes))}
		if b, err = enc(h); err != nil || len(b)-1 <= MaxHeaderBytes {
			return b, err
		}
	}
	return nil, fmt.Errorf("bundle: the header takes %s, over the %s a reader takes: the alert's labels are too long to record",
		sources.FormatBytes(int64(size)), sources.FormatBytes(MaxHeaderBytes))
}

// AnnotationsLeftOut is the annotation that replaces an alert's
// annotations too long for a bundle's header.
const AnnotationsLeftOut = "triage_annotations_left_out"

// Create writes a bundle to path. The file appears under its name only when
// Close succeeds, so a failed recording never replaces a good bundle.
func Create(path string, h Header) (*Writer, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.partial")
	if err != nil {
		return nil, err
	}
	w, err := NewWriter(f, h)
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	w.file, w.path = f, path
	return w, nil
}

// SetPhase sets the phase of the exchanges recorded from now on.
func (w *Writer) SetPhase(phase string) {
	w.mu.Lock()
	w.phase = phase
	w.mu.Unlock()
}

// Record writes one exchange; it has the signature of sources.Client's
// OnExchange. Credentials in the URL and in headers are not written, and a
// request cancelled by its caller (a page closed mid-flight) is skipped:
// it says nothing about the backend. A write error is kept for Close.
func (w *Writer) Record(ex sources.Exchange) {
	if errors.Is(ex.Err, context.Canceled) {
		return
	}
	rec := Exchange{Source: ex.Source, Op: ex.Op, Method: ex.Method, URL: cleanURL(ex.URL),
		RequestBody: Body(ex.Request), Status: ex.Status, Header: keepHeaders(ex.Header),
		Body: Body(ex.Body), Started: ex.Started.UTC(), DurationMS: float64(ex.Duration.Microseconds()) / 1000}
	if ex.Err != nil {
		rec.ErrorKind, rec.Error = failure(ex)
	}
	key := requestKey(rec.Source, rec.Method, rec.URL, rec.RequestBody)
	answer := answerHash(rec)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || w.err != nil {
		return
	}
	if h, ok := w.last[key]; ok && h == answer && w.phase != PhaseInvestigation {
		return
	}
	w.last[key] = answer
	w.seq++
	rec.Seq, rec.Phase = w.seq, w.phase
	w.err = w.enc.Encode(line{Type: typeExchange, Exchange: &rec})
}

// WriteReport writes the investigation's report. Exchanges recorded after
// it are drill-down: the console's requests, answered without pacing.
func (w *Writer) WriteReport(r *triage.Report) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return errors.New("bundle: write report after close")
	}
	if w.err != nil {
		return w.err
	}
	w.reports++
	w.phase = PhaseDrillDown
	w.err = w.enc.Encode(line{Type: typeReport, Report: bytes.TrimSpace(buf.Bytes())})
	return w.err
}

// Exchanges is the number of exchanges written so far.
func (w *Writer) Exchanges() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seq
}

// Close writes the end line and flushes; with Create it then gives the
// file its name. Close returns the first error of any write.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err == nil {
		w.err = w.enc.Encode(line{Type: typeEnd, End: &End{Exchanges: w.seq, Reports: w.reports}})
	}
	if err := w.zw.Close(); w.err == nil {
		w.err = err
	}
	if w.file == nil {
		return w.err
	}
	if err := w.file.Close(); w.err == nil {
		w.err = err
	}
	if w.err == nil {
		w.err = os.Rename(w.file.Name(), w.path)
	}
	if w.err != nil {
		os.Remove(w.file.Name())
	}
	return w.err
}

// Abort stops a bundle made by Create and removes its partial file.
func (w *Writer) Abort() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	w.closed = true
	if w.err == nil {
		w.err = errors.New("bundle: aborted")
	}
	w.zw.Close()
	if w.file != nil {
		w.file.Close()
		os.Remove(w.file.Name())
	}
}

// failure classifies a failed attempt as the client did, with the
// message it gave ("connection refused"), so a replay fails the same way.
func failure(ex sources.Exchange) (kind, msg string) {
	if ex.Body == nil && ex.Status != 0 && strings.Contains(ex.Err.Error(), "over cap") {
		return string(sources.KindTooLarge), "response body exceeds the size cap"
	}
	e := sources.TransportError(ex.Source, ex.Op, 0, ex.Err)
	return string(e.Kind), e.Msg
}

// answerHash identifies an answer: status, failure and body.
func answerHash(e Exchange) [32]byte {
	h := sha256.New()
	fmt.Fprintf(h, "%d\x00%s\x00%s\x00", e.Status, e.ErrorKind, e.Error)
	h.Write(e.Body)
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

// noiseHeaders say nothing about the answer that a replay needs.
var noiseHeaders = map[string]bool{"Date": true, "Content-Length": true, "Connection": true,
	"Keep-Alive": true, "Transfer-Encoding": true, "Vary": true, "Alt-Svc": true}

// keepHeaders drops credentials (cookies, tokens, auth) and transport noise
// from a response's headers.
func keepHeaders(h http.Header) http.Header {
	if len(h) == 0 {
		return nil
	}
	out := http.Header{}
	for k, vs := range h {
		ck := http.CanonicalHeaderKey(k)
		if noiseHeaders[ck] || sensitiveName(ck) || strings.HasPrefix(ck, "Access-Control-") {
			continue
		}
		out[ck] = append([]string(nil), vs...)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
