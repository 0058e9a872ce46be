package serve

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// FuzzWebhook: any body gets 200 or 400 (413 over the cap), never a panic
// or a 5xx, and a payload that was accepted once is a no-op the second
// time.
func FuzzWebhook(f *testing.F) {
	entries, err := os.ReadDir(filepath.Join("testdata", "webhook"))
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		f.Add(fixture(f, e.Name()))
	}
	f.Add([]byte(`{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"A"},"startsAt":"2026-11-25T00:00:00Z"}]}`))
	f.Add([]byte(`{"version":"4","status":"resolved","groupKey":"","alerts":[{"status":"resolved","labels":{"alertname":"A","service":""},"startsAt":"2026-11-25T00:00:00Z","endsAt":"2026-11-25T00:01:00Z"}]}`))
	f.Add([]byte(`{}`))
	s, err := New(context.Background(), Config{StorePath: filepath.Join(f.TempDir(), "incidents.db"),
		Watchdog: Watchdog{Alertname: "Watchdog"}, noSync: true}, Deps{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	h := s.Webhook()
	f.Fuzz(func(t *testing.T, body []byte) {
		var codes [2]int
		for i := range codes {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/alerts", bytes.NewReader(body)))
			codes[i] = rec.Code
			if rec.Code != 200 && rec.Code != 400 && rec.Code != 413 {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if i == 1 && rec.Code == 200 && (bytes.Contains(rec.Body.Bytes(), []byte(`"new":1`)) || !bytes.Contains(rec.Body.Bytes(), []byte(`"created":[]`))) {
				t.Fatalf("a replay stored anew: %s", rec.Body)
			}
		}
		if codes[0] != codes[1] {
			t.Fatalf("status %d then %d for the same body", codes[0], codes[1])
		}
	})
}
