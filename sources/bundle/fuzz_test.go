package bundle_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/triagectl/triage/sources/bundle"
)

// fuzzLimits keep each input's cost small, so the fuzzer tries many.
var fuzzLimits = bundle.Limits{MaxLineBytes: 64 << 10, MaxBytes: 1 << 20, MaxHeldBytes: 256 << 10}

// FuzzRead: whatever the bytes, the reader returns a bundle or an *Error,
// never panics, and allocates within a bound of its limits; a bundle it
// accepts can be replayed.
func FuzzRead(f *testing.F) {
	// Small real bundles: the fuzzer minimises every input it finds
	// interesting, which takes minutes on a bundle of many kilobytes.
	small, err := os.ReadFile(filepath.Join("testdata", "small.bundle"))
	if err != nil {
		f.Fatal(err)
	}
	plain := gunzip(f, small)
	f.Add(small)
	f.Add(plain)
	f.Add(small[:len(small)/2])
	f.Add(plain[:len(plain)/2])
	f.Add([]byte(`{"type":"header","header":{"format":"triage-bundle","version":1,"options":{"now":"2026-01-01T00:00:00Z"}}}` + "\n" +
		`{"type":"end","end":{"exchanges":0,"reports":0}}` + "\n"))
	// Inputs that expand: the fuzzer finds its way from these to others.
	f.Add(gzStream(f, func(w io.Writer) { repeat(w, "\x00", 4<<20) }))
	f.Add(gzStream(f, func(w io.Writer) {
		fmt.Fprintln(w, minimalHeader)
		_, _ = io.WriteString(w, `{"type":"exchange","exchange":{"body":"`)
		repeat(w, "A", 4<<20)
	}))
	f.Add(gzStream(f, func(w io.Writer) {
		fmt.Fprintln(w, minimalHeader)
		fmt.Fprintln(w, `{"type":"report","report":{"version":1,"traces":[`+strings.Repeat(`{},`, 100_000)+`{}]}}`)
	}))
	f.Fuzz(func(t *testing.T, data []byte) {
		// The memory bound: whatever the bytes expand to, a read allocates
		// within a fixed multiple of the limits, and what it keeps stays
		// under MaxHeldBytes.
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		b, err := fuzzLimits.Parse(data)
		runtime.ReadMemStats(&after)
		if alloc, bound := after.TotalAlloc-before.TotalAlloc, allocBound(fuzzLimits); alloc > bound {
			t.Fatalf("a %d-byte input allocated %d bytes, over %d", len(data), alloc, bound)
		}
		if err == nil && b.HeldBytes() > fuzzLimits.MaxHeldBytes {
			t.Fatalf("the bundle holds %d bytes, over %d", b.HeldBytes(), fuzzLimits.MaxHeldBytes)
		}
		if err != nil {
			var be *bundle.Error
			if !errors.As(err, &be) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if be.Error() == "" {
				t.Fatal("empty message")
			}
			return
		}
		rp := bundle.NewReplay(b, bundle.ReplayOptions{})
		for i := range min(b.Len(), 8) {
			e, err := b.Exchange(i)
			if err != nil {
				t.Fatalf("exchange %d of a bundle read: %v", i, err)
			}
			req, err := http.NewRequest(e.Method, e.URL, bytes.NewReader(e.RequestBody))
			if err != nil {
				continue
			}
			resp, err := rp.Transport(e.Source).RoundTrip(req)
			if err == nil {
				resp.Body.Close()
			}
		}
	})
}
