package tempo

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/triagectl/triage/sources"
)

func TestFakeFromRecordings(t *testing.T) {
	ctx := context.Background()
	search, err := LoadSearch(filepath.Join("testdata", "search_orders_errors.json"))
	if err != nil {
		t.Fatal(err)
	}
	metrics, err := LoadMetrics(filepath.Join("testdata", "metrics_error_rate_by_service.json"))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := LoadTrace(filepath.Join("testdata", "trace_error_v1.pb"))
	if err != nil {
		t.Fatal(err)
	}
	if tr.ID != errorTraceID {
		t.Fatalf("loaded trace id = %s", tr.ID)
	}
	f := NewFake()
	f.Searches[`{ status = error }`] = search
	f.Metrics[""] = metrics
	f.AddTrace(tr)
	f.TagScopes = []TagScope{{Name: "resource", Tags: []string{"service.name"}}, {Name: "span", Tags: []string{"http.route"}}}
	var api API = f

	got, err := api.Search(ctx, SearchRequest{Query: `{ status = error }`})
	if err != nil || len(got.Traces) != 20 {
		t.Fatalf("search = %v, %v", got, err)
	}
	if other, _ := api.Search(ctx, SearchRequest{Query: `{ x }`}); len(other.Traces) != 0 {
		t.Errorf("unknown query found %d traces", len(other.Traces))
	}
	if m, err := api.MetricsQueryRange(ctx, "anything", time.Time{}, time.Time{}, 0); err != nil || len(m.Series) != 8 {
		t.Errorf("metrics = %v, %v", m, err)
	}
	if got, err := api.Trace(ctx, "3DFA4DB9D4E3EF1902FBCFD6B2984408"); err != nil || got.SpanCount() != 11 {
		t.Errorf("trace = %v, %v", got, err)
	}
	if _, err := api.Trace(ctx, okTraceID); sources.KindOf(err) != sources.KindNotFound {
		t.Errorf("missing trace: err = %v", err)
	}
	if scopes, _ := api.Tags(ctx, "span", time.Time{}, time.Time{}); len(scopes) != 1 || scopes[0].Name != "span" {
		t.Errorf("tags = %+v", scopes)
	}

	f.Errors["trace"] = &sources.Error{Source: SourceName, Op: "trace", Kind: sources.KindTimeout, Msg: "context deadline exceeded after 10s"}
	if _, err := api.Trace(ctx, errorTraceID); sources.KindOf(err) != sources.KindTimeout {
		t.Errorf("injected error: %v", err)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := api.Search(canceled, SearchRequest{}); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
	if n := len(f.Calls()); n != 8 {
		t.Errorf("calls = %d: %v", n, f.Calls())
	}
}

func TestAttributeValues(t *testing.T) {
	tests := []struct {
		json string
		want any
		text string
	}{
		{`{"key":"k","value":{"stringValue":"eu-west"}}`, "eu-west", "eu-west"},
		{`{"key":"k","value":{"intValue":"502"}}`, int64(502), "502"},
		{`{"key":"k","value":{"intValue":502}}`, int64(502), "502"},
		{`{"key":"k","value":{"doubleValue":0.99}}`, 0.99, "0.99"},
		{`{"key":"k","value":{"doubleValue":"NaN"}}`, math.NaN(), "NaN"},
		{`{"key":"k","value":{"boolValue":true}}`, true, "true"},
		{`{"key":"k","value":{"bytesValue":"AQI="}}`, []byte{1, 2}, "AQI="},
		{`{"key":"k","value":{"arrayValue":{"values":[{"stringValue":"a"},{"intValue":"1"}]}}}`, []any{"a", int64(1)}, `["a",1]`},
		{`{"key":"k","value":{"kvlistValue":{"values":[{"key":"a","value":{"boolValue":false}}]}}}`, map[string]any{"a": false}, `{"a":false}`},
		{`{"key":"k","value":{}}`, nil, ""},
		{`{"key":"k"}`, nil, ""},
	}
	for _, tt := range tests {
		var a Attribute
		if err := json.Unmarshal([]byte(tt.json), &a); err != nil {
			t.Errorf("%s: %v", tt.json, err)
			continue
		}
		if f, ok := tt.want.(float64); ok && math.IsNaN(f) {
			if g, ok := a.Value.(float64); !ok || !math.IsNaN(g) {
				t.Errorf("%s: value %#v", tt.json, a.Value)
			}
		} else if !reflect.DeepEqual(a.Value, tt.want) {
			t.Errorf("%s: value %#v, want %#v", tt.json, a.Value, tt.want)
		}
		if a.String() != tt.text {
			t.Errorf("%s: text %q, want %q", tt.json, a.String(), tt.text)
		}
		// What MarshalJSON writes reads back the same.
		b, err := json.Marshal(a)
		if err != nil {
			t.Errorf("%s: marshal: %v", tt.json, err)
			continue
		}
		var back Attribute
		if err := json.Unmarshal(b, &back); err != nil || back.String() != a.String() {
			t.Errorf("%s: round trip %s gave %q, %v", tt.json, b, back.String(), err)
		}
	}
	for _, bad := range []string{`{"key":"k","value":{"intValue":"x"}}`, `{"key":"k","value":{"bytesValue":"!"}}`} {
		var a Attribute
		if err := json.Unmarshal([]byte(bad), &a); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}
