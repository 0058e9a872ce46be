package sshconsole

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Access end to end: who gets in, how many at once, for how long, and
// under which host key.

func TestSSHRejectsUnknownKeys(t *testing.T) {
	d := startDaemon(t, Config{})
	stranger := newKey(t, t.TempDir(), "stranger")
	out, code := d.runSSH(stranger, []string{"-T"})
	if code != 255 || !strings.Contains(out, "Permission denied (publickey)") {
		t.Errorf("unknown key: exit %d, output %q; want 255 and Permission denied (publickey)", code, out)
	}
	// The client leaves before the server has counted it.
	waitCount(t, d, "auth_failed", 1)
}

func TestSSHOffersNoPassword(t *testing.T) {
	d := startDaemon(t, Config{})
	out, code := d.runSSH(d.key, []string{"-T", "-v", "-o", "PreferredAuthentications=password,keyboard-interactive",
		"-o", "PubkeyAuthentication=no", "-o", "LogLevel=DEBUG1"})
	if code != 255 || !strings.Contains(out, "Permission denied (publickey)") {
		t.Fatalf("password login: exit %d; want 255 and Permission denied (publickey):\n%s", code, out)
	}
	methods := regexp.MustCompile(`Authentications that can continue: (\S+)`).FindAllStringSubmatch(out, -1)
	if len(methods) == 0 {
		t.Fatalf("the client logged no offered methods:\n%s", out)
	}
	for _, m := range methods {
		if m[1] != "publickey" {
			t.Errorf("the server offers %q, want publickey only", m[1])
		}
	}
}

