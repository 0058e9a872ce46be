package main

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

const hostileHeader = `{"type":"header","header":{"format":"triage-bundle","version":1,"options":{"now":"2026-01-01T00:00:00Z"}}}` + "\n"

// gzipRepeated writes a gzip file of prefix, then unit n times: the
// repeats cost a few bytes each, so the file expands many thousand times.
// unit must be at least 32 KiB, deflate's window, so that each repeat
// reads only the one before it. The trailer is left zero: no reader gets
// that far.
func gzipRepeated(t *testing.T, path string, prefix, unit []byte, n int) int64 {
	t.Helper()
	var buf bytes.Buffer
	zw, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	write := func(b []byte) {
		if _, err := zw.Write(b); err != nil {
			t.Fatal(err)
		}
		if err := zw.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	write(append(append([]byte(nil), prefix...), unit...))
	head := buf.Len()
	write(unit)
	block := bytes.Clone(buf.Bytes()[head:])
	buf.Truncate(head)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gzHeader := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255}
	w := io.MultiWriter(f)
	mustWrite(t, w, gzHeader)
	mustWrite(t, w, buf.Bytes())
	for range n - 1 {
		mustWrite(t, w, block)
	}
	buf.Reset()
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, w, buf.Bytes())
	mustWrite(t, w, binary.LittleEndian.AppendUint64(nil, 0))
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func mustWrite(t *testing.T, w io.Writer, b []byte) {
	t.Helper()
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
}

