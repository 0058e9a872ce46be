package sshconsole

import (
	"bufio"
	"bytes"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"

	gossh "golang.org/x/crypto/ssh"

	"github.com/triagectl/triage/internal/config"
)

// authorizedKeys is an authorized_keys file, read again whenever it
// changes, so adding or revoking a key needs no restart.
type authorizedKeys struct {
	path string
	log  *slog.Logger

	mu   sync.Mutex
	read os.FileInfo // the file as last read; nil when unreadable
	keys [][]byte    // wire encodings
}

func newAuthorizedKeys(path string, log *slog.Logger) (*authorizedKeys, error) {
	a := &authorizedKeys{path: config.ExpandHome(path), log: log}
	if a.path == "" {
		return nil, fmt.Errorf("serve.authorized_keys: empty path: list the public keys allowed to connect in a file")
	}
	if _, err := os.Stat(a.path); err != nil {
		return nil, fmt.Errorf("serve.authorized_keys: %w (list the public keys allowed to connect there)", err)
	}
	a.reload()
	return a, nil
}

// Allowed reports whether k is listed. A file that cannot be read allows
// no one: access fails closed.
func (a *authorizedKeys) Allowed(k gossh.PublicKey) bool {
	return listed(a.reload(), k)
}

// listed reports whether k is among keys, in constant time per key.
func listed(keys [][]byte, k gossh.PublicKey) bool {
	if k == nil {
		return false
	}
	w := k.Marshal()
	ok := false
	for _, ak := range keys {
		if len(ak) == len(w) && subtle.ConstantTimeCompare(ak, w) == 1 {
			ok = true
		}
	}
	return ok
}

// Len is the number of keys accepted from the file.
func (a *authorizedKeys) Len() int { return len(a.reload()) }

func (a *authorizedKeys) reload() [][]byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	fi, err := os.Stat(a.path)
	if err == nil && unchanged(a.read, fi) {
		return a.keys
	}
	var b []byte
	if err == nil {
		b, err = os.ReadFile(a.path)
	}
	if err != nil {
		if a.read != nil {
			a.log.Warn("authorized_keys unreadable: no key is accepted", "path", a.path, "error", err)
		}
		a.keys, a.read = nil, nil
		return nil
	}
	a.keys = parseAuthorizedKeys(b, func(line int, why string) {
		a.log.Warn("authorized_keys: line ignored", "path", a.path, "line", line, "why", why)
	})
	a.read = fi
	return a.keys
}

// unchanged compares the file's identity, size and mtime: an editor that
// saves by rename makes a new file, one that writes in place moves mtime.
func unchanged(prev, cur os.FileInfo) bool {
	return prev != nil && os.SameFile(prev, cur) && prev.Size() == cur.Size() && prev.ModTime().Equal(cur.ModTime())
}

// parseAuthorizedKeys reads the plain keys of an authorized_keys file.
// Keys with options (from=, command=, restrict, cert-authority…) are
// skipped: the console cannot honour those restrictions, and granting such
// a key more than it was given would be worse than refusing it.
func parseAuthorizedKeys(b []byte, skipped func(line int, why string)) [][]byte {
	var keys [][]byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		k, _, opts, _, err := gossh.ParseAuthorizedKey(line)
		if err != nil {
			skipped(n, "not a public key")
			continue
		}
		if len(opts) > 0 {
			skipped(n, "key options are not supported: "+strings.Join(optionNames(opts), ","))
			continue
		}
		keys = append(keys, k.Marshal())
	}
	if sc.Err() != nil {
		skipped(n+1, sc.Err().Error())
	}
	return keys
}

func optionNames(opts []string) []string {
	out := make([]string, len(opts))
	for i, o := range opts {
		name, _, _ := strings.Cut(o, "=")
		out[i] = name
	}
	return out
}
