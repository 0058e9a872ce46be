package bundle_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/sources/bundle"
	"github.com/triagectl/triage/triage"
)

func header() bundle.Header {
	return bundle.Header{Options: bundle.OptionsFrom(triage.DefaultOptions(), time.Unix(1795566204, 0))}
}

// Record is every client's OnExchange at once: concurrent calls all land,
// each once, numbered in the order they were written.
func TestWriterConcurrentRecord(t *testing.T) {
	var buf bytes.Buffer
	w, err := bundle.NewWriter(&buf, header())
	if err != nil {
		t.Fatal(err)
	}
	const workers, each = 16, 25
	var wg sync.WaitGroup
	for g := range workers {
		wg.Go(func() {
			for i := range each {
				w.Record(sources.Exchange{Source: "loki", Op: "query_range", Method: "GET",
					URL: fmt.Sprintf("http://loki/x?g=%d&i=%d", g, i), Status: 200, Body: []byte("{}"), Started: time.Now()})
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := bundle.Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	i := 0
	for e, err := range b.Exchanges() {
		if err != nil {
			t.Fatal(err)
		}
		i++
		if e.Seq != i {
			t.Fatalf("exchange %d has seq %d", i, e.Seq)
		}
		seen[e.URL] = true
	}
	if len(seen) != workers*each {
		t.Errorf("%d distinct exchanges, want %d", len(seen), workers*each)
	}
}

// Paced, the investigation's answers come as long after the first request
// as they came live, so concurrent calls finish in the recorded order;
// unpaced, at once.
func TestReplayPacing(t *testing.T) {
	t0 := time.Unix(1795566204, 0)
	var buf bytes.Buffer
	w, _ := bundle.NewWriter(&buf, header())
	record := func(path string, d time.Duration) {
		w.Record(sources.Exchange{Source: "tempo", Op: "search", Method: "GET", URL: "http://tempo" + path,
			Status: 200, Body: []byte(path), Started: t0, Duration: d})
	}
	record("/slow", 120*time.Millisecond)
	record("/fast", 10*time.Millisecond)
	w.SetPhase(bundle.PhaseDrillDown)
	record("/later", 5*time.Second) // drill-down: never paced
	w.Close()
	b, err := bundle.Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for _, pace := range []bool{true, false} {
		t.Run(fmt.Sprint("pace=", pace), func(t *testing.T) {
			rt := bundle.NewReplay(b, bundle.ReplayOptions{Pace: pace}).Transport("tempo")
			start := time.Now()
			var mu sync.Mutex
			var order []string
			took := map[string]time.Duration{}
			var wg sync.WaitGroup
			for _, p := range []string{"/slow", "/fast", "/later"} {
				wg.Go(func() {
					resp, err := rt.RoundTrip(httptest.NewRequest(http.MethodGet, "http://elsewhere"+p, nil))
					if err != nil {
						t.Error(err)
						return
					}
					resp.Body.Close()
					mu.Lock()
					order = append(order, p)
					took[p] = time.Since(start)
					mu.Unlock()
				})
			}
			wg.Wait()
			if took["/later"] > time.Second {
				t.Errorf("drill-down answer paced: %s", took["/later"])
			}
			if !pace {
				if took["/slow"] > 100*time.Millisecond {
					t.Errorf("unpaced answer took %s", took["/slow"])
				}
				return
			}
			if took["/slow"] < 100*time.Millisecond || took["/fast"] > took["/slow"] {
				t.Errorf("paced: fast %s, slow %s, order %v", took["/fast"], took["/slow"], order)
			}
		})
	}
}
