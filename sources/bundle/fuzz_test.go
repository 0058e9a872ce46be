package bundle_test

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/triagectl/triage/sources/bundle"
)

// FuzzRead: whatever the bytes, the reader returns a bundle or an *Error,
// never panics; a bundle it accepts can be replayed.
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
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := bundle.Parse(data)
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
		for i, e := range b.Exchanges {
			if i >= 8 {
				break
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
