package loki_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/sources/loki"
)

func TestFake(t *testing.T) {
	errLines := &loki.QueryResult{Type: loki.ResultStreams, Categorized: true, Streams: []loki.Stream{{
		Labels:  map[string]string{"service_name": "payments"},
		Entries: []loki.Entry{{Time: t0, Line: "level=error boom", StructuredMetadata: map[string]string{"trace_id": "abc"}}},
	}}}
	f := &loki.Fake{
		Results:     map[string]*loki.QueryResult{`{service_name="payments"} |= "error"`: errLines},
		PatternList: []loki.Pattern{{Pattern: "level=error <_>", Level: "error", Samples: []loki.PatternSample{{Time: t0, Count: 3}}}},
		Values:      map[string][]string{"service_name": {"checkout", "payments"}},
		Errs:        map[string]error{"series": errors.New("down")},
	}
	var api loki.API = f
	ctx := context.Background()

	res, err := api.QueryRange(ctx, loki.QueryRangeRequest{Query: `{service_name="payments"} |= "error"`, Start: t0, End: t1})
	if err != nil || res.Streams[0].Entries[0].Line != "level=error boom" {
		t.Fatalf("canned query: %+v, %v", res, err)
	}
	res, err = api.QueryRange(ctx, loki.QueryRangeRequest{Query: `{service_name="other"}`})
	if err != nil || res.Type != loki.ResultStreams || len(res.Streams) != 0 {
		t.Fatalf("unlisted query: %+v, %v", res, err)
	}
	if reqs := f.Requests(); len(reqs) != 2 || reqs[0].Start != t0 {
		t.Fatalf("requests = %+v", reqs)
	}
	pats, err := api.Patterns(ctx, `{env="sim"}`, t0, t1, time.Minute)
	if err != nil || len(pats) != 1 || pats[0].Total() != 3 {
		t.Fatalf("patterns = %+v, %v", pats, err)
	}
	vals, err := api.LabelValues(ctx, "service_name", t0, t1, "")
	if err != nil || len(vals) != 2 {
		t.Fatalf("values = %v, %v", vals, err)
	}
	if _, err := api.Series(ctx, []string{`{env="sim"}`}, t0, t1); err == nil {
		t.Fatal("configured error not returned")
	}
	if bi, err := api.BuildInfo(ctx); err != nil || bi.Version != "fake" {
		t.Fatalf("buildinfo = %+v, %v", bi, err)
	}

	f.Errs["patterns"] = loki.PatternsDisabledError()
	if _, err := api.Patterns(ctx, `{env="sim"}`, t0, t1, 0); !loki.IsPatternsDisabled(err) {
		t.Fatalf("disabled patterns: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := api.QueryRange(cancelled, loki.QueryRangeRequest{Query: "{}"}); sources.KindOf(err) != sources.KindTimeout {
		t.Fatalf("cancelled context: %v", err)
	}
}
