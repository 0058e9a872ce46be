package serve

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/triagectl/triage/internal/config"
)

func TestConfigFrom(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	c := config.Default()
	c.Serve.WebhookTokenFile = write("token", "s3cr3t\n")
	c.Serve.WebhookBasicAuth = config.WebhookBasicAuth{Username: "am", PasswordFile: write("pw", " pa55 \n")}
	c.Serve.Watchdog = config.Watchdog{Alertname: "Watchdog", Matchers: []string{`severity="none"`}, MaxGap: 3 * time.Minute}
	got, err := ConfigFrom(c)
	if err != nil {
		t.Fatal(err)
	}
	home, _ := os.UserHomeDir()
	if got.Token != "s3cr3t" || got.BasicUser != "am" || got.BasicPassword != "pa55" ||
		got.StorePath != filepath.Join(home, ".local/share/triage/incidents.db") ||
		got.SourceLimits["loki"] != 4 || got.Workers != 4 || got.Refresh != 5*time.Minute {
		t.Fatalf("config %+v", got)
	}
	w := got.Watchdog
	for labels, want := range map[string]bool{
		"alertname=Watchdog,severity=none": true,
		"alertname=Watchdog,severity=info": false,
		"alertname=Other,severity=none":    false,
	} {
		ls := map[string]string{}
		for _, kv := range strings.Split(labels, ",") {
			k, v, _ := strings.Cut(kv, "=")
			ls[k] = v
		}
		if w.matches(ls) != want {
			t.Errorf("watchdog matches %s = %v", labels, !want)
		}
	}

	c.Serve.WebhookTokenFile = write("empty", "\n")
	if _, err := ConfigFrom(c); err == nil || !strings.Contains(err.Error(), "serve.webhook_token_file") {
		t.Fatalf("empty token file: %v", err)
	}
	c.Serve.WebhookTokenFile = filepath.Join(dir, "missing")
	if _, err := ConfigFrom(c); err == nil || !strings.Contains(err.Error(), "serve.webhook_token_file") {
		t.Fatalf("missing token file: %v", err)
	}
}
