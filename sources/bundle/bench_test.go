package bundle_test

import (
	"runtime"
	"testing"

	"github.com/triagectl/triage/internal/demo"
	"github.com/triagectl/triage/sources/bundle"
)

// BenchmarkReadDemo reads the embedded demo bundle (761 KB gzip'd, 8 MB of
// JSON lines, 900 exchanges): the time and allocations of one read, and
// held-B/op, the heap the read bundle keeps.
func BenchmarkReadDemo(b *testing.B) {
	data := demo.Bundle()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var held uint64
	for b.Loop() {
		var before, after runtime.MemStats
		b.StopTimer()
		gc()
		runtime.ReadMemStats(&before)
		b.StartTimer()
		bu, err := bundle.Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		gc()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(bu)
		if after.HeapAlloc > before.HeapAlloc {
			held += after.HeapAlloc - before.HeapAlloc
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(held)/float64(b.N), "held-B/op")
}

// gc collects twice: what pools keep lives one collection more.
func gc() {
	runtime.GC()
	runtime.GC()
}
