package jaeger

import (
	"bytes"
	"slices"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/triagectl/triage/sources/sourcestest"
)

// BenchmarkDecodeTrace decodes the 2,000-span trace that Tempo's benchmark
// of the same name decodes, as Jaeger's api/v3 answers it. The search case
// adds what a search does with the same body: split it by trace and
// summarise each.
func BenchmarkDecodeTrace(b *testing.B) {
	body := v3Body(b, sourcestest.SyntheticTrace(2000))
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, err := DecodeTraces(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("search", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			td, err := DecodeTraces(body)
			if err != nil {
				b.Fatal(err)
			}
			for _, t := range splitTraces(td) {
				_ = summarize(t)
			}
		}
	})
}

// v3Body writes td as Jaeger v2's api/v3 gateway does: pdata's OTLP/JSON
// inside {"result":…}.
func v3Body(t testing.TB, td ptrace.Traces) []byte {
	t.Helper()
	otlp, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
	if err != nil {
		t.Fatal(err)
	}
	return append(append([]byte(`{"result":`), otlp...), '}')
}

// v3Body must write what Jaeger writes: checked byte for byte against the
// recorded answers of the same traces.
func TestV3BodyMatchesRecording(t *testing.T) {
	for _, name := range []string{"trace_failing.json", "search_v3.json"} {
		td, err := DecodeTraces(fixture(t, name))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := v3Body(t, td), fixture(t, name); !bytes.Equal(got, want) {
			t.Errorf("%s: generated body differs from the recording\n got %.300s\nwant %.300s", name, got, want)
		}
	}
}

func TestSyntheticTraceDecodes(t *testing.T) {
	td := sourcestest.SyntheticTrace(2000)
	got, err := DecodeTraces(v3Body(t, td))
	if err != nil {
		t.Fatal(err)
	}
	if want := spanList(td); got.SpanCount() != 2000 || !slices.Equal(spanList(got), want) {
		t.Fatal("the synthetic trace does not survive Jaeger's envelope")
	}
}
