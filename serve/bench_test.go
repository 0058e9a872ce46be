package serve

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/triagectl/triage/sources/alertmanager"
)

// BenchmarkWebhookIngest measures durable ingestion over loopback HTTP: an
// op is one alert, answered 200 only once fsync'd. Senders post
// concurrently, each webhook carrying perRequest new alerts of one of 20
// services. Reports alerts/s and the p99 latency of one webhook.
//
//	go test -run '^$' -bench WebhookIngest -benchtime 20000x -benchmem ./serve
func BenchmarkWebhookIngest(b *testing.B) {
	for _, c := range []struct{ senders, perRequest int }{{64, 1}, {64, 10}, {16, 1}} {
		b.Run(fmt.Sprintf("senders-%d/alerts-per-webhook-%d", c.senders, c.perRequest), func(b *testing.B) {
			benchIngest(b, c.senders, c.perRequest)
		})
	}
}

func benchIngest(b *testing.B, senders, perRequest int) {
	bk := newBackends()
	d := start(b, Config{Workers: 4}, Deps{Sources: bk.sources(), Options: bk.options()})
	requests := max(1, b.N/perRequest)
	bodies := make([][]byte, requests)
	startsAt := time.Now().Add(-time.Minute)
	for i := range bodies {
		svc := fmt.Sprintf("svc-%02d", i%20)
		alerts := make([]alertmanager.WebhookAlert, perRequest)
		for j := range alerts {
			alerts[j] = firing("HighErrorRate", svc, fmt.Sprintf("%08x-%02d", i, j), startsAt)
		}
		bodies[i] = payload("firing", `{}:{alertname="HighErrorRate", service="`+svc+`"}`, alerts...)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders, MaxConnsPerHost: senders}}
	lat := make([]time.Duration, requests)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	t0 := time.Now()
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= requests {
					return
				}
				s := time.Now()
				resp, err := client.Post(d.url+"/alerts", "application/json", bytes.NewReader(bodies[i]))
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Errorf("HTTP %d", resp.StatusCode)
					return
				}
				lat[i] = time.Since(s)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(t0)
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(requests*perRequest)/elapsed.Seconds(), "alerts/s")
	b.ReportMetric(float64(lat[(len(lat)*99)/100].Microseconds())/1000, "p99_ms")
	incs, err := d.Incidents(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	total := 0
	for _, inc := range incs {
		total += inc.AlertCount
	}
	if total != requests*perRequest {
		b.Fatalf("%d alerts stored, %d acknowledged", total, requests*perRequest)
	}
}

// BenchmarkAlertStorm sends 2,000 alerts across 20 services (100 alert
// names, one webhook per group) to a fresh daemon and waits for every
// incident's report. Reports the investigations the storm cost.
//
//	go test -run '^$' -bench AlertStorm -benchtime 5x ./serve
func BenchmarkAlertStorm(b *testing.B) {
	var runs, incidents int64
	for range b.N {
		bk := newBackends()
		d := start(b, Config{Workers: 8, Coalesce: time.Minute, Refresh: time.Hour,
			SourceLimits: map[string]int{"prometheus": 4, "loki": 4, "tempo": 4}},
			Deps{Sources: bk.sources(), Options: bk.options()})
		ids := storm(b, d.url, 100, 20)
		eventually(b, 60*time.Second, "every report", func() bool {
			incs, _ := d.Incidents(context.Background())
			for _, inc := range incs {
				if inc.PrewarmState != PrewarmReady {
					return false
				}
			}
			return len(incs) == len(ids)
		})
		runs += bk.runs.Load()
		incidents += int64(len(ids))
		d.stop()
	}
	b.ReportMetric(float64(runs)/float64(b.N), "investigations/op")
	b.ReportMetric(float64(incidents)/float64(b.N), "incidents/op")
}
