package sourcestest

import (
	"fmt"
	"math/rand/v2"
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// SyntheticTrace builds an n-span trace over eight services: a call tree
// with HTTP and database attributes, some errors with exception events,
// and a span link per hundred spans. It is deterministic, so that the
// trace backends' decoding benchmarks decode the same trace.
func SyntheticTrace(n int) ptrace.Traces {

	rng := rand.New(rand.NewPCG(7, 11))
	services := []string{"storefront", "checkout", "payments", "ledger", "inventory", "catalog", "cart", "notifications"}
	td := ptrace.NewTraces()
	scopes := make([]ptrace.SpanSlice, len(services))
	for i, svc := range services {
		rs := td.ResourceSpans().AppendEmpty()
		ra := rs.Resource().Attributes()
		ra.PutStr("service.name", svc)
		ra.PutStr("service.instance.id", fmt.Sprintf("%s-%d", svc, i))
		ra.PutStr("service.version", "1.4."+strconv.Itoa(i))
		ra.PutStr("deployment.environment.name", "prod")
		ra.PutStr("cloud.region", "eu-west-1")
		ss := rs.ScopeSpans().AppendEmpty()
		ss.Scope().SetName("go.opentelemetry.io/otel/sdk")
		ss.Scope().SetVersion("1.47.0")
		scopes[i] = ss.Spans()
	}
	traceID := pcommon.TraceID{0x3d, 0xfa, 0x4d, 0xb9, 0xd4, 0xe3, 0xef, 0x19, 0x02, 0xfb, 0xcf, 0xd6, 0xb2, 0x98, 0x44, 0x08}
	base := uint64(1795566084298039552)
	ids := make([]pcommon.SpanID, n)
	for i := range n {
		var id pcommon.SpanID
		for j := range id {
			id[j] = byte(rng.UintN(256))
		}
		id[0] |= 1 // never all zeros
		ids[i] = id
		svc := i % len(services)
		s := scopes[svc].AppendEmpty()
		s.SetTraceID(traceID)
		s.SetSpanID(id)
		if i > 0 {
			s.SetParentSpanID(ids[rng.IntN(i)])
		}
		s.SetName(fmt.Sprintf("%s op-%d", services[svc], i%37))
		s.SetKind(ptrace.SpanKind(1 + i%5))
		start := base + uint64(i)*1_000_000
		s.SetStartTimestamp(pcommon.Timestamp(start))
		s.SetEndTimestamp(pcommon.Timestamp(start + uint64(rng.IntN(2_000_000_000))))
		a := s.Attributes()
		a.PutStr("http.request.method", "POST")
		a.PutStr("http.route", fmt.Sprintf("/api/v1/%s/{id}", services[svc]))
		a.PutInt("http.response.status_code", 200)
		a.PutStr("enduser.id", fmt.Sprintf("u-%05d", rng.IntN(5000)))
		a.PutStr("user.tier", []string{"free", "pro", "premium", "enterprise"}[rng.IntN(4)])
		a.PutDouble("db.rows.ratio", rng.Float64())
		a.PutBool("cache.hit", rng.IntN(2) == 0)
		if i%10 == 3 {
			a.PutInt("http.response.status_code", 503)
			s.Status().SetCode(ptrace.StatusCodeError)
			s.Status().SetMessage("upstream returned 503")
			ev := s.Events().AppendEmpty()
			ev.SetName("exception")
			ev.SetTimestamp(pcommon.Timestamp(start + 500_000))
			ev.Attributes().PutStr("exception.type", "UpstreamError")
			ev.Attributes().PutStr("exception.message", "upstream returned 503 after 3 retries")
		}
		if i%100 == 50 {
			l := s.Links().AppendEmpty()
			l.SetTraceID(pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
			l.SetSpanID(ids[i-1])
			l.Attributes().PutStr("messaging.operation", "process")
		}
	}
	return td
}
