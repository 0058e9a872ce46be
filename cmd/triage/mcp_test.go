package main

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// mcpCall calls a tool and returns its text, failing the test on a
// protocol error or a tool error.
func mcpCall(t *testing.T, cs *mcp.ClientSession, tool string, args map[string]any) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	if res.IsError {
		t.Fatalf("%s %v: tool error:\n%s", tool, args, b.String())
	}
	if b.Len() > 8192 {
		t.Errorf("%s: %d bytes, over the default bound", tool, b.Len())
	}
	return b.String()
}

var cited = regexp.MustCompile(`\btraces ([0-9a-f]{32})`)

// The built binary's MCP servers, through the SDK's client: `triage mcp
// --demo` over stdio, and `triage serve`'s /mcp over HTTP behind the
// webhook's token.
func TestMCPServers(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildTriage(t)

	t.Run("stdio", func(t *testing.T) {
		home := t.TempDir()
		cmd := exec.Command(bin, "mcp", "--demo")
		cmd.Env = []string{"HOME=" + home, "XDG_CONFIG_HOME=" + home, "PATH=" + os.Getenv("PATH")}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "v0"}, nil).
			Connect(context.Background(), &mcp.CommandTransport{Command: cmd}, nil)
		if err != nil {
			t.Fatalf("connect: %v\n%s", err, stderr.String())
		}
		defer cs.Close()
		if init := cs.InitializeResult(); init.ServerInfo.Name != "triage" || !strings.Contains(init.Instructions, "list_incidents") {
			t.Errorf("initialize: %+v", init)
		}
		verdict := mcpCall(t, cs, "investigate", map[string]any{})
		if !strings.Contains(verdict, "culprit payments → ledger-db") {
			t.Fatalf("investigate:\n%s", verdict)
		}
		m := cited.FindStringSubmatch(verdict)
		if m == nil {
			t.Fatalf("no trace cited:\n%s", verdict)
		}
		tr := mcpCall(t, cs, "get_trace", map[string]any{"trace_id": m[1]})
		logs := mcpCall(t, cs, "get_trace_logs", map[string]any{"trace_id": m[1]})
		if !strings.Contains(tr, "error origin ◆ payments \"SELECT accounts\" → ledger-db") || !strings.Contains(logs, "payments · error") {
			t.Errorf("get_trace:\n%s\nget_trace_logs:\n%s", tr, logs)
		}
		t.Logf("investigate %d bytes, get_trace %d bytes, get_trace_logs %d bytes", len(verdict), len(tr), len(logs))
	})

	t.Run("http", func(t *testing.T) {
		dir := t.TempDir()
		tokenFile := filepath.Join(dir, "token")
		if err := os.WriteFile(tokenFile, []byte("s3cr3t-token\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg := filepath.Join(dir, "config.yaml")
		body := "serve:\n  webhook_listen: 127.0.0.1:0\n  ssh_listen: \"\"\n  webhook_token_file: " + tokenFile + "\n  store: " + filepath.Join(dir, "incidents.db") + "\n"
		if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		endpoint := startServe(t, bin, dir, cfg)
		base := strings.TrimSuffix(endpoint, "/mcp")

		// No credentials, or the wrong ones: 401, before any MCP.
		for _, auth := range []string{"", "Bearer wrong"} {
			req, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("POST /mcp with %q: %d, want 401", auth, resp.StatusCode)
			}
		}

		// An incident arrives by webhook.
		payload, err := os.ReadFile("../../serve/testdata/webhook/am-firing.json")
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodPost, base+"/alerts", bytes.NewReader(payload))
		req.Header.Set("Authorization", "Bearer s3cr3t-token")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("webhook: %d", resp.StatusCode)
		}

		hc := &http.Client{Transport: bearer{"s3cr3t-token", http.DefaultTransport}}
		cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "v0"}, nil).Connect(context.Background(),
			&mcp.StreamableClientTransport{Endpoint: endpoint, HTTPClient: hc, DisableStandaloneSSE: true, MaxRetries: -1}, nil)
		if err != nil {
			t.Fatalf("connect: %v", err)
		}
		defer cs.Close()
		list := mcpCall(t, cs, "list_incidents", nil)
		if !strings.Contains(list, "2 incident(s) from the daemon's store (triage serve), 2 firing") || !strings.Contains(list, "service=checkout") {
			t.Fatalf("list_incidents:\n%s", list)
		}
		// No backend is configured: the report says each source is
		// unconfigured and every section unknown, never empty.
		verdict := mcpCall(t, cs, "investigate", map[string]any{"id": "69c2e62f0b0aec37"})
		for _, want := range []string{"HighErrorRate · checkout · critical", "sources: prometheus unconfigured · loki unconfigured · tempo unconfigured",
			"unknown: loki is not configured"} {
			if !strings.Contains(verdict, want) {
				t.Errorf("investigate lacks %q:\n%s", want, verdict)
			}
		}
	})
}

// bearer adds a bearer token to every request.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// startServe runs `triage serve` until the test ends and returns its MCP
// endpoint.
func startServe(t *testing.T, bin, dir, cfg string) string {
	t.Helper()
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
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "triage serve: MCP on "); ok {
				u, _, _ := strings.Cut(rest, " ")
				found <- u
			}
		}
	}()
	select {
	case u := <-found:
		return u
	case <-done:
		t.Fatal("triage serve exited before it listened")
	case <-time.After(30 * time.Second):
		t.Fatal("triage serve never said where MCP listens")
	}
	return ""
}
