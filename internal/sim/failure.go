package sim

import (
	"fmt"
	"math/rand/v2"
)

// failure is an error as the caller of a call sees it.
type failure struct {
	msg      string
	noise    bool // background noise: callers fall back instead of failing
	timeout  bool
	status   int // HTTP status the callee answered, when it speaks HTTP
	grpcCode int // gRPC code the callee answered, when it speaks gRPC
}

// failureMode is how a node fails when it is the origin of an error.
type failureMode struct {
	msg     string
	excType string
	logFmt  string
	waitMs  float64 // time spent before giving up
	timeout bool
	args    func(r *rand.Rand) []any
}

const poolTimeoutMs = 2000

func failureModeOf(n *node) failureMode {
	nothing := func(*rand.Rand) []any { return nil }
	switch {
	case n.proto == protoDB && n.dbSystem == "postgresql":
		return failureMode{
			msg:     fmt.Sprintf("timeout acquiring connection from pool after %dms", poolTimeoutMs),
			excType: "*pgconn.ConnectError",
			logFmt: fmt.Sprintf(`level=error msg="timeout acquiring connection from pool after %dms (pool=%s active=50 idle=0 waiters=%%d)" db.system=postgresql server.address=%s`,
				poolTimeoutMs, n.dbNamespace, n.svc),
			waitMs: poolTimeoutMs, timeout: true,
			args: func(r *rand.Rand) []any { return []any{18 + r.IntN(40)} },
		}
	case n.proto == protoDB:
		return failureMode{
			msg: "redis: connection pool timeout", excType: "*errors.errorString",
			logFmt: fmt.Sprintf(`level=error msg="redis: connection pool timeout" pool=%s pool_size=20 waited_ms=%%d`, n.svc),
			waitMs: 1000, timeout: true,
			args: func(r *rand.Rand) []any { return []any{1000 + r.IntN(5)} },
		}
	}
	switch n.svc {
	case "inventory":
		return failureMode{
			msg: "lock wait timeout exceeded; try restarting transaction", excType: "*mysql.MySQLError",
			logFmt: `level=error msg="lock wait timeout exceeded on stock row" sku=SKU-%d waited_ms=%d`, waitMs: 50, timeout: true,
			args: func(r *rand.Rand) []any { return []any{10000 + r.IntN(90000), 50 + r.IntN(10)} },
		}
	case "recommendations":
		return failureMode{
			msg: "model inference failed: feature store returned 503", excType: "*errors.errorString",
			logFmt: `level=error msg="model inference failed: feature store returned 503" model=recs-v4 latency_ms=%d`, waitMs: 40,
			args: func(r *rand.Rand) []any { return []any{30 + r.IntN(40)} },
		}
	case "catalog":
		return failureMode{
			msg: "product lookup failed: context deadline exceeded", excType: "context.deadlineExceededError",
			logFmt: `level=error msg="product lookup failed" product_id=%d err="context deadline exceeded"`, waitMs: 300, timeout: true,
			args: func(r *rand.Rand) []any { return []any{1000 + r.IntN(9000)} },
		}
	case "auth":
		return failureMode{
			msg: "token validation failed: jwks refresh timed out", excType: "*url.Error",
			logFmt: `level=error msg="jwks refresh timed out after 500ms" issuer=https://id.shop.example/ kid=k%d`, waitMs: 500, timeout: true,
			args: func(r *rand.Rand) []any { return []any{r.IntN(4)} },
		}
	case "cart":
		return failureMode{
			msg: "decode cart: unexpected EOF", excType: "*errors.errorString",
			logFmt: `level=error msg="decode cart failed" cart_id=c-%d err="unexpected EOF"`, waitMs: 2,
			args: func(r *rand.Rand) []any { return []any{100000 + r.IntN(900000)} },
		}
	case "checkout":
		return failureMode{
			msg: "order validation failed: price mismatch", excType: "*fmt.wrapError",
			logFmt: `level=error msg="order validation failed: price mismatch" items=%d`, waitMs: 4,
			args: func(r *rand.Rand) []any { return []any{1 + r.IntN(6)} },
		}
	case "payments":
		return failureMode{
			msg: "card processor returned 502", excType: "*payments.ProcessorError",
			logFmt: `level=error msg="card processor error" processor=adyen status=502 latency_ms=%d`, waitMs: 120,
			args: func(r *rand.Rand) []any { return []any{100 + r.IntN(60)} },
		}
	case "notifications":
		return failureMode{
			msg: `template: confirmation.html:14: nil pointer evaluating *Order.Total`, excType: "template.ExecError",
			logFmt: `level=error msg="render order-confirmation failed" template=confirmation.html line=14`, waitMs: 3, args: nothing,
		}
	case "storefront":
		return failureMode{
			msg: `template: page.html:48: nil pointer evaluating *Cart.Items`, excType: "template.ExecError",
			logFmt: `level=error msg="render failed" template=page.html line=48`, waitMs: 3, args: nothing,
		}
	}
	return failureMode{msg: "internal error", excType: "*errors.errorString",
		logFmt: `level=error msg="internal error"`, waitMs: 5, args: nothing}
}

// badDeployMode is how a faulty pod fails: fast, on a bug of its own.
func badDeployMode(n *node) failureMode {
	if n.svc == batchConsumer {
		return failureMode{
			msg: `template: confirmation.html:14: map has no entry for key "total_cents"`, excType: "template.ExecError",
			logFmt: `level=error msg="render order-confirmation failed" template=confirmation.html line=14`, waitMs: 2,
			args: func(*rand.Rand) []any { return nil },
		}
	}
	op := n.serverName()
	return failureMode{
		msg: "panic recovered: runtime error: invalid memory address or nil pointer dereference", excType: "runtime.Error",
		logFmt: `level=error msg="panic recovered" op=` + quoteIfSpace(op) + ` err="runtime error: invalid memory address or nil pointer dereference" goroutine=%d`,
		waitMs: 1.5,
		args:   func(r *rand.Rand) []any { return []any{1000 + r.IntN(90000)} },
	}
}

func grpcCodeName(c int) string {
	switch c {
	case 0:
		return "OK"
	case 4:
		return "DeadlineExceeded"
	case 13:
		return "Internal"
	case 14:
		return "Unavailable"
	}
	return fmt.Sprintf("Code(%d)", c)
}

// asSeenByCaller turns a callee's failure into the error its client span
// records: gRPC status errors and HTTP status codes, as client libraries do.
func asSeenByCaller(n *node, f *failure) *failure {
	out := *f
	switch n.proto {
	case protoGRPC:
		out.msg = fmt.Sprintf("rpc error: code = %s desc = %s", grpcCodeName(f.grpcCode), f.msg)
	case protoHTTP:
		out.msg = fmt.Sprintf("%s returned %d: %s", n.svc, f.status, f.msg)
	}
	return &out
}
