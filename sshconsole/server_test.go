package sshconsole

import (
	"bufio"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/triagectl/triage/internal/config"
	"github.com/triagectl/triage/tui/console"
)

func TestNewRejectsBadSettings(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(keys, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	good := Config{HostKey: filepath.Join(dir, "host"), AuthorizedKeys: keys}
	store := newMemStore()
	tests := []struct {
		name string
		cfg  func(Config) Config
		deps Deps
		want string
	}{
		{"no store", func(c Config) Config { return c }, Deps{}, "no incident store"},
		{"unknown theme", func(c Config) Config { c.Theme = "neon"; return c }, Deps{Store: store}, `unknown theme "neon"`},
		{"bad key map", func(c Config) Config { return c }, Deps{Store: store, Console: console.Options{Keys: map[string]string{"nosuchaction": "x"}}}, "keys:"},
		{"no authorized keys", func(c Config) Config { c.AuthorizedKeys = filepath.Join(dir, "missing"); return c }, Deps{Store: store}, "serve.authorized_keys"},
		{"host key unreadable", func(c Config) Config { c.HostKey = keys; return c }, Deps{Store: store}, "serve.ssh_host_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg(good), tt.deps)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
	s, err := New(good, Deps{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	if s.cfg.Listen != ":2222" || s.cfg.MaxSessions != 32 || s.cfg.IdleTimeout != 30*time.Minute {
		t.Errorf("defaults %+v", s.cfg)
	}
}

func TestFromConfig(t *testing.T) {
	c := config.Default()
	c.Theme = "light"
	got := FromConfig(c)
	want := Config{Listen: ":2222", HostKey: "~/.local/share/triage/ssh_host_ed25519", AuthorizedKeys: "~/.ssh/authorized_keys", Theme: "light",
		MaxSessions: 32, IdleTimeout: 30 * time.Minute, Startups: DefaultStartups}
	if got != want {
		t.Errorf("FromConfig = %+v, want %+v", got, want)
	}
	c.Serve.SSHMaxSessions, c.Serve.SSHIdleTimeout = 3, 0
	c.Serve.SSHMaxStartups, c.Serve.SSHPerSourceMaxStartups = "4", 0
	got = FromConfig(c)
	if got.MaxSessions != 3 || got.IdleTimeout >= 0 || got.Startups != (Startups{Start: 4, Rate: 100, Full: 4}) {
		t.Errorf("FromConfig = %+v: want 3 sessions, no idle timeout, 4:100:4 with no per-source limit", got)
	}
	home, _ := os.UserHomeDir()
	if config.ExpandHome(got.AuthorizedKeys) != filepath.Join(home, ".ssh/authorized_keys") {
		t.Errorf("config.ExpandHome(%q) = %q", got.AuthorizedKeys, config.ExpandHome(got.AuthorizedKeys))
	}
}

func TestShortDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Minute: "30m", time.Hour: "1h", 90 * time.Minute: "1h30m", 700 * time.Millisecond: "700ms", 45 * time.Second: "45s",
	} {
		if got := config.ShortDuration(d); got != want {
			t.Errorf("config.ShortDuration(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestListenAndServeStopsWithItsContext(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(keys, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Listen: "127.0.0.1:0", HostKey: filepath.Join(dir, "host"), AuthorizedKeys: keys}, Deps{Store: newMemStore()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- s.ListenAndServe(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for s.Addr() == nil {
		if time.Now().After(deadline) {
			t.Fatal("not listening after 5s")
		}
		time.Sleep(time.Millisecond) // the listener is opened on Serve's goroutine; bounded by the deadline
	}
	conn, err := net.DialTimeout("tcp", s.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	banner, err := bufio.NewReader(conn).ReadString('\n')
	conn.Close()
	if err != nil || !strings.HasPrefix(banner, "SSH-2.0-triage") {
		t.Fatalf("banner %q (%v), want SSH-2.0-triage", banner, err)
	}
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("ListenAndServe after its context ended: %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ListenAndServe did not return after its context ended")
	}
	if c, err := net.DialTimeout("tcp", s.Addr().String(), time.Second); err == nil {
		c.Close()
		t.Error("still accepting connections after shutdown")
	}
}
