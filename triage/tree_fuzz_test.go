package triage

import (
	"fmt"
	"testing"
	"time"

	"github.com/triagectl/triage/internal/sim"
)

// fuzzSpanBytes is the size of one span in the fuzz encoding: id, parent
// (0 none, else a span index + 1; past the end means a missing parent),
// start and duration in milliseconds, flags, service.
const fuzzSpanBytes = 6

// traceFromFuzz decodes a span forest. Span ids come from a small alphabet
// so duplicates and cycles are common.
func traceFromFuzz(data []byte) *Trace {
	res := make([]*Resource, 8)
	for i := range res {
		res[i] = &Resource{Service: fmt.Sprintf("svc-%d", i), Attrs: Attrs{{"k8s.node.name", fmt.Sprintf("node-%d", i%3)}}}
	}
	t := &Trace{ID: "f"}
	for off := 0; off+fuzzSpanBytes <= len(data) && len(t.Spans) < 128; off += fuzzSpanBytes {
		b := data[off : off+fuzzSpanBytes]
		s := Span{
			TraceID: "f", SpanID: fmt.Sprintf("s%d", b[0]%64), Name: fmt.Sprintf("op%d", b[4]>>5),
			Kind: SpanKind(b[4] & 7), Error: b[4]&8 != 0, Resource: res[b[5]%8],
			Start: treeT0.Add(time.Duration(b[2]) * time.Millisecond * 7),
		}
		s.End = s.Start.Add(time.Duration(int(b[3])-16) * time.Millisecond * 9)
		if b[1] != 0 {
			s.ParentID = fmt.Sprintf("s%d", (b[1]-1)%80)
		}
		if b[4]&16 != 0 {
			s.Attrs = Attrs{{"peer.service", "db"}, {"enduser.id", fmt.Sprint("u", b[5]%4)}}
		}
		if b[5]&64 != 0 {
			s.Links = []Link{{TraceID: "other", SpanID: "x"}}
		}
		t.Spans = append(t.Spans, s)
	}
	return t
}

// fuzzBytesOf encodes a real trace, approximately, as a seed.
func fuzzBytesOf(t *Trace) []byte {
	index := map[string]int{}
	for i, s := range t.Spans {
		index[s.SpanID] = i
	}
	svc := map[string]int{}
	var out []byte
	start := earliest(t)
	for i, s := range t.Spans {
		if _, ok := svc[s.Service()]; !ok {
			svc[s.Service()] = len(svc)
		}
		parent := byte(0)
		if p, ok := index[s.ParentID]; ok {
			parent = byte(p + 1)
		} else if s.ParentID != "" {
			parent = 255
		}
		flags := byte(s.Kind) & 7
		if s.Error {
			flags |= 8
		}
		if _, ok := s.Attrs.Get("peer.service"); ok {
			flags |= 16
		}
		out = append(out, byte(i), parent, byte(s.Start.Sub(start)/(7*time.Millisecond)),
			byte(min(int(s.Duration()/(9*time.Millisecond))+16, 255)), flags, byte(svc[s.Service()]))
	}
	return out
}

// FuzzAnalyzeTrace: no forest makes the analysis or the ranking panic, and
// what they return stays consistent.
func FuzzAnalyzeTrace(f *testing.F) {
	p, c := messagingHop()
	for _, t := range []*Trace{checkoutFailure("x"), toleratedRecs("y"), slowInventory("z", "u"), p, c} {
		f.Add(fuzzBytesOf(t))
	}
	inc, err := sim.Generate(sim.DefaultScenario(), analysisSimNow)
	if err != nil {
		f.Fatal(err)
	}
	gt := inc.Truth()
	traces := fromPTraces(inc.PTraces())
	for _, t := range traces {
		if t.ID == gt.FailingTraceIDs[0] || len(gt.SlowTraceIDs) > 0 && t.ID == gt.SlowTraceIDs[0] || len(gt.NoiseTraceIDs) > 0 && t.ID == gt.NoiseTraceIDs[0] {
			f.Add(fuzzBytesOf(t))
		}
	}
	f.Add([]byte{1, 2, 0, 10, 8, 0, 2, 2, 0, 10, 8, 1}) // a two-span cycle
	f.Fuzz(func(t *testing.T, data []byte) {
		tr := traceFromFuzz(data)
		opts := AnalysisOptions{UserAttributes: []string{"enduser.id"}, SlowThreshold: 500 * time.Millisecond}
		as := []TraceAnalysis{AnalyzeTrace(tr, opts)}
		if len(tr.Spans) > 0 {
			checkAnalysis(t, tr, &as[0])
		}
		JoinLinked(as)
		checkRanking(t, "fuzz", as, RankServices(as, nil, RankOptions{}))
		RankUsers(as, UserOptions{})
		Differences(as, as, DiffOptions{})
	})
}
