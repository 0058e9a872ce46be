package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// LogLine is one generated log line, for offline tests.
type LogLine struct {
	Time            time.Time
	Service, Level  string
	Line            string
	TraceID, SpanID string // empty for lines logged outside a request
}

// Logs returns every log line of the window, oldest first.
func (i *Incident) Logs() []LogLine { return logLines(i.logs) }

// BaselineLogs returns the lines logged before the window, around the
// window an investigation compares with, oldest first.
func (i *Incident) BaselineLogs() []LogLine { return logLines(i.baseLogs) }

func logLines(recs []logRec) []LogLine {
	out := make([]LogLine, len(recs))
	for k, l := range recs {
		out[k] = LogLine{Time: time.Unix(0, l.at).UTC(), Service: l.svc, Level: l.level.String(), Line: l.line}
		if l.hasTrace {
			out[k].TraceID, out[k].SpanID = l.trace.String(), l.span.String()
		}
	}
	return out
}

// maxPushBytes keeps each push request under Loki's 1 MiB-ish comfort zone;
// the estimate per entry is generous so the encoded body stays below 1 MiB.
const maxPushBytes = 900 << 10

type pushRequest struct {
	Streams []*pushStream `json:"streams"`
}

type pushStream struct {
	Stream map[string]string `json:"stream"`
	Values [][]any           `json:"values"`
}

// PushLogs pushes the log lines to Loki's /loki/api/v1/push in batches below
// 1 MiB, with trace_id and span_id as structured metadata and stream labels
// {service_name, env="sim"}. Rate-limited and failed pushes are retried a few
// times.
func (i *Incident) PushLogs(ctx context.Context, lokiURL string) error {
	u, err := pushURL(lokiURL)
	if err != nil {
		return err
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	var req pushRequest
	streams := map[string]*pushStream{}
	size := 0
	flush := func() error {
		if len(req.Streams) == 0 {
			return nil
		}
		body, err := json.Marshal(req)
		if err != nil {
			return fmt.Errorf("sim: encode log push: %w", err)
		}
		req, streams, size = pushRequest{}, map[string]*pushStream{}, 0
		return postWithRetry(ctx, hc, u, body, i.retryBase)
	}
	for _, l := range append(append([]logRec{}, i.baseLogs...), i.logs...) {
		est := len(l.line) + 160
		if size+est > maxPushBytes {
			if err := flush(); err != nil {
				return err
			}
		}
		st := streams[l.svc]
		if st == nil {
			st = &pushStream{Stream: map[string]string{"service_name": l.svc, "env": "sim"}}
			streams[l.svc] = st
			req.Streams = append(req.Streams, st)
		}
		v := []any{strconv.FormatInt(l.at, 10), l.line}
		if l.hasTrace {
			v = append(v, map[string]string{"trace_id": l.trace.String(), "span_id": l.span.String()})
		}
		st.Values = append(st.Values, v)
		size += est
	}
	return flush()
}

func pushURL(base string) (string, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("sim: Loki URL %q, want http(s)://host:port", base)
	}
	if !strings.HasSuffix(u.Path, "/loki/api/v1/push") {
		u.Path += "/loki/api/v1/push"
	}
	return u.String(), nil
}

// defaultRetryBase is the first pause after a rate-limited or failed push;
// it doubles with each attempt.
const defaultRetryBase = 250 * time.Millisecond

func postWithRetry(ctx context.Context, hc *http.Client, u string, body []byte, base time.Duration) error {
	const attempts = 4
	if base <= 0 {
		base = defaultRetryBase
	}
	var last error
	for a := 0; a < attempts; a++ {
		if a > 0 {
			t := time.NewTimer(base << a)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
		retry, err := post(ctx, hc, u, body)
		if err == nil {
			return nil
		}
		last = err
		if !retry {
			break
		}
	}
	return last
}

func post(ctx context.Context, hc *http.Client, u string, body []byte) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("sim: push logs: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return ctx.Err() == nil, fmt.Errorf("sim: push logs to %s: %w", u, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
	if resp.StatusCode/100 == 2 {
		return false, nil
	}
	retry = resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
	return retry, fmt.Errorf("sim: push logs to %s: %s: %s", u, resp.Status, strings.TrimSpace(string(msg)))
}
