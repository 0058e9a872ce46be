package store

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/triagectl/triage/internal/testenv"
)

// buildTriage builds cmd/triage into dir.
func buildTriage(t *testing.T, dir string) string { return testenv.BuildTriage(t, dir) }

// triageCmd runs the binary with a config naming store, and nothing of the
// test's environment but PATH, for at most 60 seconds.
func triageCmd(t *testing.T, bin, dir, store string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cfg := filepath.Join(dir, "config.yaml")
	body := fmt.Sprintf("serve:\n  webhook_listen: 127.0.0.1:0\n  ssh_listen: \"\"\n  store: %s\n", store)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(args, "--config", cfg)...)
	cmd.Env = []string{"HOME=" + dir, "XDG_CONFIG_HOME=" + filepath.Join(dir, "xdg"), "PATH=" + os.Getenv("PATH")}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("triage %s did not end in 60s:\n%s", strings.Join(args, " "), e.String())
	}
	if err != nil && cmd.ProcessState == nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), cmd.ProcessState.ExitCode()
}

// The daemon on a damaged store: a store cut to half its size, and one
// with a page header overwritten. triage serve exits non-zero with one
// line naming the file, what is wrong and what to do, no panic and no
// goroutine dump; triage store check says the same and exits 1; triage
// store salvage copies every incident whose page survived, with its
// report and bundle; the salvaged store checks clean and the daemon
// serves it.
func TestDaemonOnDamagedStore(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the triage binary")
	}
	dir := t.TempDir()
	bin := buildTriage(t, dir)
	orig := filepath.Join(dir, "orig.db")
	all := writeStore(t, orig, 600)
	l := readLayout(t, orig)
	st, _ := os.Stat(orig)
	leaf := l.leafOf(t)
	for _, c := range []struct {
		name string
		size int64
		bad  uint64
		what string
	}{
		{"cut to half its size", st.Size() / 2, 0, "cut short"},
		{"page header overwritten", st.Size(), leaf, fmt.Sprintf("page %d (bucket incidents): its header names page", leaf)},
	} {
		t.Run(c.name, func(t *testing.T) {
			cdir := t.TempDir()
			path := filepath.Join(cdir, "incidents.db")
			copyFile(t, orig, path)
			if c.bad != 0 {
				overwriteHeader(t, path, l.pageSize, c.bad)
			}
			if c.size != st.Size() {
				if err := os.Truncate(path, c.size); err != nil {
					t.Fatal(err)
				}
			}
			before, _ := os.ReadFile(path)

			_, stderr, code := triageCmd(t, bin, cdir, path, "serve")
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if code == 0 || len(lines) != 1 {
				t.Fatalf("serve: exit %d, want non-zero and one line:\n%s", code, stderr)
			}
			for _, want := range []string{"triage: store " + path + " is damaged", c.what, "triage store salvage -o NEW --store " + path} {
				if !strings.Contains(stderr, want) {
					t.Errorf("serve: %q lacks %q", stderr, want)
				}
			}
			if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
				t.Errorf("serve: a panic reached stderr:\n%s", stderr)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Error("serve changed the damaged file")
			}

			stdout, stderr, code := triageCmd(t, bin, cdir, path, "store", "check")
			if code != 1 || !strings.Contains(stdout, "store "+path+" is damaged:") || !strings.Contains(stdout, c.what) || strings.Contains(stderr, "goroutine") {
				t.Errorf("store check: exit %d\n%s%s", code, stdout, stderr)
			}

			salvaged := filepath.Join(cdir, "salvaged.db")
			stdout, stderr, code = triageCmd(t, bin, cdir, path, "store", "salvage", "-o", salvaged)
			if code != 0 {
				t.Fatalf("store salvage: exit %d\n%s%s", code, stdout, stderr)
			}
			t.Logf("salvage:\n%s", stdout)
			if !strings.Contains(stdout, "unreadable:\n") {
				t.Error("salvage met no damage: the test damages nothing")
			}
			var rep SalvageReport
			for _, l := range strings.Split(stdout, "\n") {
				if f := strings.Fields(l); len(f) > 2 && f[0] == "incidents" && strings.TrimSuffix(f[2], ",") == "copied" {
					rep.Incidents, _ = strconv.Atoi(f[1])
				}
			}
			checkSalvaged(t, l, all, salvaged, c.size, c.bad, rep)

			stdout, stderr, code = triageCmd(t, bin, cdir, salvaged, "store", "check")
			if code != 0 || !strings.Contains(stdout, "ok") {
				t.Errorf("check of the salvaged store: exit %d\n%s%s", code, stdout, stderr)
			}
			serveSalvaged(t, bin, cdir, salvaged)
		})
	}
}

// serveSalvaged starts triage serve on the salvaged store: it listens,
// then stops cleanly on SIGTERM.
func serveSalvaged(t *testing.T, bin, dir, store string) {
	t.Helper()
	cfg := filepath.Join(dir, "config.yaml")
	body := fmt.Sprintf("serve:\n  webhook_listen: 127.0.0.1:0\n  ssh_listen: \"\"\n  store: %s\n", store)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--config", cfg)
	cmd.Env = []string{"HOME=" + dir, "XDG_CONFIG_HOME=" + filepath.Join(dir, "xdg"), "PATH=" + os.Getenv("PATH")}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	listening := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		ok := false
		for sc.Scan() {
			if strings.Contains(sc.Text(), "webhook on http://") && !ok {
				ok = true
				listening <- true
			}
		}
		if !ok {
			listening <- false
		}
	}()
	select {
	case ok := <-listening:
		if !ok {
			t.Fatal("triage serve on the salvaged store exited without listening")
		}
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("triage serve on the salvaged store never listened")
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("triage serve on the salvaged store: %v", err)
		}
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("triage serve did not stop on SIGTERM")
	}
}
