package prometheus_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/sources/prometheus"
	"github.com/triagectl/triage/sources/sourcestest"
)

func TestQueryErrors(t *testing.T) {
	tests := []struct {
		name     string
		ans      answer
		kind     sources.Kind
		status   int
		msg      string
		body     bool         // the server's body must be kept
		promType v1.ErrorType // the *v1.Error still reachable with errors.As
	}{
		{"bad_data keeps the parse message", jsonAnswer(t, 400, "bad_data_400.json"),
			sources.KindBadRequest, 400, `invalid parameter "query": 1:15: parse error: unclosed left parenthesis`, true, v1.ErrBadData},
		{"execution", jsonAnswer(t, 422, "execution_422.json"),
			sources.KindBadRequest, 422, "found duplicate series for the match group", true, v1.ErrExec},
		{"execution past its deadline is a timeout", jsonAnswer(t, 422, "exec_deadline_422.json"),
			sources.KindTimeout, 422, "context deadline exceeded", true, v1.ErrExec},
		{"timeout", jsonAnswer(t, 503, "timeout_503.json"),
			sources.KindTimeout, 503, "query timed out in expression evaluation", true, v1.ErrServer},
		{"canceled", answer{499, "application/json", []byte(`{"status":"error","errorType":"canceled","error":"query was canceled in query queue"}`)},
			sources.KindTimeout, 499, "canceled in query queue", true, v1.ErrClient},
		{"internal", answer{500, "application/json", []byte(`{"status":"error","errorType":"internal","error":"expanding series: out of memory"}`)},
			sources.KindServer, 500, "expanding series: out of memory", true, v1.ErrServer},
		{"unavailable", answer{503, "application/json", []byte(`{"status":"error","errorType":"unavailable","error":"TSDB not ready"}`)},
			sources.KindServer, 503, "TSDB not ready", true, v1.ErrServer},
		{"400 plain text from a proxy", answer{400, "text/plain", []byte("bad request: missing tenant\n")},
			sources.KindBadRequest, 400, "bad request: missing tenant", true, v1.ErrClient},
		{"401", answer{401, "text/plain", []byte("no org id")}, sources.KindAuth, 401, "no org id", true, v1.ErrClient},
		{"403 after the GET fallback", answer{403, "text/plain", []byte("forbidden")}, sources.KindAuth, 403, "forbidden", true, v1.ErrClient},
		{"404", answer{404, "text/plain", []byte("404 page not found")}, sources.KindNotFound, 404, "page not found", true, v1.ErrClient},
		{"429", answer{429, "text/plain", []byte("too many outstanding requests")}, sources.KindRateLimited, 429, "too many outstanding", true, v1.ErrClient},
		{"html on 200", answer{200, "text/html", []byte("<html><head><title>Sign in - SSO</title></head><body>x</body></html>")},
			sources.KindDecode, 200, "Sign in - SSO", true, v1.ErrBadResponse},
		{"null on 200", answer{200, "application/json", []byte("null")}, sources.KindDecode, 200, "envelope", true, ""},
		{"empty object on 200", answer{200, "application/json", []byte("{}")}, sources.KindDecode, 200, "envelope", true, ""},
		{"success without data", answer{200, "application/json", []byte(`{"status":"success"}`)}, sources.KindDecode, 200, `no "data"`, true, ""},
		{"unknown result type", answer{200, "application/json", []byte(`{"status":"success","data":{"resultType":"table","result":[]}}`)},
			sources.KindDecode, 200, "unknown value type", true, v1.ErrBadResponse},
		{"error envelope on 200", answer{200, "application/json", []byte(`{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected"}`)},
			sources.KindBadRequest, 200, "1:5: parse error", true, v1.ErrBadData},
		{"success on 400", answer{400, "application/json", []byte(`{"status":"success","data":{"resultType":"vector","result":[]}}`)},
			sources.KindBadRequest, 400, "success", true, v1.ErrBadResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := serve(t, map[string]answer{"/api/v1/query": tt.ans})
			_, err := c.Query(context.Background(), "sum(rate(x[5m]", time.Time{})
			se, ok := sources.AsError(err)
			if !ok {
				t.Fatalf("want *sources.Error, got %T: %v", err, err)
			}
			if se.Source != "prometheus" || se.Op != "query" || se.Kind != tt.kind || se.Status != tt.status {
				t.Fatalf("got %s/%s kind %s status %d, want query kind %s status %d (%v)", se.Source, se.Op, se.Kind, se.Status, tt.kind, tt.status, err)
			}
			if !strings.Contains(se.Msg, tt.msg) {
				t.Fatalf("msg %q does not keep %q", se.Msg, tt.msg)
			}
			if tt.body && se.Body != string(tt.ans.body) {
				t.Fatalf("body = %q, want the server's", se.Body)
			}
			var ae *v1.Error
			if tt.promType != "" && (!errors.As(err, &ae) || ae.Type != tt.promType) {
				t.Fatalf("errors.As *v1.Error = %v, want type %s", ae, tt.promType)
			}
			if !errors.Is(err, &sources.Error{Kind: tt.kind}) {
				t.Fatal("errors.Is by kind fails")
			}
		})
	}
}

// TestFaults runs the shared fault table through every call that decodes
// a Prometheus envelope.
func TestFaults(t *testing.T) {
	start, end := time.Unix(1795566539, 0), time.Unix(1795566839, 0)
	calls := []struct {
		op   string
		ok   string
		call func(context.Context, *prometheus.Client) error
	}{
		{"query", "query_vector.json", func(ctx context.Context, c *prometheus.Client) error {
			_, err := c.Query(ctx, "up", end)
			return err
		}},
		{"query_range", "query_matrix.json", func(ctx context.Context, c *prometheus.Client) error {
			_, err := c.QueryRange(ctx, "up", v1.Range{Start: start, End: end, Step: time.Minute})
			return err
		}},
		{"series", "series.json", func(ctx context.Context, c *prometheus.Client) error {
			_, err := c.Series(ctx, []string{"up"}, start, end)
			return err
		}},
		{"label_values", "label_values.json", func(ctx context.Context, c *prometheus.Client) error {
			_, err := c.LabelValues(ctx, "service", nil, start, end)
			return err
		}},
		{"query_exemplars", "exemplars.json", func(ctx context.Context, c *prometheus.Client) error {
			_, err := c.QueryExemplars(ctx, "up", start, end)
			return err
		}},
		{"alerts", "alerts.json", func(ctx context.Context, c *prometheus.Client) error {
			_, err := c.Alerts(ctx)
			return err
		}},
		{"rules", "rules.json", func(ctx context.Context, c *prometheus.Client) error {
			_, err := c.Rules(ctx)
			return err
		}},
		{"buildinfo", "buildinfo.json", func(ctx context.Context, c *prometheus.Client) error {
			_, err := c.BuildInfo(ctx)
			return err
		}},
	}
	for _, call := range calls {
		for _, f := range sourcestest.Faults(string(fixture(t, call.ok))) {
			t.Run(call.op+"/"+f.Name, func(t *testing.T) {
				t.Parallel()
				c, err := prometheus.New(sourcestest.Serve(t, f))
				if err != nil {
					t.Fatal(err)
				}
				err = call.call(context.Background(), c)
				sourcestest.Check(t, f, err)
				if se, _ := sources.AsError(err); se.Op != call.op || se.Source != "prometheus" {
					t.Fatalf("error names %s/%s, want prometheus/%s", se.Source, se.Op, call.op)
				}
			})
		}
	}
}
