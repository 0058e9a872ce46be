package app

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/triagectl/triage/internal/config"
	"github.com/triagectl/triage/serve"
	"github.com/triagectl/triage/sources/adapter"
)

// The SSH sessions get the live sources, and each its own Alertmanager
// author when Alertmanager is configured.
func TestSSHDeps(t *testing.T) {
	tests := []struct {
		name   string
		am     string
		silent bool // no Alertmanager: no silences
	}{
		{"with Alertmanager", "http://127.0.0.1:9", false},
		{"without", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Default()
			c.Sources.Alertmanager.URL = tt.am
			c.Sources.Prometheus.URL = "http://127.0.0.1:9"
			d, err := SSHDeps(c, nil, serve.SSHMetrics{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if d.Console.SourceURLs["prometheus"] != "http://127.0.0.1:9" {
				t.Errorf("deps %+v", d)
			}
			if tt.silent {
				if d.AlertsFor != nil || d.Console.Data.Alerts != nil {
					t.Error("silences offered without Alertmanager")
				}
				return
			}
			a, ok := d.AlertsFor("alice via triage ssh (SHA256:x)").(adapter.Alerts)
			if !ok || a.CreatedBy != "alice via triage ssh (SHA256:x)" {
				t.Errorf("AlertsFor gave %#v, want the session's author", a)
			}
		})
	}
}

// daemonConfig is a daemon on loopback with its state in a temp dir.
func daemonConfig(t *testing.T) config.Config {
	dir := t.TempDir()
	c := config.Default()
	c.Serve.WebhookListen = "127.0.0.1:0"
	c.Serve.SSHListen = "127.0.0.1:0"
	c.Serve.Store = filepath.Join(dir, "incidents.db")
	c.Serve.SSHHostKey = filepath.Join(dir, "ssh_host_ed25519")
	c.Serve.AuthorizedKeys = filepath.Join(dir, "authorized_keys")
	return c
}

// A part of the daemon that returns while the rest runs stops the daemon
// with an error naming it, even when it returned no error of its own; the
// webhook listener is shut and the store closed.
func TestDaemonStopsWhenAPartEndsEarly(t *testing.T) {
	c := daemonConfig(t)
	var stderr bytes.Buffer
	a := New(c, Options{Stderr: &stderr})
	webhook := make(chan string, 1)
	a.sshRunner = func(ctx context.Context, _ *App, d *daemon) error {
		webhook <- d.webhook.Addr().String()
		return nil // the console "stopped" without a word
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := a.Serve(ctx)
	if err == nil || !strings.Contains(err.Error(), "ssh console stopped unexpectedly") {
		t.Fatalf("Serve = %v, want the ssh console named", err)
	}
	if ctx.Err() != nil {
		t.Fatal("Serve returned only when the test's deadline passed")
	}
	addr := <-webhook
	if conn, err := net.Dial("tcp", addr); err == nil {
		conn.Close()
		t.Errorf("the webhook listener %s still accepts connections", addr)
	}
	// The store is closed: a second daemon opens it.
	b := New(c, Options{Stderr: &stderr})
	b.sshRunner = func(ctx context.Context, _ *App, _ *daemon) error { return errors.New("listen: address in use") }
	if err := b.Serve(ctx); err == nil || !strings.Contains(err.Error(), "ssh console: listen: address in use") {
		t.Fatalf("second Serve = %v, want the ssh console's error", err)
	}
}

// A cancelled context is a clean stop, not an error.
func TestDaemonStopsCleanlyOnCancel(t *testing.T) {
	c := daemonConfig(t)
	c.Serve.SSHListen = ""
	pr, pw := io.Pipe()
	a := New(c, Options{Stderr: pw})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx); pw.Close() }()
	// Cancel once the daemon says it listens.
	sc := bufio.NewScanner(pr)
	for sc.Scan() && !strings.Contains(sc.Text(), "webhook on") {
	}
	cancel()
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve after cancel = %v, want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
}
