package bundle_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/triagectl/triage/internal/demo"
	"github.com/triagectl/triage/sources/bundle"
)

const minimalHeader = `{"type":"header","header":{"format":"triage-bundle","version":1,"options":{"now":"2026-01-01T00:00:00Z"}}}`

// gzStream compresses what write writes, streamed: the tests' hostile
// files decompress to far more than they take.
func gzStream(t testing.TB, write func(w io.Writer)) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriterSize(zw, 64<<10)
	write(bw)
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// repeat writes n bytes of s over and over.
func repeat(w io.Writer, s string, n int) {
	chunk := strings.Repeat(s, max(1, (64<<10)/len(s)))
	for n > 0 {
		k := min(n, len(chunk))
		_, _ = io.WriteString(w, chunk[:k])
		n -= k
	}
}

func exchangeLine(seq int, url, body string) string {
	return fmt.Sprintf(`{"type":"exchange","exchange":{"seq":%d,"source":"prometheus","method":"GET","url":%q,"status":200,"body":%s,"started":"2026-01-01T00:00:00Z"}}`,
		seq, url, body)
}

// hostileBundles are files made to cost a reader far more than they
// take, each with the limit it must hit under testLimits.
func hostileBundles(t testing.TB) []struct {
	name  string
	data  []byte
	want  *bundle.Error
	limit string
} {
	seqLines := func(n int, line func(i int) string) func(io.Writer) {
		return func(w io.Writer) {
			fmt.Fprintln(w, minimalHeader)
			for i := 1; i <= n; i++ {
				fmt.Fprintln(w, line(i))
			}
		}
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	randomBody := func() string {
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
		b := make([]byte, 8<<10)
		for i := range b {
			b[i] = alphabet[rnd.IntN(len(alphabet))]
		}
		return `"` + string(b) + `"`
	}
	return []struct {
		name  string
		data  []byte
		want  *bundle.Error
		limit string
	}{
		{"gzip of zeros", gzStream(t, func(w io.Writer) { repeat(w, "\x00", 64<<20) }), bundle.ErrNotBundle, ""},
		{"a header that never ends", gzStream(t, func(w io.Writer) {
			_, _ = io.WriteString(w, `{"type":"header","header":{"format":"triage-bundle","version":1,"title":"`)
			repeat(w, "A", 64<<20)
		}), bundle.ErrTooLarge, bundle.LimitHeader},
		{"a body that never ends", gzStream(t, func(w io.Writer) {
			fmt.Fprintln(w, minimalHeader)
			_, _ = io.WriteString(w, `{"type":"exchange","exchange":{"body":"`)
			repeat(w, "A", 64<<20)
		}), bundle.ErrTooLarge, bundle.LimitLine},
		{"lines of long bodies past the total", gzStream(t, seqLines(64, func(i int) string {
			return exchangeLine(i, fmt.Sprintf("/q?i=%d", i), `"`+strings.Repeat("A", 900<<10)+`"`)
		})), bundle.ErrTooLarge, bundle.LimitTotal},
		{"bodies that do not compress", gzStream(t, seqLines(1000, func(i int) string {
			return exchangeLine(i, fmt.Sprintf("/q?i=%d", i), randomBody())
		})), bundle.ErrTooLarge, bundle.LimitHeld},
		{"many small exchanges", gzStream(t, seqLines(200_000, func(i int) string {
			return exchangeLine(i, fmt.Sprintf("/q?i=%d", i), `"x"`)
		})), bundle.ErrTooLarge, bundle.LimitHeld},
		{"headers of many entries", gzStream(t, seqLines(1, func(i int) string {
			return fmt.Sprintf(`{"type":"exchange","exchange":{"seq":1,"source":"loki","method":"GET","url":"/x","status":200,"header":{%s"X":["y"]}}}`,
				strings.Repeat(`"A":[""],`, 100_000))
		})), bundle.ErrTooLarge, bundle.LimitFields},
		{"a report of empty rows", gzStream(t, seqLines(1, func(int) string {
			return `{"type":"report","report":{"version":1,"traces":[` + strings.Repeat(`{},`, 300_000) + `{}]}}`
		})), bundle.ErrTooLarge, bundle.LimitHeld},
	}
}

// testLimits are small enough for the hostile files above to hit them
// fast.
var testLimits = bundle.Limits{MaxLineBytes: 1 << 20, MaxBytes: 16 << 20, MaxHeldBytes: 2 << 20}

// Files made to cost a reader far more than they take are refused by the
// limit they hit, with a typed error, and what the read allocated stays
// within a fixed multiple of the limits, whatever the file would expand
// to.
func TestReadHostileBundles(t *testing.T) {
	for _, c := range hostileBundles(t) {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			b, err := testLimits.Parse(c.data)
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Fatalf("read %d exchanges, want %v", b.Len(), c.want.Problem)
			}
			var be *bundle.Error
			if !errors.As(err, &be) || !errors.Is(err, c.want) || be.Limit != c.limit {
				t.Fatalf("err = %v (limit %q), want problem %q, limit %q", err, be.Limit, c.want.Problem, c.limit)
			}
			if strings.HasPrefix(c.limit, "bundle.") && !strings.Contains(err.Error(), "raise "+c.limit) {
				t.Errorf("err = %q does not name the limit %s", err, c.limit)
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			if bound := allocBound(testLimits); alloc > bound {
				t.Errorf("allocated %d bytes reading a %d-byte file; bound %d", alloc, len(c.data), bound)
			}
			t.Logf("%d bytes, allocated %.1f MiB: %v", len(c.data), float64(alloc)/(1<<20), err)
		})
	}
}

