package sshconsole

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

func TestHostKeyCreatedOnceAndKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "triage", "ssh_host_ed25519")
	first, err := HostKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := first.PublicKey().Type(); got != gossh.KeyAlgoED25519 {
		t.Errorf("key type %s, want %s", got, gossh.KeyAlgoED25519)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key mode %04o, want 0600", fi.Mode().Perm())
	}
	di, _ := os.Stat(filepath.Dir(path))
	if di.Mode().Perm() != 0o700 {
		t.Errorf("key directory mode %04o, want 0700", di.Mode().Perm())
	}
	again, err := HostKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if Fingerprint(first.PublicKey()) != Fingerprint(again.PublicKey()) {
		t.Errorf("restart changed the host key: %s then %s", Fingerprint(first.PublicKey()), Fingerprint(again.PublicKey()))
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".hostkey-*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestHostKeyRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := gossh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	var pemKey bytes.Buffer
	if err := pem.Encode(&pemKey, block); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		body []byte
		mode os.FileMode
		want string
	}{
		{"readable by others", pemKey.Bytes(), 0o644, "want 0600"},
		{"not a key", []byte("hello"), 0o600, "ssh: no key found"},
		{"empty path", nil, 0, "empty path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.body != nil {
				path = filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_"))
				if err := os.WriteFile(path, tt.body, tt.mode); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tt.mode); err != nil {
					t.Fatal(err)
				}
			}
			_, err := HostKey(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "serve.ssh_host_key") {
				t.Fatalf("error %v, want one naming serve.ssh_host_key and %q", err, tt.want)
			}
		})
	}
}

func TestParseAuthorizedKeysFixture(t *testing.T) {
	b, err := os.ReadFile("testdata/authorized_keys")
	if err != nil {
		t.Fatal(err)
	}
	var skipped []string
	keys := parseAuthorizedKeys(b, func(line int, why string) { skipped = append(skipped, why) })
	if len(keys) != 2 {
		t.Errorf("accepted %d keys, want 2 (ed25519 and ecdsa)", len(keys))
	}
	want := []string{"key options are not supported: from,no-pty", "not a public key", "key options are not supported: cert-authority"}
	if strings.Join(skipped, "|") != strings.Join(want, "|") {
		t.Errorf("skipped %q, want %q", skipped, want)
	}
}

func TestAuthorizedKeysFollowTheFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "authorized_keys")
	alice, bob := newPublicKey(t), newPublicKey(t)
	write := func(keys ...gossh.PublicKey) {
		t.Helper()
		var b bytes.Buffer
		for _, k := range keys {
			b.Write(gossh.MarshalAuthorizedKey(k))
		}
		// Editors save by rename: a new file, whatever its size and time.
		tmp := path + ".new"
		if err := os.WriteFile(tmp, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	write(alice)
	ak, err := newAuthorizedKeys(path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name         string
		change       func()
		alice, bob   bool
		wantAccepted int
	}{
		{"initial", func() {}, true, false, 1},
		{"bob added", func() { write(alice, bob) }, true, true, 2},
		{"alice revoked", func() { write(bob) }, false, true, 1},
		{"rewritten in place, same size", func() {
			if err := os.WriteFile(path, gossh.MarshalAuthorizedKey(alice), 0o600); err != nil {
				t.Fatal(err)
			}
			// Same size as bob's line: only the mtime tells.
			if err := os.Chtimes(path, time.Now(), time.Now().Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
		}, true, false, 1},
		{"file removed: no one", func() { os.Remove(path) }, false, false, 0},
		{"file back", func() { write(bob) }, false, true, 1},
	}
	for _, st := range steps {
		st.change()
		if got := ak.Allowed(alice); got != st.alice {
			t.Errorf("%s: alice allowed %v, want %v", st.name, got, st.alice)
		}
		if got := ak.Allowed(bob); got != st.bob {
			t.Errorf("%s: bob allowed %v, want %v", st.name, got, st.bob)
		}
		if got := ak.Len(); got != st.wantAccepted {
			t.Errorf("%s: %d keys accepted, want %d", st.name, got, st.wantAccepted)
		}
	}
	if ak.Allowed(nil) {
		t.Error("a session without a key was allowed")
	}
}

func TestAuthorizedKeysMissingAtStart(t *testing.T) {
	_, err := newAuthorizedKeys(filepath.Join(t.TempDir(), "nope"), slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "serve.authorized_keys") {
		t.Fatalf("error %v, want one naming serve.authorized_keys", err)
	}
}

func FuzzParseAuthorizedKeys(f *testing.F) {
	b, err := os.ReadFile("testdata/authorized_keys")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	for _, line := range bytes.Split(b, []byte("\n")) {
		f.Add(line)
	}
	f.Add([]byte("ssh-ed25519 \x00\x00\n\n#\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, k := range parseAuthorizedKeys(in, func(int, string) {}) {
			if _, err := gossh.ParsePublicKey(k); err != nil {
				t.Fatalf("accepted a key that does not parse: %v", err)
			}
		}
	})
}

func newPublicKey(t *testing.T) gossh.PublicKey {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := gossh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// A session whose key is gone ends on the second read that misses it: a
// file caught empty mid-write by an editor ends none.
func TestRevokedKeyEndsOnTheSecondMiss(t *testing.T) {
	path := filepath.Join(t.TempDir(), "authorized_keys")
	alice, bob := newPublicKey(t), newPublicKey(t)
	write := func(keys ...gossh.PublicKey) {
		t.Helper()
		var b bytes.Buffer
		for _, k := range keys {
			b.Write(gossh.MarshalAuthorizedKey(k))
		}
		if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		// A new mtime each time, as writes a second apart would have.
		if err := os.Chtimes(path, time.Now(), time.Now().Add(time.Duration(b.Len())*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	write(alice, bob)
	ak, err := newAuthorizedKeys(path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{keys: ak, log: slog.New(slog.DiscardHandler), sessions: map[*liveSession]struct{}{}}
	session := func(k gossh.PublicKey) (*liveSession, *recorder) {
		r := &recorder{got: make(chan struct{}, 8)}
		l := newLiveSession(r, nil)
		l.key = k
		s.register(l)
		return l, r
	}
	la, ra := session(alice)
	lb, rb := session(bob)

	write() // caught half-written
	missing := s.endRevoked(nil)
	write(alice, bob) // and complete again
	missing = s.endRevoked(missing)
	if ra.quit+rb.quit != 0 || len(missing) != 0 {
		t.Fatalf("a file empty for one read ended %d sessions", ra.quit+rb.quit)
	}
	write(bob)
	missing = s.endRevoked(missing)
	if ra.quit != 0 || len(missing) != 1 {
		t.Fatalf("ended on the first miss, or did not count it: %d quits, %d missing", ra.quit, len(missing))
	}
	s.endRevoked(missing)
	if ra.quit != 1 || la.reason() != revokedKeyReason || rb.quit != 0 || lb.reason() != "" {
		t.Errorf("alice's session: %d quits, %q; bob's: %d quits, %q", ra.quit, la.reason(), rb.quit, lb.reason())
	}
}
