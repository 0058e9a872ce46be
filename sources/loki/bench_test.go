package loki_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/sources/loki"
)

// streamsBody builds a categorized answer of n lines shaped like the
// recorded ones: 20 streams, logfmt lines with escapes, trace and span ids
// in structured metadata, and the recorded statistics block.
func streamsBody(b *testing.B, n int) []byte {
	b.Helper()
	var rec map[string]any
	if err := json.Unmarshal(fixture(b, "query_range_streams_categorized.json"), &rec); err != nil {
		b.Fatal(err)
	}
	const streams = 20
	result := make([]any, streams)
	base := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC).UnixNano()
	for s := range streams {
		values := make([]any, 0, n/streams)
		for i := range n / streams {
			k := s*n/streams + i
			line := fmt.Sprintf(`level=error msg="request failed" method=POST route=/checkout status=502 duration_ms=%d user=u-%d err="checkout: place order: rpc error: code = DeadlineExceeded desc = charge card: timeout <pool=ledger>"`, 2000+k%700, 10001+k%300)
			values = append(values, []any{strconv.FormatInt(base-int64(k)*int64(time.Millisecond), 10), line,
				map[string]any{"structuredMetadata": map[string]string{
					"detected_level": "error",
					"trace_id":       fmt.Sprintf("%032x", k*7919+1),
					"span_id":        fmt.Sprintf("%016x", k*104729+1),
				}}})
		}
		result[s] = map[string]any{"stream": map[string]string{"service_name": fmt.Sprintf("svc-%02d", s), "env": "sim"}, "values": values}
	}
	data := rec["data"].(map[string]any)
	data["result"] = result
	body, err := json.Marshal(rec)
	if err != nil {
		b.Fatal(err)
	}
	return body
}

func BenchmarkDecodeStreams5000(b *testing.B) {
	body := streamsBody(b, 5000)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := loki.DecodeQueryResult(body)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Streams) != 20 || len(res.Streams[0].Entries) != 250 {
			b.Fatalf("decoded %d streams", len(res.Streams))
		}
	}
}

func BenchmarkQueryRangeStreams5000(b *testing.B) {
	body := streamsBody(b, 5000)
	c, _ := serveBodyB(b, body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.QueryRange(context.Background(), loki.QueryRangeRequest{Query: `{env="sim"}`, Limit: 5000}); err != nil {
			b.Fatal(err)
		}
	}
}

func serveBodyB(b *testing.B, body []byte) (*loki.Client, *recorder) {
	rec := &recorder{status: 200, ctype: jsonType, body: body}
	srv := newServer(b, rec)
	c, err := loki.New(sources.Config{URL: srv})
	if err != nil {
		b.Fatal(err)
	}
	return c, rec
}
