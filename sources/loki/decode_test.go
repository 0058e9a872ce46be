package loki_test

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/triagectl/triage/sources/loki"
)

const errorLine59 = `level=error msg="ledger-db: write failed: connection reset by peer" attempt=3 order=o-5059`

func TestQueryRangeStreamsCategorized(t *testing.T) {
	c, _ := serve(t, 200, jsonType, "query_range_streams_categorized.json")
	res, err := c.QueryRange(context.Background(), loki.QueryRangeRequest{Query: `{service_name="payments"} |= "error"`, Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if res.Type != loki.ResultStreams || !res.Categorized || len(res.Streams) != 1 {
		t.Fatalf("type %s categorized %v streams %d", res.Type, res.Categorized, len(res.Streams))
	}
	st := res.Streams[0]
	if want := map[string]string{"env": "sim", "service_name": "payments"}; !reflect.DeepEqual(st.Labels, want) {
		t.Fatalf("stream labels = %v, want only the indexed labels %v", st.Labels, want)
	}
	if len(st.Entries) != 5 {
		t.Fatalf("%d entries, want 5", len(st.Entries))
	}
	e := st.Entries[0]
	if e.Time.UnixNano() != 1795567430002000000 || e.Line != errorLine59 {
		t.Fatalf("first entry = %v %q", e.Time.UnixNano(), e.Line)
	}
	wantSM := map[string]string{"detected_level": "error", "span_id": "00f067aa0ba9023b", "trace_id": "4bf92f3577b34da6a3ce929d0e0e473b"}
	if !reflect.DeepEqual(e.StructuredMetadata, wantSM) {
		t.Fatalf("structured metadata = %v", e.StructuredMetadata)
	}
	if e.Parsed != nil {
		t.Fatalf("parsed = %v, want none", e.Parsed)
	}
	if !reflect.DeepEqual(e.Stream, st.Labels) {
		t.Fatalf("entry stream labels = %v", e.Stream)
	}
	if res.Stats.TotalEntriesReturned != 5 || res.Stats.ExecTime <= 0 {
		t.Fatalf("stats = %+v", res.Stats)
	}
	for i := 1; i < len(st.Entries); i++ {
		if st.Entries[i].Time.After(st.Entries[i-1].Time) {
			t.Fatal("backward entries are not newest first")
		}
	}
}

func TestQueryRangeStreamsWithoutFlag(t *testing.T) {
	c, _ := serve(t, 200, jsonType, "query_range_streams_plain.json")
	res, err := c.QueryRange(context.Background(), loki.QueryRangeRequest{Query: `{service_name="payments"} |= "error"`, Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if res.Categorized {
		t.Fatal("uncategorized answer reported as categorized")
	}
	if len(res.Streams) != 5 {
		t.Fatalf("%d streams, want 5 (one per trace_id)", len(res.Streams))
	}
	for _, st := range res.Streams {
		if _, ok := st.Labels["trace_id"]; !ok {
			t.Fatalf("merged stream labels lack trace_id: %v", st.Labels)
		}
		for _, e := range st.Entries {
			if e.StructuredMetadata != nil {
				t.Fatalf("structured metadata invented: %v", e.StructuredMetadata)
			}
			if id, ok := e.Label("trace_id"); !ok || len(id) != 32 {
				t.Fatalf("Label(trace_id) = %q, %v", id, ok)
			}
		}
	}
	all := res.Entries(false)
	if len(all) != 5 || all[0].Time.UnixNano() != 1795567430002000000 || all[0].Line != errorLine59 {
		t.Fatalf("flattened newest entry = %+v", all[0])
	}
	for i := 1; i < len(all); i++ {
		if all[i].Time.After(all[i-1].Time) {
			t.Fatal("Entries(false) not newest first")
		}
	}
	if fw := res.Entries(true); fw[0].Time.After(fw[len(fw)-1].Time) {
		t.Fatal("Entries(true) not oldest first")
	}
}

func TestQueryRangeStreamsParsed(t *testing.T) {
	c, _ := serve(t, 200, jsonType, "query_range_streams_parsed.json")
	res, err := c.QueryRange(context.Background(), loki.QueryRangeRequest{Query: `{service_name="storefront"} | logfmt`})
	if err != nil {
		t.Fatal(err)
	}
	e := res.Streams[0].Entries[0]
	wantLine := `level=info method=GET path=/product/40 status=200 duration_ms=10 msg="served <cached> \"ok\" café"`
	if e.Line != wantLine {
		t.Fatalf("line = %q, want %q", e.Line, wantLine)
	}
	wantParsed := map[string]string{"duration_ms": "10", "level": "info", "method": "GET",
		"msg": `served <cached> "ok" café`, "path": "/product/40", "status": "200"}
	if !reflect.DeepEqual(e.Parsed, wantParsed) {
		t.Fatalf("parsed = %v", e.Parsed)
	}
	if e.StructuredMetadata["trace_id"] != "4bf92f3577b34da6a3ce929d0e0e4700" {
		t.Fatalf("structured metadata = %v", e.StructuredMetadata)
	}
	if v, _ := e.Label("msg"); v != wantParsed["msg"] {
		t.Fatalf("Label(msg) = %q", v)
	}
}

func TestQueryRangeMatrix(t *testing.T) {
	c, _ := serve(t, 200, jsonType, "query_range_matrix.json")
	res, err := c.QueryRange(context.Background(), loki.QueryRangeRequest{Query: `sum by (service_name)(count_over_time({env="sim"}[1m]))`, Step: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if res.Type != loki.ResultMatrix || len(res.Matrix) != 3 {
		t.Fatalf("type %s, %d series", res.Type, len(res.Matrix))
	}
	s := res.Matrix[0]
	if s.Labels["service_name"] != "checkout" || len(s.Samples) != 10 {
		t.Fatalf("first series = %v with %d samples", s.Labels, len(s.Samples))
	}
	if !s.Samples[0].Time.Equal(time.Unix(1795566900, 0)) || s.Samples[0].Value != 6 {
		t.Fatalf("first sample = %+v", s.Samples[0])
	}
}

func TestQueryVector(t *testing.T) {
	c, rec := serve(t, 200, jsonType, "query_vector.json")
	at := time.Unix(1795567500, 0)
	res, err := c.Query(context.Background(), `sum by (service_name)(count_over_time({env="sim"}[10m]))`, at, 0)
	if err != nil {
		t.Fatal(err)
	}
	if q := rec.last(t).URL.Query(); q.Get("time") != "1795567500000000000" || rec.last(t).URL.Path != "/loki/api/v1/query" {
		t.Fatalf("request = %s", rec.last(t).URL)
	}
	if res.Type != loki.ResultVector || len(res.Vector) != 3 {
		t.Fatalf("type %s, %d series", res.Type, len(res.Vector))
	}
	want := []struct {
		svc string
		v   float64
	}{{"checkout", 54}, {"payments", 54}, {"storefront", 53}}
	for i, w := range want {
		s := res.Vector[i]
		if s.Labels["service_name"] != w.svc || len(s.Samples) != 1 || s.Samples[0].Value != w.v || !s.Samples[0].Time.Equal(at) {
			t.Fatalf("vector[%d] = %+v, want %s=%v", i, s, w.svc, w.v)
		}
	}
}

func TestDecodeEdgeCases(t *testing.T) {
	cases := []struct {
		name  string
		body  string
		check func(*testing.T, *loki.QueryResult)
	}{
		{"scalar", `{"status":"success","data":{"resultType":"scalar","result":[1795567500.25,"2"]}}`,
			func(t *testing.T, r *loki.QueryResult) {
				if r.Scalar == nil || r.Scalar.Value != 2 || !r.Scalar.Time.Equal(time.Unix(1795567500, 250e6)) {
					t.Fatalf("scalar = %+v", r.Scalar)
				}
			}},
		{"special values", `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"NaN"],[2.5,"+Inf"],[3,"-Inf"]]}]}}`,
			func(t *testing.T, r *loki.QueryResult) {
				s := r.Matrix[0].Samples
				if !math.IsNaN(s[0].Value) || !math.IsInf(s[1].Value, 1) || !math.IsInf(s[2].Value, -1) {
					t.Fatalf("samples = %+v", s)
				}
				if !s[1].Time.Equal(time.Unix(2, 5e8)) {
					t.Fatalf("fractional time = %v", s[1].Time)
				}
			}},
		{"escaped line and spaced arrays", `{"status":"success","data":{"resultType":"streams","result":[{"stream":{"a":"b"},"values":[ [ "17" , "tab\there \u00e9 \ud83d\ude00" , { } ] ]}]}}`,
			func(t *testing.T, r *loki.QueryResult) {
				e := r.Streams[0].Entries[0]
				if e.Line != "tab\there é 😀" || e.Time.UnixNano() != 17 || !r.Categorized {
					t.Fatalf("entry = %+v categorized %v", e, r.Categorized)
				}
			}},
		{"push-style metadata", `{"status":"success","data":{"resultType":"streams","result":[{"stream":{"a":"b"},"values":[["1","x",{"trace_id":"t1"}]]}]}}`,
			func(t *testing.T, r *loki.QueryResult) {
				if r.Streams[0].Entries[0].StructuredMetadata["trace_id"] != "t1" {
					t.Fatalf("entry = %+v", r.Streams[0].Entries[0])
				}
			}},
		{"null values skipped", `{"status":"success","data":{"resultType":"streams","result":[{"stream":{"a":"b"},"values":[null,["2","y"]]},{"stream":{"c":"d"},"values":null}]}}`,
			func(t *testing.T, r *loki.QueryResult) {
				if len(r.Streams) != 2 || len(r.Streams[0].Entries) != 1 || r.Streams[0].Entries[0].Line != "y" {
					t.Fatalf("streams = %+v", r.Streams)
				}
			}},
		{"warnings", `{"status":"success","warnings":["query was split"],"data":{"resultType":"streams","result":[]}}`,
			func(t *testing.T, r *loki.QueryResult) {
				if !reflect.DeepEqual(r.Warnings, []string{"query was split"}) {
					t.Fatalf("warnings = %v", r.Warnings)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := loki.DecodeQueryResult([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, res)
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, body := range []string{
		`{"status":"success","data":{"resultType":"streams","result":[{"stream":{},"values":[["1"]]}]}}`,
		`{"status":"success","data":{"resultType":"streams","result":[{"stream":{},"values":[["x","line"]]}]}}`,
		`{"status":"success","data":{"resultType":"streams","result":[{"stream":{},"values":[["1","line",[]]]}]}}`,
		`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"abc"]]}]}}`,
		`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[true,"1"]]}]}}`,
		`{"status":"success","data":{"resultType":"table","result":[]}}`,
		`{"status":"success","data":{"resultType":"scalar","result":[1]}}`,
		`{"status":"error","error":"boom"}`,
		`[]`,
	} {
		if res, err := loki.DecodeQueryResult([]byte(body)); err == nil {
			t.Errorf("%s: decoded as %+v, want an error", body, res)
		}
	}
}

func TestMetadataCalls(t *testing.T) {
	ctx := context.Background()
	t.Run("labels", func(t *testing.T) {
		c, rec := serve(t, 200, jsonType, "labels.json")
		got, err := c.Labels(ctx, t0, t1)
		if err != nil || !reflect.DeepEqual(got, []string{"env", "service_name"}) {
			t.Fatalf("labels = %v, %v", got, err)
		}
		if q := rec.last(t).URL.Query(); q.Get("start") != "1795514400000000000" || q.Get("end") != "1795515300000000000" {
			t.Fatalf("range = %v", q)
		}
	})
	t.Run("label values", func(t *testing.T) {
		c, rec := serve(t, 200, jsonType, "label_values_service_name.json")
		got, err := c.LabelValues(ctx, "service_name", t0, t1, `{env="sim"}`)
		if err != nil || !reflect.DeepEqual(got, []string{"checkout", "payments", "storefront"}) {
			t.Fatalf("values = %v, %v", got, err)
		}
		r := rec.last(t)
		if r.URL.Path != "/loki/api/v1/label/service_name/values" || r.URL.Query().Get("query") != `{env="sim"}` {
			t.Fatalf("request = %s", r.URL)
		}
		if _, err := c.LabelValues(ctx, "../admin", t0, t1, ""); err == nil {
			t.Fatal("a label name with a path in it was accepted")
		}
	})
	t.Run("series", func(t *testing.T) {
		c, rec := serve(t, 200, jsonType, "series.json")
		got, err := c.Series(ctx, []string{`{env="sim"}`, `{service_name="x"}`}, t0, t1)
		if err != nil || len(got) != 3 || got[0]["service_name"] != "payments" || got[0]["env"] != "sim" {
			t.Fatalf("series = %v, %v", got, err)
		}
		if m := rec.last(t).URL.Query()["match[]"]; len(m) != 2 {
			t.Fatalf("match[] = %v", m)
		}
	})
	t.Run("volume", func(t *testing.T) {
		c, _ := serve(t, 200, jsonType, "volume.json")
		got, err := c.Volume(ctx, `{env="sim", service_name=~".+"}`, t0, t1, 10)
		if err != nil || len(got) != 3 {
			t.Fatalf("volume = %v, %v", got, err)
		}
		if got[0].Labels["service_name"] != "storefront" || got[0].Bytes != 10293 {
			t.Fatalf("largest = %+v", got[0])
		}
	})
	t.Run("volume range", func(t *testing.T) {
		c, rec := serve(t, 200, jsonType, "volume_range.json")
		got, err := c.VolumeRange(ctx, `{env="sim", service_name=~".+"}`, t0, t1, 5*time.Minute, 0)
		if err != nil || len(got) != 3 || len(got[0].Samples) != 3 {
			t.Fatalf("volume range = %v, %v", got, err)
		}
		if s := got[0].Samples[0]; !s.Time.Equal(time.Unix(1795566899, 999e6)) || s.Value != 1029 {
			t.Fatalf("first bucket = %+v", s)
		}
		if rec.last(t).URL.Query().Get("step") != "300" {
			t.Fatalf("step = %q", rec.last(t).URL.Query().Get("step"))
		}
	})
	t.Run("patterns", func(t *testing.T) {
		c, rec := serve(t, 200, jsonType, "patterns.json")
		got, err := c.Patterns(ctx, `{env="sim"}`, t0, t1, time.Minute)
		if err != nil || len(got) != 4 {
			t.Fatalf("patterns = %v, %v", got, err)
		}
		var errPat *loki.Pattern
		for i := range got {
			if got[i].Level == "error" {
				errPat = &got[i]
			}
		}
		if errPat == nil || !strings.Contains(errPat.Pattern, `msg="ledger-db: write failed: connection reset by peer" attempt=<_> order=<_>`) || errPat.Total() != 30 {
			t.Fatalf("error pattern = %+v", errPat)
		}
		if q := rec.last(t).URL.Query(); q.Get("step") != "60" || q.Get("query") != `{env="sim"}` {
			t.Fatalf("request = %v", q)
		}
	})
	t.Run("patterns disabled", func(t *testing.T) {
		c, _ := serve(t, 404, "", "patterns_disabled.txt")
		_, err := c.Patterns(ctx, `{env="sim"}`, t0, t1, 0)
		if !loki.IsPatternsDisabled(err) {
			t.Fatalf("err = %v, want patterns disabled", err)
		}
	})
	t.Run("buildinfo and ready", func(t *testing.T) {
		c, _ := serve(t, 200, "application/json", "buildinfo.json")
		if _, err := c.BuildInfo(ctx); err != nil {
			t.Fatalf("buildinfo of a build without version: %v", err)
		}
		c, rec := serve(t, 200, textType, "ready.txt")
		if err := c.Ready(ctx); err != nil {
			t.Fatal(err)
		}
		if rec.last(t).URL.Path != "/ready" {
			t.Fatalf("path = %s", rec.last(t).URL.Path)
		}
		c, _ = serve(t, 200, textType, "labels.json")
		if err := c.Ready(ctx); err == nil {
			t.Fatal("a 200 that is not \"ready\" passed")
		}
	})
}

func TestBaseURLPathPrefix(t *testing.T) {
	c, rec := serve(t, 200, jsonType, "labels.json")
	c2, err := loki.New(sourcesConfig(strings.TrimSuffix(c.URL(), "/") + "/gateway/loki/"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Labels(context.Background(), time.Time{}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if p := rec.last(t).URL.Path; p != "/gateway/loki/loki/api/v1/labels" {
		t.Fatalf("path = %s", p)
	}
	if c2.Name() != "loki" || !strings.HasSuffix(c2.URL(), "/gateway/loki/") {
		t.Fatalf("name %q url %q", c2.Name(), c2.URL())
	}
}
