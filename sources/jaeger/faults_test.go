package jaeger

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/sources/sourcestest"
)

// Small real answers, cut down from the recordings (one span each) so that
// the fault table's truncated and over-cap cases fit its 1 KiB cap.
const (
	smallTraceID  = "5b24fa26b088d50ab1355e1fce406da2"
	smallTrace    = `{"result":{"resourceSpans":[{"resource":{"attributes":[{"key":"k8s.node.name","value":{"stringValue":"node-7"}},{"key":"service.name","value":{"stringValue":"payments"}}]},"scopeSpans":[{"scope":{"name":"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc","version":"0.62.0"},"spans":[{"traceId":"5b24fa26b088d50ab1355e1fce406da2","spanId":"e53bb19d1c904ae8","parentSpanId":"cf6e52f525710f17","flags":769,"name":"payments.v1.PaymentService/Charge","kind":2,"startTimeUnixNano":"1796527351085430271","endTimeUnixNano":"1796527353093512114","attributes":[{"key":"enduser.id","value":{"stringValue":"u-10229"}},{"key":"rpc.grpc.status_code","value":{"intValue":"4"}}],"events":[{"timeUnixNano":"1796527353093512114","name":"exception","attributes":[{"key":"exception.message","value":{"stringValue":"charge card: timeout acquiring connection from pool after 2000ms"}},{"key":"exception.type","value":{"stringValue":"*fmt.wrapError"}}]}],"status":{"message":"charge card: timeout acquiring connection from pool after 2000ms","code":2}}]}]}]}}`
	smallUISearch = `{"data":[{"traceID":"e561c628752078276bcaddc75f902a27","spans":[{"traceID":"e561c628752078276bcaddc75f902a27","spanID":"81aa5ff10605a47e","operationName":"POST /checkout","references":[],"startTime":1796527894783237,"duration":41746,"tags":[{"key":"enduser.id","type":"string","value":"u-10229"},{"key":"http.route","type":"string","value":"/checkout"},{"key":"span.kind","type":"string","value":"server"}],"logs":[],"processID":"p4","warnings":null}],"processes":{"p4":{"serviceName":"storefront","tags":[{"key":"k8s.node.name","type":"string","value":"node-7"}]}},"warnings":null}],"total":0,"limit":0,"offset":0,"errors":null}`
	smallServices = `{"services":["auth","checkout","inventory","recommendations","catalog","cart","payments","notifications","storefront"]}`
	smallOps      = `{"operations":[{"name":"SELECT accounts","spanKind":"client"},{"name":"INSERT ledger_entries","spanKind":"client"},{"name":"payments.v1.PaymentService/Charge","spanKind":"server"}]}`
	smallDeps     = `{"data":[{"parent":"checkout","child":"payments","callCount":912},{"parent":"payments","child":"payments","callCount":1737}],"total":0,"limit":0,"offset":0,"errors":null}`
)

// A window around the small bodies' spans.
var (
	smallStart = time.Unix(0, 1796527300000000000)
	smallEnd   = time.Unix(0, 1796527900000000000)
)

func TestSmallBodiesDecode(t *testing.T) {
	td, err := DecodeTraces([]byte(smallTrace))
	if err != nil || td.SpanCount() != 1 {
		t.Fatalf("trace: %v", err)
	}
	sums, err := DecodeUISearch([]byte(smallUISearch))
	if err != nil || len(sums) != 1 || sums[0].RootServiceName != "storefront" || sums[0].SpanCount != 1 {
		t.Fatalf("UI search: %+v %v", sums, err)
	}
	q := Query{Service: "storefront", Attributes: map[string]string{"enduser.id": "u-10229", "k8s.node.name": "node-7"}, Start: smallStart, End: smallEnd}
	w, _ := decodeUISearch([]byte(smallUISearch))
	if !q.matchesUITrace(&w.Data[0]) {
		t.Error("the UI search's span does not match its own attributes, one from its process")
	}
	if _, err := DecodeServices([]byte(smallServices)); err != nil {
		t.Error(err)
	}
	if _, err := DecodeOperations([]byte(smallOps)); err != nil {
		t.Error(err)
	}
	if _, err := DecodeDependencies([]byte(smallDeps)); err != nil {
		t.Error(err)
	}
}

