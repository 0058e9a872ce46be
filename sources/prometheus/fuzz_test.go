package prometheus_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/sources/prometheus"
)

// fuzzCalls are the client calls whose answers get decoded. The first two
// return a query value, which may not be nil without an error.
func fuzzCalls() []func(context.Context, *prometheus.Client) (any, error) {
	return []func(context.Context, *prometheus.Client) (any, error){
		func(ctx context.Context, c *prometheus.Client) (any, error) {
			r, err := c.Query(ctx, "up", time.Unix(1795566839, 0))
			return r.Value, err
		},
		func(ctx context.Context, c *prometheus.Client) (any, error) {
			end := time.Unix(1795566839, 0)
			r, err := c.QueryRange(ctx, "up", v1.Range{Start: end.Add(-time.Hour), End: end, Step: time.Minute})
			return r.Value, err
		},
		func(ctx context.Context, c *prometheus.Client) (any, error) {
			return c.Series(ctx, []string{"up"}, time.Time{}, time.Time{})
		},
		func(ctx context.Context, c *prometheus.Client) (any, error) {
			return c.LabelNames(ctx, nil, time.Time{}, time.Time{})
		},
		func(ctx context.Context, c *prometheus.Client) (any, error) {
			return c.LabelValues(ctx, "service", nil, time.Time{}, time.Time{})
		},
		func(ctx context.Context, c *prometheus.Client) (any, error) {
			return c.QueryExemplars(ctx, "up", time.Time{}, time.Time{})
		},
		func(ctx context.Context, c *prometheus.Client) (any, error) { return c.Alerts(ctx) },
		func(ctx context.Context, c *prometheus.Client) (any, error) { return c.Rules(ctx) },
		func(ctx context.Context, c *prometheus.Client) (any, error) { return c.BuildInfo(ctx) },
	}
}

// FuzzDecodeResponse feeds arbitrary bodies under each status through the
// client's whole decoding path: it must never panic, and every failure
// must be a *sources.Error that keeps the status.
func FuzzDecodeResponse(f *testing.F) {
	// The statuses a Prometheus or a proxy in front of it answers with;
	// the fuzzer picks one by index.
	statuses := []int{200, 400, 422, 503, 500, 404, 429, 499, 204}
	calls := fuzzCalls()
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no fixtures: %v", err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for call := range len(calls) {
			f.Add(uint8(0), uint8(call), b)
		}
		f.Add(uint8(1), uint8(0), b)
		f.Add(uint8(2), uint8(1), b)
		f.Add(uint8(3), uint8(0), b)
	}
	f.Add(uint8(0), uint8(0), []byte("<html><head><title>Sign in</title></head></html>"))
	f.Add(uint8(0), uint8(0), []byte(`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"histograms":[[1,{"count":"1","sum":"2","buckets":[[0,"0","1","1"]]}]]}]}}`))

	var mu sync.Mutex
	var status int
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		st, b := status, body
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(st)
		_, _ = w.Write(b)
	}))
	defer srv.Close()
	c, err := prometheus.New(sources.Config{URL: srv.URL, Timeout: 5 * time.Second, Retries: zero()})
	if err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, statusIdx, callIdx uint8, b []byte) {
		st := statuses[int(statusIdx)%len(statuses)]
		mu.Lock()
		status, body = st, b
		mu.Unlock()
		call := int(callIdx) % len(calls)
		t0 := time.Now()
		got, err := calls[call](context.Background(), c)
		if d := time.Since(t0); d > 3*time.Second {
			t.Fatalf("call %d on a %d answer took %v", call, st, d)
		}
		if err == nil {
			if st/100 != 2 {
				t.Fatalf("status %d accepted as %v", st, got)
			}
			if call < 2 && got == nil {
				t.Fatal("a query gave neither a value nor an error")
			}
			return
		}
		se, ok := sources.AsError(err)
		if !ok {
			t.Fatalf("%T is not a *sources.Error: %v", err, err)
		}
		if se.Source != "prometheus" || se.Op == "" || !slices.Contains(sources.Kinds, se.Kind) {
			t.Fatalf("malformed error %+v", se)
		}
		if se.Status != st {
			t.Fatalf("status %d reported as %d: %v", st, se.Status, err)
		}
		if strings.ContainsAny(se.Msg, "\r\n") || len(se.Body) > sources.MaxErrorBody+len("…") {
			t.Fatalf("message or body not bounded: %q (%d body bytes)", se.Msg, len(se.Body))
		}
	})
}
