package prometheus

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/triagectl/triage/sources"
)

// exchange is what the adapter saw of the last HTTP answer for one call.
// client_golang reduces most answers to "client error: 400" and drops the
// status, so the error mapping reads the real status and body from here.
type exchange struct {
	op     string
	status int
	header http.Header
	body   []byte
}

type exchangeKey struct{}

// track returns a context that makes the adapter record the call's answer.
func track(ctx context.Context, op string) (context.Context, *exchange) {
	ex := &exchange{op: op}
	return context.WithValue(ctx, exchangeKey{}, ex), ex
}

// transport implements client_golang's api.Client over the shared client,
// so that timeouts, credentials, body caps and retries are the same for
// every source.
type transport struct {
	hc *sources.Client
}

// URL builds an endpoint URL, filling ":name" path segments from args the
// way client_golang's own client does.
func (t transport) URL(ep string, args map[string]string) *url.URL {
	parts := strings.Split(ep, "/")
	for i, p := range parts {
		if v, ok := args[strings.TrimPrefix(p, ":")]; ok && strings.HasPrefix(p, ":") {
			parts[i] = v
		}
	}
	return t.hc.URL(strings.Join(parts, "/"), nil)
}

// Do sends req through the shared client. Non-2xx answers come back as
// responses, not errors, because client_golang decodes Prometheus's error
// envelopes itself.
func (t transport) Do(ctx context.Context, req *http.Request) (*http.Response, []byte, error) {
	ex, _ := ctx.Value(exchangeKey{}).(*exchange)
	op := "request"
	if ex != nil {
		op = ex.op
	}
	resp, body, err := t.hc.DoHTTP(ctx, op, req)
	if ex != nil {
		ex.status, ex.header, ex.body = 0, nil, nil
		if resp != nil {
			ex.status, ex.header, ex.body = resp.StatusCode, resp.Header, body
		}
	}
	return resp, body, err
}