func TestFaults(t *testing.T) {
	ctx := context.Background()
	calls := []struct {
		name string
		ok   string
		call func(*Client) error
	}{
		{"trace", smallTrace, func(c *Client) error { _, err := c.Trace(ctx, smallTraceID); return err }},
		{"search", smallTrace, func(c *Client) error {
			_, err := c.Search(ctx, Query{Service: "payments", Start: smallStart, End: smallEnd})
			return err
		}},
		{"search by attribute", smallUISearch, func(c *Client) error {
			_, err := c.Search(ctx, Query{Service: "storefront", Attributes: map[string]string{"enduser.id": "u-10229"}, Start: smallStart, End: smallEnd})
			return err
		}},
		{"services", smallServices, func(c *Client) error { _, err := c.Services(ctx); return err }},
		{"operations", smallOps, func(c *Client) error { _, err := c.Operations(ctx, "payments", ""); return err }},
		{"dependencies", smallDeps, func(c *Client) error { _, err := c.Dependencies(ctx, smallEnd, time.Hour); return err }},
		{"ready", smallServices, func(c *Client) error { return c.Ready(ctx) }},
		{"auth check", `{"data":["payments"],"total":1,"limit":0,"offset":0,"errors":null}`, func(c *Client) error { return c.AuthCheck(ctx) }},
	}
	for _, call := range calls {
		for _, f := range sourcestest.Faults(call.ok) {
			t.Run(call.name+"/"+f.Name, func(t *testing.T) {
				c, err := New(sourcestest.Serve(t, f))
				if err != nil {
					t.Fatal(err)
				}
				sourcestest.Check(t, f, call.call(c))
			})
		}
	}
}

// The version comes from the UI page: a page without it (a proxy's login
// page) is a decode error that names the page.
func TestBuildInfoFaults(t *testing.T) {
	for _, f := range sourcestest.Faults(`<html><script>JAEGER_VERSION = {"gitCommit":"abc","gitVersion":"v2.12.0","buildDate":""};</script></html>`) {
		if f.Truncated {
			continue // a page cut short may still hold the version
		}
		t.Run(f.Name, func(t *testing.T) {
			c, err := New(sourcestest.Serve(t, f))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.BuildInfo(context.Background())
			sourcestest.Check(t, f, err)
		})
	}
	for page, want := range map[string]string{
		`<html><script>JAEGER_VERSION = {"gitCommit":"","gitVersion":"","buildDate":""};</script></html>`: "unknown",
		`JAEGER_VERSION = {"gitVersion":"v2.12.0"};`:                                                      "v2.12.0",
	} {
		if bi, ok := DecodeBuildInfo([]byte(page)); !ok || bi.Version != want {
			t.Errorf("%s: %+v", page, bi)
		}
	}
	if _, ok := DecodeBuildInfo([]byte(`JAEGER_VERSION = DEFAULT_VERSION;`)); ok {
		t.Error("an unfilled placeholder read as a version")
	}
}

// Jaeger's 404 for a missing trace is its own envelope; a router's 404
// (a wrong base path behind a proxy) keeps the server's words.
func TestNotFoundWording(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`{"error":{"httpCode":404,"message":"No traces found"}}`, "trace " + smallTraceID + " not found"},
		{"404 page not found", "404 page not found"},
		{"", "not found"},
	} {
		srv := sourcestest.Serve(t, sourcestest.Fault{Status: http.StatusNotFound, ContentType: "text/plain; charset=utf-8", Body: tc.body})
		c, err := New(srv)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Trace(context.Background(), smallTraceID)
		if sources.KindOf(err) != sources.KindNotFound || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v", tc.body, err)
		}
		// A search treats only Jaeger's own 404 as "nothing found".
		res, err := c.Search(context.Background(), Query{Service: "payments", Start: smallStart, End: smallEnd})
		if gateway := strings.HasPrefix(tc.body, "{"); gateway != (err == nil && res != nil && len(res.Traces) == 0) {
			t.Errorf("%q: search %+v, %v", tc.body, res, err)
		}
	}
}

// The UI API may answer 200 with an "errors" list: the server's failure,
// with its message.
func TestErrorsListInsideA200(t *testing.T) {
	body := `{"data":null,"total":0,"limit":0,"offset":0,"errors":[{"code":500,"msg":"storage unavailable"}]}`
	c, err := New(sourcestest.Serve(t, sourcestest.Fault{Status: 200, ContentType: "application/json", Body: body}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, err = c.Dependencies(ctx, smallEnd, time.Hour)
	if se, ok := sources.AsError(err); !ok || se.Kind != sources.KindServer || se.Msg != "storage unavailable" {
		t.Errorf("dependencies: %#v", err)
	}
	_, err = c.Search(ctx, Query{Service: "a", Attributes: map[string]string{"k": "v"}, Start: smallStart, End: smallEnd})
	if se, ok := sources.AsError(err); !ok || se.Kind != sources.KindServer || se.Msg != "storage unavailable" {
		t.Errorf("search: %#v", err)
	}
}
