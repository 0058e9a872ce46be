package bundle_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/triagectl/triage/sources/bundle"
	"github.com/triagectl/triage/triage"
)

func fixtureBundle(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "fixture.bundle"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gz(t testing.TB, plain []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// editLines applies f to the fixture's decompressed lines and compresses
// the result again.
func editLines(t *testing.T, f func(lines []string) []string) []byte {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(string(gunzip(t, fixtureBundle(t))), "\n"), "\n")
	return gz(t, []byte(strings.Join(f(lines), "\n")+"\n"))
}

func flip(b []byte, i int) []byte {
	out := bytes.Clone(b)
	out[i] ^= 0xff
	return out
}

// Every way a file can fail to be a bundle gives an *Error naming the
// problem, never a panic or a half-read bundle.
func TestReadBadBundles(t *testing.T) {
	good := fixtureBundle(t)
	plain := gunzip(t, good)
	cases := []struct {
		name string
		data []byte
		want *bundle.Error
		says string
	}{
		{"empty", nil, bundle.ErrTruncated, "empty"},
		{"cut in the gzip header", good[:5], bundle.ErrTruncated, "ends early"},
		{"cut in half", good[:len(good)/2], bundle.ErrTruncated, "ends early"},
		{"cut before the trailer", good[:len(good)-4], bundle.ErrTruncated, "ends early"},
		{"uncompressed, cut in a line", plain[:len(plain)/2], bundle.ErrTruncated, "cut short"},
		{"no end line", editLines(t, func(l []string) []string { return l[:len(l)-1] }), bundle.ErrTruncated, "no end line"},
		{"checksum changed", flip(good, len(good)-6), bundle.ErrCorrupted, "checksum"},
		{"compressed data changed", flip(good, len(good)/2), bundle.ErrCorrupted, ""},
		{"bytes after the stream", append(bytes.Clone(good), "garbage!"...), bundle.ErrCorrupted, "after the compressed stream"},
		{"a line removed", editLines(t, func(l []string) []string { return append(l[:2:2], l[3:]...) }), bundle.ErrCorrupted, "end line counts"},
		{"a line not JSON", editLines(t, func(l []string) []string { l[2] = l[2][:len(l[2])/2]; return l }), bundle.ErrCorrupted, "not a JSON line"},
		{"lines swapped", editLines(t, func(l []string) []string { l[1], l[2] = l[2], l[1]; return l }), bundle.ErrCorrupted, "out of order"},
		{"data after the end", editLines(t, func(l []string) []string { return append(l, l[1]) }), bundle.ErrCorrupted, "after the end"},
		{"unknown line type", editLines(t, func(l []string) []string {
			l[1] = `{"type":"mystery"}`
			return l
		}), bundle.ErrCorrupted, "unknown line type"},
		{"newer version", editLines(t, func(l []string) []string {
			l[0] = strings.Replace(l[0], `"version":1`, `"version":2`, 1)
			return l
		}), bundle.ErrNewerVersion, "format version 2"},
		{"newer report", editLines(t, func(l []string) []string {
			for i := range l {
				l[i] = strings.Replace(l[i], `"report":{"version":1`, `"report":{"version":9`, 1)
			}
			return l
		}), bundle.ErrNewerVersion, "report version 9"},
		{"text file", []byte("hello, world\n"), bundle.ErrNotBundle, "neither gzip nor JSON"},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00"), bundle.ErrNotBundle, "neither gzip nor JSON"},
		{"gzip'd text", gz(t, []byte("hello\n")), bundle.ErrNotBundle, "first line"},
		{"other JSON lines", gz(t, []byte(`{"type":"header","header":{"format":"other","version":1}}`+"\n")), bundle.ErrNotBundle, "first line"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := bundle.Parse(c.data)
			if err == nil {
				t.Fatalf("read %d exchanges, want %v", b.Len(), c.want.Problem)
			}
			var be *bundle.Error
			if !errors.As(err, &be) || !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want problem %q", err, c.want.Problem)
			}
			if !strings.Contains(err.Error(), c.says) {
				t.Errorf("err = %q, want it to say %q", err, c.says)
			}
			t.Log(err)
		})
	}
}

func TestReadNewerVersionKeepsVersion(t *testing.T) {
	data := editLines(t, func(l []string) []string {
		l[0] = strings.Replace(l[0], `"version":1`, `"version":7`, 1)
		return l
	})
	_, err := bundle.Parse(data)
	var be *bundle.Error
	if !errors.As(err, &be) || be.Version != 7 || !strings.Contains(be.Error(), "upgrade triage") {
		t.Fatalf("err = %v", err)
	}
}

// Uncompressed JSON lines, as zcat prints them, read the same.
func TestReadUncompressed(t *testing.T) {
	a, err := bundle.Parse(fixtureBundle(t))
	if err != nil {
		t.Fatal(err)
	}
	b, err := bundle.Parse(gunzip(t, fixtureBundle(t)))
	if err != nil {
		t.Fatal(err)
	}
	ea, errA := a.Exchange(5)
	eb, errB := b.Exchange(5)
	if errA != nil || errB != nil || a.Len() != b.Len() || len(ea.Body) == 0 || !bytes.Equal(ea.Body, eb.Body) {
		t.Error("uncompressed read differs")
	}
}

func TestReadFileNamesThePath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cut.bundle")
	good := fixtureBundle(t)
	if err := os.WriteFile(path, good[:len(good)/3], 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := bundle.ReadFile(path)
	if !errors.Is(err, bundle.ErrTruncated) || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v", err)
	}
}

// Bundles written before report JSON version 2 hold a version 1 report:
// it reads into today's model, and writes out as version 2.
func TestReadVersion1Report(t *testing.T) {
	if !strings.Contains(string(gunzip(t, fixtureBundle(t))), `"report":{"version":1,"alert":{"name":"HighErrorRate"`) {
		t.Fatal("the fixture no longer holds a version 1 report")
	}
	b, err := bundle.Parse(fixtureBundle(t))
	if err != nil {
		t.Fatal(err)
	}
	if b.Report == nil || b.Report.Alert.Name != "HighErrorRate" || b.Report.Version != triage.ReportVersion {
		t.Fatalf("report %+v", b.Report)
	}
	out, err := json.Marshal(b.Report)
	if err != nil || !strings.Contains(string(out), `"version":2`) || strings.Contains(string(out), "startsAt") {
		t.Errorf("written again as %.200s (%v)", out, err)
	}
}