// gzipLines writes a gzip file of the header and n lines made by line.
func gzipLines(t *testing.T, path string, n int, line func(i int) string) int64 {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw, err := gzip.NewWriterLevel(f, gzip.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, zw, []byte(hostileHeader))
	for i := 1; i <= n; i++ {
		mustWrite(t, zw, []byte(line(i)+"\n"))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// maxHostileRSS is the promise: reading any bundle within the default
// limits stays under it.
const maxHostileRSS = 100 << 20

// The built binary reads hostile bundles, 13 MB files that expand to
// gigabytes among them, and refuses each with one line naming the problem
// and the limit, its peak RSS (the child's getrusage) under 100 MB, for
// `report --bundle` and `open --bundle` alike.
func TestHostileBundlesStayUnder100MB(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and reads gigabytes")
	}
	bin := buildTriage(t)
	dir := t.TempDir()
	path := func(name string) string { return filepath.Join(dir, name+".bundle") }
	mib := func(n int) []byte { return bytes.Repeat([]byte{'A'}, n<<20) }
	files := []struct {
		name, says string
		size       int64
	}{
		{"zeros", "not an incident bundle", gzipRepeated(t, path("zeros"), nil, make([]byte, 1<<20), 13_000)},
		{"endless-body", "raise bundle.max_line_bytes",
			gzipRepeated(t, path("endless-body"), []byte(hostileHeader+`{"type":"exchange","exchange":{"body":"`), mib(1), 13_000)},
		{"blank-lines", "raise bundle.max_bytes",
			gzipRepeated(t, path("blank-lines"), []byte(hostileHeader), append(bytes.Repeat([]byte{' '}, 4<<20), '\n'), 3_500)},
		{"long-bodies", "raise bundle.max_bytes", gzipLines(t, path("long-bodies"), 40, func(i int) string {
			return fmt.Sprintf(`{"type":"exchange","exchange":{"seq":%d,"source":"tempo","method":"GET","url":"/api/traces/%d","status":200,"body":"%s","started":"2026-01-01T00:00:00Z"}}`,
				i, i, mib(15))
		})},
		{"small-exchanges", "raise bundle.max_held_bytes", gzipLines(t, path("small-exchanges"), 400_000, func(i int) string {
			return fmt.Sprintf(`{"type":"exchange","exchange":{"seq":%d,"source":"prometheus","method":"GET","url":"/api/v1/query?query=up%%7Bi%%3D%%22%d%%22%%7D","status":200,"header":{"Content-Type":["application/json"]},"body":"{}","started":"2026-01-01T00:00:00Z"}}`,
				i, i)
		})},
		{"random-bodies", "raise bundle.max_held_bytes", gzipLines(t, path("random-bodies"), 48, func(i int) string {
			return fmt.Sprintf(`{"type":"exchange","exchange":{"seq":%d,"source":"tempo","method":"GET","url":"/api/traces/%d","status":200,"body":{"base64":"%s"},"started":"2026-01-01T00:00:00Z"}}`,
				i, i, base64.StdEncoding.EncodeToString(randomBytes(t, 1<<20)))
		})},
		{"fat-headers", "raise bundle.max_held_bytes", gzipLines(t, path("fat-headers"), 200, func(i int) string {
			var h strings.Builder
			for k := range 4500 {
				fmt.Fprintf(&h, `"X-%d":[""],`, k)
			}
			return fmt.Sprintf(`{"type":"exchange","exchange":{"seq":%d,"source":"loki","method":"GET","url":"/x/%d","status":200,"header":{%s"Y":[""]}}}`,
				i, i, h.String())
		})},
		{"report-of-empty-rows", "raise bundle.max_held_bytes", gzipLines(t, path("report-of-empty-rows"), 1, func(int) string {
			return `{"type":"report","report":{"version":1,"traces":[` + strings.Repeat(`{},`, 3_000_000) + `{}]}}`
		})},
	}
	for _, f := range files {
		for _, cmd := range [][]string{{"report", "--bundle", path(f.name), "--recorded"}, {"open", "--bundle", path(f.name)}} {
			t.Run(f.name+"/"+cmd[0], func(t *testing.T) {
				rss, took, code, stderr := runMeasured(t, bin, dir, cmd...)
				t.Logf("%s (%.1f MB): exit %d in %s, peak RSS %.1f MB: %s", f.name, float64(f.size)/1e6, code, took.Round(time.Millisecond),
					float64(rss)/(1<<20), strings.TrimSpace(stderr))
				if code == 0 || !strings.Contains(stderr, f.says) {
					t.Errorf("exit %d, stderr %q: want a failure saying %q", code, stderr, f.says)
				}
				if lines := strings.Count(strings.TrimSpace(stderr), "\n") + 1; lines != 1 || strings.Contains(stderr, "goroutine") {
					t.Errorf("stderr of %d lines, want one:\n%s", lines, stderr)
				}
				if rss > maxHostileRSS {
					t.Errorf("peak RSS %d bytes, over %d", rss, maxHostileRSS)
				}
			})
		}
	}
}

// runMeasured runs the binary with an empty config and returns the peak
// RSS of the child, from its rusage. A child's rusage counts the memory
// of the process it was forked from until its exec (Go forks with
// CLONE_VM), and this test process has held the hostile files: so a small
// launcher, this test binary started afresh (see init), runs the binary
// and reports its rusage.
func runMeasured(t *testing.T, bin, home string, args ...string) (rss int64, took time.Duration, code int, stderr string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, self, append([]string{bin}, args...)...)
	cmd.Env = []string{measureEnv + "=1", "HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, "config"),
		"PATH=" + os.Getenv("PATH"), "TERM=dumb"}
	var errBuf bytes.Buffer
	cmd.Stderr = &errBuf
	out, err := cmd.Output()
	if ctx.Err() != nil {
		t.Fatalf("%v did not end within 2m", args)
	}
	if err != nil {
		t.Fatalf("launcher: %v\n%s", err, errBuf.String())
	}
	var m measured
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("launcher said %q: %v", out, err)
	}
	return m.MaxRSS, m.Took, m.Code, errBuf.String()
}

// measureEnv makes this test binary the launcher of runMeasured.
const measureEnv = "TRIAGE_TEST_MEASURE_CHILD"

type measured struct {
	MaxRSS int64         `json:"max_rss"`
	Took   time.Duration `json:"took"`
	Code   int           `json:"code"`
}

// measureChild runs os.Args[1:] with stdin empty and stderr passed on,
// and prints its exit code and peak RSS as JSON.
func measureChild() int {
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, measureEnv+"=") })
	cmd.Stdin = strings.NewReader("")
	cmd.Stdout = io.Discard
	cmd.Stderr = os.Stderr
	start := time.Now()
	err := cmd.Run()
	m := measured{Took: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		m.Code = ee.ExitCode()
	case err != nil:
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		fmt.Fprintln(os.Stderr, "no rusage")
		return 1
	}
	m.MaxRSS = ru.Maxrss << 10 // KiB on Linux
	_ = json.NewEncoder(os.Stdout).Encode(m)
	return 0
}

// Before any test, and before TestMain: the launcher runs nothing else.
func init() {
	if os.Getenv(measureEnv) == "1" {
		os.Exit(measureChild())
	}
}
