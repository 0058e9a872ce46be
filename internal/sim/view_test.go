package sim

import (
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func mustGenerate(t testing.TB, sc Scenario) *Incident {
	inc, err := Generate(sc, testNow)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return inc
}

// pspan is a span read back from pdata with its resource, so the tests
// recount everything from what the backends would receive.
type pspan struct {
	ptrace.Span
	res pcommon.Map
}

func (s pspan) str(key string) string {
	if v, ok := s.Attributes().Get(key); ok {
		return v.AsString()
	}
	return ""
}

func (s pspan) resStr(key string) string {
	if v, ok := s.res.Get(key); ok {
		return v.AsString()
	}
	return ""
}

func (s pspan) svc() string { return s.resStr("service.name") }

func (s pspan) failed() bool { return s.Status().Code() == ptrace.StatusCodeError }

type traceView struct {
	id    string
	spans []pspan
	root  pspan
}

// origins are the failed spans without a failed child.
func (tv traceView) origins() []pspan {
	failedChild := map[pcommon.SpanID]bool{}
	for _, s := range tv.spans {
		if s.failed() {
			failedChild[s.ParentSpanID()] = true
		}
	}
	var out []pspan
	for _, s := range tv.spans {
		if s.failed() && !failedChild[s.SpanID()] {
			out = append(out, s)
		}
	}
	return out
}

// blame names the service an origin span points at.
func blame(s pspan) string {
	if p := s.str("peer.service"); p != "" && s.Kind() == ptrace.SpanKindClient {
		return p
	}
	return s.svc()
}

type view struct {
	traces []traceView
	byID   map[string]int
	spans  map[pcommon.SpanID]pspan
}

func viewOf(td ptrace.Traces) *view {
	v := &view{byID: map[string]int{}, spans: map[pcommon.SpanID]pspan{}}
	for i := 0; i < td.ResourceSpans().Len(); i++ {
		rs := td.ResourceSpans().At(i)
		for j := 0; j < rs.ScopeSpans().Len(); j++ {
			ss := rs.ScopeSpans().At(j).Spans()
			for k := 0; k < ss.Len(); k++ {
				s := pspan{ss.At(k), rs.Resource().Attributes()}
				id := s.TraceID().String()
				ti, ok := v.byID[id]
				if !ok {
					ti = len(v.traces)
					v.byID[id] = ti
					v.traces = append(v.traces, traceView{id: id})
				}
				v.traces[ti].spans = append(v.traces[ti].spans, s)
				if s.ParentSpanID().IsEmpty() {
					v.traces[ti].root = s
				}
				v.spans[s.SpanID()] = s
			}
		}
	}
	return v
}
