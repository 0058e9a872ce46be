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

// FuzzWebhook: any body, sent plain or with any Content-Encoding, gets
// 200 or 400 (413 over the cap, 415 for an encoding other than gzip),
// never a panic or a 5xx, and a payload that was accepted once is a no-op
// the second time.
func FuzzWebhook(f *testing.F) {
	entries, err := os.ReadDir(filepath.Join("testdata", "webhook"))
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		b := fixture(f, e.Name())
		f.Add(b, "")
		f.Add(gzipped(f, b), "gzip")
		f.Add(gzipped(f, b)[:len(b)/3], "gzip")
		f.Add(b, "br")
	}
	f.Add([]byte(`{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"A"},"startsAt":"2026-11-25T00:00:00Z"}]}`), "")
	f.Add([]byte(`{"version":"4","status":"resolved","groupKey":"","alerts":[{"status":"resolved","labels":{"alertname":"A","service":""},"startsAt":"2026-11-25T00:00:00Z","endsAt":"2026-11-25T00:01:00Z"}]}`), "")
	f.Add([]byte(`{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"A"},"startsAt":"0001-01-01T00:00:00Z"}]}`), "identity")
	f.Add([]byte(`{}`), "")
	f.Add(gzipped(f, bytes.Repeat([]byte(" "), MaxBodyBytes+1)), "gzip")
	f.Add(append(gzipped(f, []byte(`{"version":"4"`)), gzipped(f, []byte(`,"status":"firing","alerts":[]}`))...), "x-gzip")
	s, err := New(context.Background(), Config{StorePath: filepath.Join(f.TempDir(), "incidents.db"),
		Watchdog: Watchdog{Alertname: "Watchdog"}, noSync: true}, Deps{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	h := s.Webhook()
	f.Fuzz(func(t *testing.T, body []byte, encoding string) {
		var codes [2]int
		for i := range codes {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodPost, "/alerts", bytes.NewReader(body))
			if encoding != "" {
				req.Header.Set("Content-Encoding", encoding)
			}
			h.ServeHTTP(rec, req)
			codes[i] = rec.Code
			if rec.Code != 200 && rec.Code != 400 && rec.Code != 413 && rec.Code != 415 {
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
