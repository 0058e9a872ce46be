package loki_test

import (
	"testing"

	"github.com/triagectl/triage/sources/loki"
)

// The fuzz targets feed the decoders arbitrary bodies: they must return a
// result or an error, never panic, and whatever they return must be usable.

func FuzzDecodeQueryRange(f *testing.F) {
	for _, name := range []string{
		"query_range_streams_categorized.json", "query_range_streams_plain.json", "query_range_streams_parsed.json",
		"query_range_matrix.json", "query_vector.json", "volume.json", "volume_range.json", "error_envelope.json",
		"query_no_status.json",
	} {
		f.Add(fixture(f, name))
	}
	f.Add([]byte(`{"status":"success","data":{"resultType":"scalar","result":[1795567500.25,"2"]}}`))
	f.Add([]byte(`{"status":"success","data":{"resultType":"streams","result":[{"stream":{"a":"b"},"values":[[ "17" , "x\u00e9" , {"trace_id":"t"} ],null]}]}}`))
	f.Add([]byte(`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1e9,"NaN"],[-1.5,"+Inf"]]}]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := loki.DecodeQueryResult(body)
		if err != nil {
			return
		}
		n := 0
		for _, s := range res.Streams {
			n += len(s.Entries)
			for _, e := range s.Entries {
				_, _ = e.Label("trace_id")
			}
		}
		if got := len(res.Entries(false)); got != n {
			t.Fatalf("Entries returned %d of %d", got, n)
		}
		switch res.Type {
		case loki.ResultStreams, loki.ResultMatrix, loki.ResultVector:
		case loki.ResultScalar:
			if res.Scalar == nil {
				t.Fatal("scalar result without value")
			}
		default:
			t.Fatalf("decoded an unknown result type %q", res.Type)
		}
	})
}

func FuzzDecodePatterns(f *testing.F) {
	f.Add(fixture(f, "patterns.json"))
	f.Add([]byte(`{"status":"success","data":[]}`))
	f.Add([]byte(`{"status":"success","data":[{"pattern":"a <_>","samples":[[1e300,1],[1,-1e300],[2]]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		pats, err := loki.DecodePatterns(body)
		if err != nil {
			return
		}
		for _, p := range pats {
			_ = p.Total()
		}
	})
}
