package sshconsole

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	gossh "golang.org/x/crypto/ssh"

	"github.com/triagectl/triage/internal/config"
)

// HostKey loads the ed25519 host key at path, creating it (0600, in a
// 0700 directory) on first start. The key is kept across restarts so
// clients' known_hosts entries stay valid; a key file that others can read
// is refused, as sshd refuses one.
func HostKey(path string) (gossh.Signer, error) {
	path = config.ExpandHome(path)
	if path == "" {
		return nil, errors.New("serve.ssh_host_key: empty path")
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := createHostKey(path); err != nil {
			return nil, err
		}
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("serve.ssh_host_key: %w", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("serve.ssh_host_key: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("serve.ssh_host_key: %s has mode %04o, want 0600 (chmod 600 %s)", path, perm, path)
	}
	signer, err := gossh.ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("serve.ssh_host_key: %s: %w", path, err)
	}
	return signer, nil
}

// createHostKey writes a new key without ever replacing one: two daemons
// starting at once both end up with the key that won the race.
func createHostKey(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("serve.ssh_host_key: %w", err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("serve.ssh_host_key: generate: %w", err)
	}
	block, err := gossh.MarshalPrivateKey(priv, "triage host key")
	if err != nil {
		return fmt.Errorf("serve.ssh_host_key: encode: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".hostkey-*")
	if err != nil {
		return fmt.Errorf("serve.ssh_host_key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("serve.ssh_host_key: %w", err)
	}
	if _, err := tmp.Write(pem.EncodeToMemory(block)); err != nil {
		tmp.Close()
		return fmt.Errorf("serve.ssh_host_key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("serve.ssh_host_key: %w", err)
	}
	// A hard link fails when the name exists, unlike a rename.
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("serve.ssh_host_key: %w", err)
	}
	return nil
}

// Fingerprint is a key's SHA256 fingerprint as ssh-keygen -l prints it.
func Fingerprint(k gossh.PublicKey) string { return gossh.FingerprintSHA256(k) }
