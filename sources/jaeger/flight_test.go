package jaeger

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/triagectl/triage/sources"
)

// Two identical searches at once cost Jaeger one request; a caller whose
// own deadline passed does not take the other's answer away.
func TestIdenticalRequestsShareOneAnswer(t *testing.T) {
	body := fixture(t, "services.json")
	var hits atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		<-release
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	c, err := New(sources.Config{URL: srv.URL, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	waiters := func() int {
		c.mu.Lock()
		defer c.mu.Unlock()
		n := 0
		for _, f := range c.inflight {
			n += f.waiters
		}
		return n
	}
	wait := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); waiters() < n; {
			if time.Now().After(deadline) {
				t.Fatalf("%d callers waiting, want %d", waiters(), n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	var wg sync.WaitGroup
	results := make([][]string, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() { results[i], errs[i] = c.Services(context.Background()) })
	}
	wait(1) // one asks, one waits
	// A third caller gives up before the answer comes.
	short, cancel := context.WithCancel(context.Background())
	shortErr := make(chan error, 1)
	go func() {
		_, err := c.Services(short)
		shortErr <- err
	}()
	wait(2)
	cancel()
	if err := <-shortErr; sources.KindOf(err) != sources.KindTimeout {
		t.Errorf("the caller that gave up: %v", err)
	}
	close(release)
	wg.Wait()
	if hits.Load() != 1 {
		t.Errorf("%d requests for one question asked three times at once", hits.Load())
	}
	for i := range 2 {
		if errs[i] != nil || len(results[i]) == 0 {
			t.Errorf("caller %d: %v, %v", i, results[i], errs[i])
		}
	}
	if len(c.inflight) != 0 {
		t.Errorf("%d requests left in flight", len(c.inflight))
	}
}
