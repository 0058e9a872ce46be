package drain

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// benchTemplates are error and warning lines in the formats the miner
// meets: the simulator's logfmt, nginx, Spring, zap JSON and logrus.
var benchTemplates = []func(r *rand.Rand) string{
	func(r *rand.Rand) string {
		return fmt.Sprintf(`level=error msg="timeout acquiring connection from pool after 2000ms (pool=ledger active=50 idle=0 waiters=%d)" db.system=postgresql server.address=ledger-db`, 18+r.IntN(40))
	},
	func(r *rand.Rand) string {
		return fmt.Sprintf(`level=error msg="request failed" method=POST route=/checkout status=502 duration_ms=%d user=u-%d err="checkout: checkout returned 503: place order: rpc error: code = DeadlineExceeded desc = charge card: timeout acquiring connection from pool after 2000ms"`, 2000+r.IntN(90), 10001+r.IntN(300))
	},
	func(r *rand.Rand) string {
		return fmt.Sprintf(`level=error msg="finished call" grpc.service=payments.v1.PaymentService grpc.method=Charge grpc.code=DeadlineExceeded duration_ms=%d err="charge card: timeout acquiring connection from pool after 2000ms"`, 2000+r.IntN(50))
	},
	func(r *rand.Rand) string {
		return fmt.Sprintf(`level=warn msg="slow request" op="GET /stock/{sku}" duration_ms=%d threshold_ms=1000`, 1000+r.IntN(900))
	},
	func(r *rand.Rand) string {
		return fmt.Sprintf(`level=error msg="lock wait timeout exceeded on stock row" sku=SKU-%d waited_ms=%d`, 10000+r.IntN(90000), 50+r.IntN(10))
	},
	func(r *rand.Rand) string {
		return fmt.Sprintf(`level=warn msg="connection pool saturated" pool=ledger active=50 idle=0 waiters=%d`, 10+r.IntN(50))
	},
	func(r *rand.Rand) string {
		return fmt.Sprintf(`2024/05/01 03:10:%02d [error] 3124#3124: *%d connect() failed (111: Connection refused) while connecting to upstream, client: 10.2.%d.%d, server: shop.example, request: "GET /api/cart/%d HTTP/1.1", upstream: "http://10.0.4.7:8080/api/cart/%d", host: "shop.example"`, r.IntN(60), 80000+r.IntN(9000), r.IntN(255), r.IntN(255), r.IntN(1000), r.IntN(1000))
	},
	func(r *rand.Rand) string {
		return fmt.Sprintf(`2024-05-01 03:10:%02d.%03d ERROR 1 --- [nio-8080-exec-%d] c.e.shop.OrderController : Failed to place order %d for user %d`, r.IntN(60), r.IntN(1000), r.IntN(10), r.IntN(100000), r.IntN(5000))
	},
	func(r *rand.Rand) string {
		return fmt.Sprintf(`{"level":"error","ts":%d.%03d,"caller":"payments/charge.go:88","msg":"charge failed","order_id":"o-%d","error":"card declined","trace_id":"%016x%016x"}`, 1714532405+r.IntN(600), r.IntN(1000), r.IntN(100000), r.Uint64(), r.Uint64())
	},
	func(r *rand.Rand) string {
		return fmt.Sprintf(`time="2024-05-01T03:10:%02dZ" level=warning msg="retrying request" attempt=%d backoff=%dms url="http://ledger:8080/v1/entries"`, r.IntN(60), 1+r.IntN(5), 100*(1+r.IntN(30)))
	},
}

var benchServices = []string{"payments", "checkout", "storefront", "inventory", "cart", "auth", "recommendations", "notifications"}

// benchLines builds n lines, the same for every run.
func benchLines(n int) []Line {
	r := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 3, 14, 3, 10, 0, 0, time.UTC)
	out := make([]Line, n)
	for i := range out {
		text := benchTemplates[r.IntN(len(benchTemplates))](r)
		out[i] = Line{
			Time:    base.Add(time.Duration(i) * time.Millisecond),
			Service: benchServices[r.IntN(len(benchServices))],
			Level:   levelUnlessNamed(text),
			Text:    text,
			TraceID: fmt.Sprintf("%016x%016x", r.Uint64(), r.Uint64()),
		}
	}
	return out
}

func BenchmarkMine100k(b *testing.B) {
	lines := benchLines(100_000)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		cs := Mine(lines, MinerOptions{})
		if len(cs) == 0 {
			b.Fatal("no patterns")
		}
	}
}

// BenchmarkCompare100k mines an incident window and counts a baseline
// window against the same patterns.
func BenchmarkCompare100k(b *testing.B) {
	lines := benchLines(200_000)
	incident, baseline := lines[:100_000], lines[100_000:]
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		m := NewMiner(MinerOptions{})
		for _, i := range Order(incident) {
			m.Add(incident[i])
		}
		for _, i := range Order(baseline) {
			m.AddBaseline(baseline[i])
		}
		if len(m.Clusters()) == 0 {
			b.Fatal("no patterns")
		}
	}
}

// BenchmarkMineUnrelatedLines is the miner's worst case: lines that share
// their leading words and length but nothing else pile up in one leaf of
// the tree until the pattern cap.
func BenchmarkMineUnrelatedLines100k(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	lines := make([]Line, 100_000)
	for i := range lines {
		words := []string{"level=error", `msg="unexpected`}
		for range 8 {
			words = append(words, fmt.Sprintf("w%x", r.Uint32()))
		}
		lines[i] = Line{Service: "svc", Level: LevelError, Text: strings.Join(words, " ")}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if cs := Mine(lines, MinerOptions{}); len(cs) == 0 {
			b.Fatal("no patterns")
		}
	}
}
