package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/klauspost/compress/snappy"
	"google.golang.org/protobuf/encoding/protowire"
)

func promBase(raw string) (string, error) {
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("sim: Prometheus URL %q, want http(s)://host:port", raw)
	}
	return u.String(), nil
}

// targetWait bounds how long Backfill waits for Prometheus to discover its
// scrape target: discovery runs a few seconds after start or reload.
const targetWait = 30 * time.Second

// scrapeTarget returns the labels of Prometheus's active scrape target at
// hostport, or of its only one when hostport is empty.
func scrapeTarget(ctx context.Context, base, hostport string) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(ctx, targetWait)
	defer cancel()
	hc := &http.Client{Timeout: 10 * time.Second}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		labels, final, err := findTarget(ctx, hc, base, hostport)
		if err == nil {
			return labels, nil
		}
		last = err
		if final {
			return nil, fmt.Errorf("sim: backfill: %w", err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("sim: backfill: no scrape target to label the history with: %w", last)
		case <-tick.C:
		}
	}
}

// findTarget's final is set when waiting would not help: several targets match.
func findTarget(ctx context.Context, hc *http.Client, base, hostport string) (labels map[string]string, final bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/targets?state=active", nil)
	if err != nil {
		return nil, true, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, false, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if resp.StatusCode != http.StatusOK {
		return nil, false, fmt.Errorf("targets: %s: %.200s", resp.Status, body)
	}
	var v struct {
		Data struct {
			ActiveTargets []struct {
				Labels    map[string]string `json:"labels"`
				ScrapeURL string            `json:"scrapeUrl"`
			} `json:"activeTargets"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, false, fmt.Errorf("targets: %w", err)
	}
	var found []map[string]string
	for _, t := range v.Data.ActiveTargets {
		if u, err := url.Parse(t.ScrapeURL); hostport == "" || (err == nil && u.Host == hostport) {
			found = append(found, t.Labels)
		}
	}
	switch {
	case len(found) == 1:
		return found[0], false, nil
	case len(found) == 0 && hostport != "":
		return nil, false, fmt.Errorf("no active target scrapes %s", hostport)
	case len(found) == 0:
		return nil, false, fmt.Errorf("no active target yet")
	}
	return nil, true, fmt.Errorf("%d active targets: name the simulator's with Target or Labels", len(found))
}

// remoteWrite sends the series as remote-write 1.0 requests of at most
// maxSamples samples, each series' samples in time order.
func remoteWrite(ctx context.Context, u string, series []histSeries, times []int64, maxSamples int) error {
	hc := &http.Client{Timeout: 60 * time.Second}
	var req []byte
	n := 0
	flush := func() error {
		if n == 0 {
			return nil
		}
		err := postWrite(ctx, hc, u, snappy.Encode(nil, req))
		req, n = req[:0], 0
		return err
	}
	for _, s := range series {
		for from := 0; from < len(times); {
			to := min(len(times), from+maxSamples-n)
			req = protowire.AppendTag(req, 1, protowire.BytesType)
			req = protowire.AppendBytes(req, encodeSeries(s.labels, times[from:to], s.values[from:to]))
			n += to - from
			from = to
			if n >= maxSamples {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

// encodeSeries is a prompb.TimeSeries: labels (1), samples (2) of value (1)
// and millisecond timestamp (2).
func encodeSeries(labels []label, times []int64, values []float64) []byte {
	var b, m []byte
	for _, l := range labels {
		m = protowire.AppendTag(m[:0], 1, protowire.BytesType)
		m = protowire.AppendString(m, l.name)
		m = protowire.AppendTag(m, 2, protowire.BytesType)
		m = protowire.AppendString(m, l.value)
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendBytes(b, m)
	}
	for k, t := range times {
		m = protowire.AppendTag(m[:0], 1, protowire.Fixed64Type)
		m = protowire.AppendFixed64(m, math.Float64bits(values[k]))
		m = protowire.AppendTag(m, 2, protowire.VarintType)
		m = protowire.AppendVarint(m, uint64(t/int64(time.Millisecond)))
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendBytes(b, m)
	}
	return b
}

func postWrite(ctx context.Context, hc *http.Client, u string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("sim: backfill: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("Content-Encoding", "snappy")
	req.Header.Set("X-Prometheus-Remote-Write-Version", "0.1.0")
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("sim: backfill %s: %w", u, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("sim: backfill %s: %s: %s", u, resp.Status, strings.TrimSpace(string(msg)))
	}
	return nil
}
