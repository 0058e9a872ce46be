package prometheus_test

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/sources/prometheus"
)

func secretFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCredentialsReachTheServer(t *testing.T) {
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("triage:s3cret"))
	tests := []struct {
		name       string
		cfg        func(*testing.T) sources.Config
		wantAuth   string
		wantTenant string
	}{
		{"tenant header", func(*testing.T) sources.Config {
			return sources.Config{Headers: map[string]string{"X-Scope-OrgID": "team-a"}}
		}, "", "team-a"},
		{"basic auth from a password file", func(t *testing.T) sources.Config {
			return sources.Config{BasicAuth: &sources.BasicAuth{Username: "triage", PasswordFile: secretFile(t, "s3cret\n")}}
		}, basic, ""},
		{"bearer token file", func(t *testing.T) sources.Config {
			return sources.Config{BearerTokenFile: secretFile(t, "tok-123\n"), Headers: map[string]string{"X-Scope-OrgID": "a|b"}}
		}, "Bearer tok-123", "a|b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rec := serve(t, map[string]answer{
				"/api/v1/query":                jsonAnswer(t, 200, "query_vector.json"),
				"/api/v1/label/service/values": jsonAnswer(t, 200, "label_values.json"),
			})
			cfg := tt.cfg(t)
			cfg.URL = "http://" + rec.addr
			c, err := prometheus.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if _, err := c.Query(ctx, "up", time.Time{}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.LabelValues(ctx, "service", nil, time.Time{}, time.Time{}); err != nil {
				t.Fatal(err)
			}
			reqs := rec.all()
			if len(reqs) != 2 || reqs[0].method != http.MethodPost || reqs[1].method != http.MethodGet {
				t.Fatalf("requests = %+v", reqs)
			}
			for _, r := range reqs {
				if got := r.header.Get("Authorization"); got != tt.wantAuth {
					t.Errorf("%s %s: Authorization = %q, want %q", r.method, r.path, got, tt.wantAuth)
				}
				if got := r.header.Get("X-Scope-OrgID"); got != tt.wantTenant {
					t.Errorf("%s %s: X-Scope-OrgID = %q, want %q", r.method, r.path, got, tt.wantTenant)
				}
			}
		})
	}
}

func TestMissingSecretFileIsAuthError(t *testing.T) {
	_, rec := serve(t, map[string]answer{})
	c, err := prometheus.New(sources.Config{URL: "http://" + rec.addr, BearerTokenFile: filepath.Join(t.TempDir(), "absent")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Query(context.Background(), "up", time.Time{})
	if sources.KindOf(err) != sources.KindAuth {
		t.Fatalf("err = %v, want an auth error", err)
	}
	if n := len(rec.all()); n != 0 {
		t.Fatalf("%d requests sent without credentials", n)
	}
}

// flaky answers the first `fail` requests with status, then the vector.
func flaky(t *testing.T, fail int32, status int, body string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	ok := fixture(t, "query_vector.json")
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if n.Add(1) <= fail {
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
			return
		}
		_, _ = w.Write(ok)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name     string
		fail     int32
		status   int
		body     string
		wantErr  sources.Kind
		attempts int32
	}{
		{"503 then 200 succeeds", 1, 503, `{"status":"error","errorType":"unavailable","error":"not ready"}`, "", 2},
		{"429 then 200 succeeds", 1, 429, "too many outstanding requests", "", 2},
		{"400 is not retried", 5, 400, `{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected"}`, sources.KindBadRequest, 1},
		{"422 is not retried", 5, 422, `{"status":"error","errorType":"execution","error":"many-to-many matching not allowed"}`, sources.KindBadRequest, 1},
		{"retries run out", 5, 503, `{"status":"error","errorType":"timeout","error":"query timed out in query queue"}`, sources.KindTimeout, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, n := flaky(t, tt.fail, tt.status, tt.body)
			two := 2
			c, err := prometheus.New(sources.Config{URL: srv.URL, Retries: &two, RetryBackoff: time.Millisecond, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			res, err := c.Query(context.Background(), "up", time.Time{})
			if got := sources.KindOf(err); got != tt.wantErr {
				t.Fatalf("err = %v, want kind %q", err, tt.wantErr)
			}
			if tt.wantErr == "" && len(res.Vector()) != 3 {
				t.Fatalf("result = %v", res.Value)
			}
			if tt.wantErr != "" {
				if se, _ := sources.AsError(err); se.Status != tt.status {
					t.Fatalf("status = %d, want %d", se.Status, tt.status)
				}
			}
			if got := n.Load(); got != tt.attempts {
				t.Fatalf("server got %d requests, want %d", got, tt.attempts)
			}
		})
	}
}

func TestCancelStopsRetrying(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		cancel()
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	five := 5
	// Backoff long enough that a retry would show in the elapsed time.
	c, err := prometheus.New(sources.Config{URL: srv.URL, Retries: &five, RetryBackoff: 4 * time.Second, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	_, err = c.Query(ctx, "up", time.Time{})
	if _, ok := sources.AsError(err); !ok {
		t.Fatalf("err = %v, want *sources.Error", err)
	}
	if got := n.Load(); got != 1 {
		t.Fatalf("server got %d requests after cancel, want 1", got)
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Fatalf("cancelled call took %v", d)
	}
}

func TestTimeoutBoundsTheCall(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// With the form body read, the server notices the client hang up.
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	c, err := prometheus.New(sources.Config{URL: srv.URL, Timeout: 200 * time.Millisecond, Retries: zero()})
	if err != nil {
		t.Fatal(err)
	}
	end := time.Now()
	_, err = c.QueryRange(context.Background(), "up", v1.Range{Start: end.Add(-time.Hour), End: end, Step: time.Minute})
	se, ok := sources.AsError(err)
	if !ok || se.Kind != sources.KindTimeout || se.Op != "query_range" {
		t.Fatalf("err = %v, want a query_range timeout", err)
	}
}
