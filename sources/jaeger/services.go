package jaeger

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/triagectl/triage/sources"
)

// Operation is one operation (span name) of a service, with the span kind
// Jaeger saw it with ("server", "client", … or "" when unspecified).
type Operation struct {
	Name     string `json:"name"`
	SpanKind string `json:"spanKind"`
}

// Services lists the services Jaeger holds spans of, sorted (api/v3's
// order is the storage's). The in-memory store lists every service it ever
// saw; stores with an index may list only recent ones.
func (c *Client) Services(ctx context.Context) ([]string, error) {
	const op = "services"
	resp, err := c.get(ctx, op, "/api/v3/services", nil)
	if err != nil {
		return nil, err
	}
	out, err := DecodeServices(resp.Body)
	if err != nil {
		return nil, sources.DecodeError(SourceName, op, resp.Status, resp.Body, err)
	}
	return out, nil
}

// DecodeServices decodes api/v3's {"services":[…]}; an absent list (gogo
// jsonpb omits an empty one) is no service.
func DecodeServices(body []byte) ([]string, error) {
	var w struct {
		Services []string `json:"services"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, err
	}
	out := append([]string{}, w.Services...)
	slices.Sort(out)
	return out, nil
}

// Operations lists a service's operations, optionally of one span kind
// ("server", "client", "producer", "consumer", "internal"), sorted by name
// then kind. An unknown service has none.
func (c *Client) Operations(ctx context.Context, service, spanKind string) ([]Operation, error) {
	const op = "operations"
	if strings.TrimSpace(service) == "" {
		return nil, badRequest(op, "service is required")
	}
	q := url.Values{"service": {service}}
	if spanKind != "" {
		q.Set("span_kind", spanKind)
	}
	resp, err := c.get(ctx, op, "/api/v3/operations", q)
	if err != nil {
		return nil, err
	}
	out, err := DecodeOperations(resp.Body)
	if err != nil {
		return nil, sources.DecodeError(SourceName, op, resp.Status, resp.Body, err)
	}
	return out, nil
}

// DecodeOperations decodes api/v3's {"operations":[{"name","spanKind"}]}.
func DecodeOperations(body []byte) ([]Operation, error) {
	var w struct {
		Operations []Operation `json:"operations"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, err
	}
	out := append([]Operation{}, w.Operations...)
	slices.SortFunc(out, func(a, b Operation) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.SpanKind, b.SpanKind)
	})
	return out, nil
}

// Dependency is one edge of the service graph: Parent called Child
// CallCount times in the window.
type Dependency struct {
	Parent    string `json:"parent"`
	Child     string `json:"child"`
	CallCount uint64 `json:"callCount"`
	// Source names what computed the edge when the store says so
	// ("jaeger", "istio"…); empty otherwise.
	Source string `json:"source,omitempty"`
}

// Dependencies reads the service graph of the lookback window that ends at
// end, from the UI API's /api/dependencies (api/v3 has none). Jaeger's
// in-memory store computes it on the fly from the traces that lie wholly
// inside the window, counting one call per span whose parent is in
// another service (or the same one: self-edges appear); other stores
// return what a separate job (spark-dependencies) wrote, often daily.
func (c *Client) Dependencies(ctx context.Context, end time.Time, lookback time.Duration) ([]Dependency, error) {
	const op = "dependencies"
	if end.IsZero() {
		return nil, badRequest(op, "end is required")
	}
	if lookback <= 0 {
		return nil, badRequest(op, "lookback must be positive")
	}
	q := url.Values{
		"endTs":    {strconv.FormatInt(end.UnixMilli(), 10)},
		"lookback": {strconv.FormatInt(max(lookback.Milliseconds(), 1), 10)},
	}
	resp, err := c.get(ctx, op, "/api/dependencies", q)
	if err != nil {
		return nil, err
	}
	out, err := DecodeDependencies(resp.Body)
	if err != nil {
		return nil, uiDecodeErr(op, resp, err)
	}
	return out, nil
}

// uiDecodeErr reports a UI API body that did not decode; an "errors" list
// inside a 200 is the server's failure, with its message.
func uiDecodeErr(op string, resp *sources.Response, err error) *sources.Error {
	if ue, ok := err.(uiError); ok {
		return &sources.Error{Source: SourceName, Op: op, Kind: sources.KindServer, Status: resp.Status,
			Msg: sources.OneLine(ue.Msg, 300), Body: sources.Truncate(string(resp.Body), sources.MaxErrorBody), Err: err}
	}
	return sources.DecodeError(SourceName, op, resp.Status, resp.Body, err)
}

// DecodeDependencies decodes the UI API's {"data":[{parent, child,
// callCount}],…,"errors":null}, sorted by parent then child. Errors inside
// a 200 are returned as an error.
func DecodeDependencies(body []byte) ([]Dependency, error) {
	var w struct {
		Data   []Dependency `json:"data"`
		Errors []uiError    `json:"errors"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, err
	}
	if len(w.Errors) > 0 {
		return nil, w.Errors[0]
	}
	out := append([]Dependency{}, w.Data...)
	slices.SortFunc(out, func(a, b Dependency) int {
		if c := strings.Compare(a.Parent, b.Parent); c != 0 {
			return c
		}
		return strings.Compare(a.Child, b.Child)
	})
	return out, nil
}

// uiError is one entry of the UI API's "errors" list.
type uiError struct {
	Code int    `json:"code"`
	Msg  string `json:"msg"`
}

func (e uiError) Error() string {
	if e.Code != 0 {
		return "HTTP " + strconv.Itoa(e.Code) + ": " + e.Msg
	}
	return e.Msg
}
