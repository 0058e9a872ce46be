package prometheus_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/sources/prometheus"
)

func TestFake(t *testing.T) {
	slow := &sources.Error{Source: "prometheus", Op: "query_range", Kind: sources.KindTimeout, Msg: "context deadline exceeded after 10s"}
	vec := model.Vector{{Metric: model.Metric{"service": "payments"}, Value: 0.6}}
	f := &prometheus.Fake{
		Results:   map[string]prometheus.Result{"errors": {Value: vec, Warnings: []string{"partial"}}},
		Exemplars: map[string][]prometheus.Exemplar{"errors": {{TraceID: "0af7651916cd43dd8448eb211c80319c"}}},
		SeriesOf:  map[string][]model.LabelSet{"up": {{"job": "sim"}}},
		Values:    map[string][]string{"service": {"checkout", "payments"}},
		Errors:    map[string]error{"slow": slow},
	}
	var api prometheus.API = f
	ctx := context.Background()
	end := time.Now()

	res, err := api.Query(ctx, "errors", end)
	if err != nil || len(res.Vector()) != 1 || res.Warnings[0] != "partial" {
		t.Fatalf("Query = %+v, %v", res, err)
	}
	res, err = api.Query(ctx, "unknown", end)
	if err != nil || res.Vector() == nil || len(res.Vector()) != 0 {
		t.Fatalf("unknown query = %+v, %v; want an empty vector", res, err)
	}
	res, err = api.QueryRange(ctx, "unknown", v1.Range{Start: end.Add(-time.Hour), End: end, Step: time.Minute})
	if err != nil || res.Matrix() == nil {
		t.Fatalf("unknown range query = %+v, %v; want an empty matrix", res, err)
	}
	if _, err := api.QueryRange(ctx, "slow", v1.Range{}); !errors.Is(err, &sources.Error{Kind: sources.KindTimeout}) {
		t.Fatalf("slow = %v, want the canned timeout", err)
	}
	ex, err := api.QueryExemplars(ctx, "errors", end.Add(-time.Hour), end)
	if err != nil || len(ex) != 1 || ex[0].TraceID == "" {
		t.Fatalf("exemplars = %+v, %v", ex, err)
	}
	series, err := api.Series(ctx, []string{"up", "absent"}, end.Add(-time.Hour), end)
	if err != nil || len(series) != 1 {
		t.Fatalf("series = %v, %v", series, err)
	}
	vals, err := api.LabelValues(ctx, "service", []string{"up"}, end.Add(-time.Hour), end)
	if err != nil || !slices.Equal(vals, []string{"checkout", "payments"}) {
		t.Fatalf("values = %v, %v", vals, err)
	}
	want := []string{"query errors", "query unknown", "query_range unknown", "query_range slow", "query_exemplars errors",
		"series up", "series absent", "label_values service up"}
	if got := f.Calls(); !slices.Equal(got, want) {
		t.Fatalf("calls = %q\nwant %q", got, want)
	}
}

func TestFakeFailsEverythingAndHonoursCancel(t *testing.T) {
	down := &sources.Error{Source: "prometheus", Op: "query", Kind: sources.KindUnreachable, Msg: "connection refused"}
	f := &prometheus.Fake{Err: down}
	if _, err := f.LabelValues(context.Background(), "service", nil, time.Time{}, time.Time{}); sources.KindOf(err) != sources.KindUnreachable {
		t.Fatalf("err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (&prometheus.Fake{}).Query(ctx, "up", time.Time{}); sources.KindOf(err) != sources.KindTimeout {
		t.Fatalf("cancelled call: err = %v, want a timeout kind", err)
	}
}