func TestSSHRechecksKeyPerSession(t *testing.T) {
	d := startDaemon(t, Config{})
	ctl := filepath.Join(t.TempDir(), "ctl")
	mux := []string{"-o", "ControlPath=" + ctl}
	if out, code := d.runSSH(d.key, append([]string{"-M", "-N", "-f"}, mux...)); code != 0 {
		t.Fatalf("master connection: exit %d: %s", code, out)
	}
	t.Cleanup(func() { d.runSSH(d.key, append([]string{"-O", "exit"}, mux...)) })
	if out, code := d.runSSH(d.key, append([]string{"-tt"}, mux...), "no-such-incident"); code != 1 || !strings.Contains(out, "no incident") {
		t.Fatalf("session over the master: exit %d: %q", code, out)
	}
	if err := os.WriteFile(d.authKeys, []byte("# everyone revoked\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := d.runSSH(d.key, append([]string{"-tt"}, mux...), "no-such-incident")
	if code != 1 || !strings.Contains(out, "Permission denied: this key is not in the authorized keys") {
		t.Errorf("session after the key was revoked: exit %d: %q", code, out)
	}
}

func TestSSHSessionCap(t *testing.T) {
	d := startDaemon(t, Config{MaxSessions: 1})
	first := newTerm(t, 100, 30, d.sshArgs(d.key, []string{"-tt"})...)
	first.waitFor(10*time.Second, "INCIDENTS")
	out, code := d.runSSH(d.key, []string{"-tt"})
	if code != 1 || !strings.Contains(out, "too many open sessions (the limit is 1); try again later") {
		t.Errorf("second session: exit %d, output %q", code, out)
	}
	waitCount(t, d, "rejected", 1)
	waitGauge(t, d, 1)
	first.keys("q")
	first.waitExit(5 * time.Second)
	// The slot is free again.
	again := newTerm(t, 100, 30, d.sshArgs(d.key, []string{"-tt"})...)
	again.waitFor(10*time.Second, "INCIDENTS")
}

func TestSSHIdleTimeout(t *testing.T) {
	const idle = 700 * time.Millisecond
	d := startDaemon(t, Config{IdleTimeout: idle})
	tm := newTerm(t, 100, 30, d.sshArgs(d.key, []string{"-tt"})...)
	tm.waitFor(10*time.Second, "INCIDENTS")
	tm.keys("?")
	last := time.Now()
	tm.waitExit(10 * time.Second)
	if took := time.Since(last); took < idle-100*time.Millisecond {
		t.Errorf("closed %s after the last key, want about %s", took, idle)
	}
	if scr := tm.screen(); !strings.Contains(scr, "triage: closed after 700ms without input") {
		t.Errorf("the client was not told why\n%s", scr)
	}
}

func TestSSHGracefulShutdown(t *testing.T) {
	d := startDaemon(t, Config{})
	tm := newTerm(t, 100, 30, d.sshArgs(d.key, []string{"-tt"})...)
	tm.waitFor(10*time.Second, "INCIDENTS")
	if err := d.stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	tm.waitExit(10 * time.Second)
	if scr := tm.screen(); !strings.Contains(scr, "triage: the server is shutting down") {
		t.Errorf("the client was not told why\n%s", scr)
	}
	if out, code := d.runSSH(d.key, []string{"-T", "-o", "ConnectTimeout=5"}); code != 255 {
		t.Errorf("the server still accepts connections after shutdown: exit %d %q", code, out)
	}
}

func TestSSHHostKeyKeptAcrossRestarts(t *testing.T) {
	d := startDaemon(t, Config{})
	known := filepath.Join(t.TempDir(), "known_hosts")
	client := func(checking string) (string, int) {
		return d.runSSH(d.key, []string{"-tt", "-o", "UserKnownHostsFile=" + known, "-o", "StrictHostKeyChecking=" + checking}, "no-such-incident")
	}
	if out, code := client("accept-new"); code != 1 || !strings.Contains(out, "no incident") {
		t.Fatalf("first connection: exit %d: %q", code, out)
	}
	before := d.srv.HostKeyFingerprint()
	fi, err := os.Stat(d.hostKey)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("host key file: %v, mode %v; want 0600", err, fi)
	}
	out, err := exec.Command("ssh-keygen", "-l", "-f", d.hostKey).CombinedOutput()
	if err != nil || !strings.Contains(string(out), before) {
		t.Errorf("ssh-keygen -l reads %q (%v), want the fingerprint %s", out, err, before)
	}

	// Restart on the same port: the client's known_hosts entry must still
	// match, with strict checking.
	if err := d.stop(); err != nil {
		t.Fatal(err)
	}
	d.listen(Config{}, "127.0.0.1:"+d.port)
	if d.srv.HostKeyFingerprint() != before {
		t.Errorf("host key changed across restarts: %s then %s", before, d.srv.HostKeyFingerprint())
	}
	if out, code := client("yes"); code != 1 || !strings.Contains(out, "no incident") {
		t.Errorf("after the restart: exit %d: %q", code, out)
	}
}

// Removing a key from authorized_keys ends the sessions it opened within
// seconds, saying why; a session of a key still listed goes on.
func TestSSHRevokedKeyEndsItsSessions(t *testing.T) {
	d := startDaemon(t, Config{})
	colleague := newKey(t, d.dir, "colleague")
	oncallPub, err := os.ReadFile(d.key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	colleaguePub, err := os.ReadFile(colleague + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(d.authKeys, append(oncallPub, colleaguePub...), 0o600); err != nil {
		t.Fatal(err)
	}
	revoked := newTerm(t, 100, 30, d.sshArgs(d.key, []string{"-tt"})...)
	kept := newTerm(t, 100, 30, d.sshArgs(colleague, []string{"-tt"})...)
	revoked.waitFor(10*time.Second, "INCIDENTS")
	kept.waitFor(10*time.Second, "INCIDENTS")

	// Written as editors do: a new file renamed over the old.
	tmp := d.authKeys + ".new"
	if err := os.WriteFile(tmp, colleaguePub, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, d.authKeys); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	status := revoked.waitExit(2*keyRecheck + 5*time.Second)
	took := time.Since(t0)
	if scr := revoked.screen(); !strings.Contains(scr, "triage: "+revokedKeyReason) {
		t.Errorf("revoked session: exit %d, screen:\n%s", status, scr)
	}
	t.Logf("the revoked key's session ended %s after the file changed", took.Round(time.Millisecond))
	if dead, _ := kept.exited(); dead {
		t.Fatalf("the colleague's session ended too:\n%s", kept.screen())
	}
	kept.keys("r") // still answering
	kept.waitFor(5*time.Second, "INCIDENTS")
	kept.keys("q")
	kept.waitExit(5 * time.Second)
}