// allocBound is what one read may allocate in all: a fixed cost (the
// buffers and the compressors) and a multiple of the decompressed bytes
// it may read, which the decoding of maps and strings takes many times.
func allocBound(l bundle.Limits) uint64 { return 4<<20 + 8*uint64(l.MaxBytes) }

// The defaults leave room for the demo many times over.
func TestDefaultLimitsReadTheDemoWithRoom(t *testing.T) {
	b, err := bundle.Parse(demo.Bundle())
	if err != nil {
		t.Fatal(err)
	}
	if held := b.HeldBytes(); held <= 0 || held > bundle.DefaultMaxHeldBytes/8 {
		t.Errorf("the demo holds %d bytes, want under an eighth of %d", held, bundle.DefaultMaxHeldBytes)
	}
	t.Logf("demo: %d exchanges, %d bytes held", b.Len(), b.HeldBytes())
}

// A zero Limits is the defaults; a line cap under the header's is raised
// to it.
func TestLimitsDefaults(t *testing.T) {
	small := gzStream(t, func(w io.Writer) {
		fmt.Fprintln(w, minimalHeader)
		fmt.Fprintln(w, exchangeLine(1, "/a", `"`+strings.Repeat("B", 70<<10)+`"`))
		fmt.Fprintln(w, `{"type":"end","end":{"exchanges":1,"reports":0}}`)
	})
	if _, err := (bundle.Limits{MaxLineBytes: 100 << 10}).Parse(small); err != nil {
		t.Errorf("a 70 KiB line under a 100 KiB cap: %v", err)
	}
	_, err := (bundle.Limits{MaxLineBytes: 1}).Parse(small)
	if !errors.Is(err, bundle.ErrTooLarge) || !strings.Contains(err.Error(), "64 KiB") {
		t.Errorf("a 70 KiB line under a cap raised to 64 KiB: %v", err)
	}
	b, err := bundle.Limits{}.Parse(small)
	if err != nil || b.Len() != 1 {
		t.Fatalf("zero limits: %v", err)
	}
	e, err := b.Exchange(0)
	if err != nil || len(e.Body) != 70<<10 {
		t.Errorf("body of %d bytes (%v), want %d", len(e.Body), err, 70<<10)
	}
}

// The writer never writes a header a reader refuses: annotations that
// would take it over MaxHeaderBytes are left out, with a note; labels that
// would are an error.
func TestWriterKeepsTheHeaderReadable(t *testing.T) {
	h := header()
	h.Alert = bundle.Alert{Name: "Big", Labels: map[string]string{"alertname": "Big"},
		Annotations: map[string]string{"description": strings.Repeat("long ", 20_000)}}
	var buf bytes.Buffer
	w, err := bundle.NewWriter(&buf, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := bundle.Parse(buf.Bytes())
	if err != nil {
		t.Fatalf("read back: %v", err)
	}
	note := b.Header.Alert.Annotations[bundle.AnnotationsLeftOut]
	if len(b.Header.Alert.Annotations) != 1 || !strings.Contains(note, "over the 64 KiB") || b.Header.Alert.Labels["alertname"] != "Big" {
		t.Errorf("alert read back: %+v", b.Header.Alert)
	}

	h.Alert.Labels["huge"] = strings.Repeat("x", 70<<10)
	if _, err := bundle.NewWriter(io.Discard, h); err == nil || !strings.Contains(err.Error(), "labels are too long") {
		t.Errorf("labels over the header's cap: %v", err)
	}
}
