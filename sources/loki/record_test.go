package loki_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/sources/loki"
)

// TestRecordFixtures refreshes testdata/ from a live Loki:
//
//	LOKI_RECORD_URL=http://127.0.0.1:3100 go test -run TestRecordFixtures ./sources/loki
//
// The server must allow structured metadata, have volume_enabled, the
// pattern ingester on and max_query_series: 5 (to record that error).
// Hand-written bodies (errors that need another server setup) are listed
// in testdata/MANIFEST.tsv as such and are left alone.
func TestRecordFixtures(t *testing.T) {
	base := os.Getenv("LOKI_RECORD_URL")
	if base == "" {
		t.Skip("LOKI_RECORD_URL not set")
	}
	ctx := context.Background()
	c, err := loki.New(sources.Config{URL: base, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Truncate(time.Minute).Add(-10 * time.Minute)
	end := start.Add(11 * time.Minute)
	if err := c.Push(ctx, recordedStreams(start)); err != nil {
		t.Fatal(err)
	}
	ns := func(t time.Time) string { return strconv.FormatInt(t.UnixNano(), 10) }
	rng := url.Values{"start": {ns(start)}, "end": {ns(end)}}
	with := func(extra url.Values) url.Values {
		q := url.Values{}
		for k, v := range rng {
			q[k] = v
		}
		for k, v := range extra {
			q[k] = v
		}
		return q
	}
	categorize := http.Header{loki.EncodingFlagsHeader: {loki.FlagCategorizeLabels}}
	type rec struct {
		file, path string
		q          url.Values
		h          http.Header
	}
	recs := []rec{
		{"query_range_streams_categorized.json", "/loki/api/v1/query_range", with(url.Values{"query": {`{service_name="payments"} |= "error"`}, "limit": {"5"}}), categorize},
		{"query_range_streams_plain.json", "/loki/api/v1/query_range", with(url.Values{"query": {`{service_name="payments"} |= "error"`}, "limit": {"5"}}), nil},
		{"query_range_streams_parsed.json", "/loki/api/v1/query_range", with(url.Values{"query": {`{service_name="storefront"} | logfmt`}, "limit": {"3"}, "direction": {"forward"}}), categorize},
		{"query_range_matrix.json", "/loki/api/v1/query_range", with(url.Values{"query": {`sum by (service_name)(count_over_time({env="sim"}[1m]))`}, "step": {"60"}}), categorize},
		{"query_vector.json", "/loki/api/v1/query", url.Values{"query": {`sum by (service_name)(count_over_time({env="sim"}[10m]))`}, "time": {ns(end)}}, categorize},
		{"labels.json", "/loki/api/v1/labels", rng, nil},
		{"label_values_service_name.json", "/loki/api/v1/label/service_name/values", rng, nil},
		{"series.json", "/loki/api/v1/series", with(url.Values{"match[]": {`{env="sim"}`}}), nil},
		{"volume.json", "/loki/api/v1/index/volume", with(url.Values{"query": {`{env="sim", service_name=~".+"}`}}), nil},
		{"volume_range.json", "/loki/api/v1/index/volume_range", with(url.Values{"query": {`{env="sim", service_name=~".+"}`}, "step": {"300"}}), nil},
		{"buildinfo.json", "/loki/api/v1/status/buildinfo", nil, nil},
		{"ready.txt", "/ready", nil, nil},
		{"error_parse.txt", "/loki/api/v1/query_range", with(url.Values{"query": {`{service_name=`}}), categorize},
		{"error_max_entries.txt", "/loki/api/v1/query_range", with(url.Values{"query": {`{env="sim"}`}, "limit": {"10000"}}), categorize},
		{"error_max_series.txt", "/loki/api/v1/query_range", with(url.Values{"query": {`sum by (trace_id)(count_over_time({env="sim"}[1m]))`}, "step": {"60"}}), categorize},
		{"error_range_limit.txt", "/loki/api/v1/query_range", url.Values{"query": {`{env="sim"}`}, "start": {ns(end.Add(-800 * time.Hour))}, "end": {ns(end)}}, categorize},
	}
	var manifest []string
	for _, r := range recs {
		status, ctype := record(t, base, r.file, r.path, r.q, r.h)
		manifest = append(manifest, manifestLine(r.file, status, ctype, r.path, r.q, r.h))
	}
	// Patterns appear once the pattern ingester has flushed its first
	// samples: poll with a deadline.
	pq := with(url.Values{"query": {`{env="sim"}`}, "step": {"60"}})
	deadline := time.Now().Add(90 * time.Second)
	for {
		status, ctype := record(t, base, "patterns.json", "/loki/api/v1/patterns", pq, nil)
		body := fixture(t, "patterns.json")
		if strings.Contains(string(body), `"level":"error"`) {
			manifest = append(manifest, manifestLine("patterns.json", status, ctype, "/loki/api/v1/patterns", pq, nil))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no patterns after 90s: %s", body)
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(2 * time.Second):
		}
	}
	manifest = append(manifest, handWritten...)
	if err := os.WriteFile(filepath.Join("testdata", "MANIFEST.tsv"), []byte(strings.Join(manifest, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// handWritten lists the bodies not recorded here, with where their text
// comes from in Loki's source.
var handWritten = []string{
	"error_no_org_id.txt\t400\ttext/plain; charset=utf-8\thand-written: user.ErrNoOrgID, answered when auth_enabled and X-Scope-OrgID is missing",
	"error_too_many_requests.txt\t429\ttext/plain; charset=utf-8\thand-written: the query scheduler's queue limit",
	"error_timeout.txt\t504\ttext/plain; charset=utf-8\thand-written: pkg/util/server ErrDeadlineExceeded",
	"error_envelope.json\t200\tapplication/json\thand-written: a Prometheus-style error envelope some gateways return",
	"query_no_status.json\t200\tapplication/json\thand-written: a query answer without status",
	"patterns_disabled.txt\t404\t-\thand-written: Querier.Patterns without a pattern querier answers 404 with an empty body",
}

func record(t *testing.T, base, file, path string, q url.Values, h http.Header) (int, string) {
	t.Helper()
	u := strings.TrimRight(base, "/") + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("testdata", file), body, 0o644); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type")
}

func manifestLine(file string, status int, ctype, path string, q url.Values, h http.Header) string {
	if ctype == "" {
		ctype = "-"
	}
	req := "GET " + path
	if len(q) > 0 {
		req += "?" + q.Encode()
	}
	if v := h.Get(loki.EncodingFlagsHeader); v != "" {
		req += " (" + loki.EncodingFlagsHeader + ": " + v + ")"
	}
	return fmt.Sprintf("%s\t%d\t%s\t%s", file, status, ctype, req)
}

// recordedStreams is the data the fixtures are recorded from: three
// services over ten minutes, payments failing on its database with trace
// ids in structured metadata, storefront logging logfmt with characters
// that JSON must escape.
func recordedStreams(start time.Time) []loki.Stream {
	var store, checkout, pay []loki.Entry
	for i := range 60 {
		ts := start.Add(time.Duration(i) * 10 * time.Second)
		trace := fmt.Sprintf("4bf92f3577b34da6a3ce929d0e0e%04x", 0x4700+i)
		span := fmt.Sprintf("%016x", 0x00f067aa0ba90200+i)
		sm := map[string]string{"trace_id": trace, "span_id": span}
		store = append(store, loki.Entry{Time: ts, StructuredMetadata: sm,
			Line: fmt.Sprintf(`level=info method=GET path=/product/%d status=200 duration_ms=%d msg="served <cached> \"ok\" café"`, 40+i%5, 10+i%7)})
		checkout = append(checkout, loki.Entry{Time: ts.Add(time.Millisecond), StructuredMetadata: sm,
			Line: fmt.Sprintf("checkout started cart=c-%d items=%d user=u-%d", 1000+i, 1+i%4, 10001+i%20)})
		if i%2 == 1 {
			pay = append(pay, loki.Entry{Time: ts.Add(2 * time.Millisecond), StructuredMetadata: sm,
				Line: fmt.Sprintf("level=error msg=\"ledger-db: write failed: connection reset by peer\" attempt=%d order=o-%d", 1+i%3, 5000+i)})
		} else {
			pay = append(pay, loki.Entry{Time: ts.Add(2 * time.Millisecond), StructuredMetadata: sm,
				Line: fmt.Sprintf("level=info msg=\"payment captured\" order=o-%d amount=%d.%02d", 5000+i, 10+i, i)})
		}
	}
	return []loki.Stream{
		{Labels: map[string]string{"service_name": "storefront", "env": "sim"}, Entries: store},
		{Labels: map[string]string{"service_name": "checkout", "env": "sim"}, Entries: checkout},
		{Labels: map[string]string{"service_name": "payments", "env": "sim"}, Entries: pay},
	}
}
