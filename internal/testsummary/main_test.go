package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A backend that died under a test is named on its live line, with
// whether the harness started it again: a crash is never silent.
func TestPrintLiveNamesExits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "live")
	lines := "live\tloki\thttp://127.0.0.1:1 3.7.8 (ready in 10s)\n" +
		"live\tloki\thttp://127.0.0.1:2 3.7.8 (ready in 9s)\n" +
		"exited\tloki@noise\texited while in use (signal: killed); log tail: oom\n" +
		"live\tloki@retry\thttp://127.0.0.1:3 3.7.8 (ready in 10s)\n" +
		"exited\tloki@retry\texited while in use (exit status 2); log tail: panic\n" +
		"restarted\tloki@retry\tstarted again after it exited\n"
	if err := os.WriteFile(path, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	printLive(&out, path)
	got := out.String()
	for _, want := range []string{
		"loki         live: http://127.0.0.1:1 3.7.8 (ready in 10s)\n",
		"loki@noise   exited: exited while in use (signal: killed); log tail: oom\n",
		"loki@retry   live: http://127.0.0.1:3 3.7.8 (ready in 10s); then exited: exited while in use (exit status 2); log tail: panic; then restarted: started again after it exited\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	if strings.Contains(got, "127.0.0.1:2") {
		t.Errorf("a second live line replaced the first:\n%s", got)
	}
}
