package sim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// serve records n's server-side span (SERVER, CONSUMER or INTERNAL) starting
// at start, runs its calls in order, and reports when it finished and how it
// failed as the callee saw it.
func (g *generator) serve(req *request, n *node, parent spanID, start int64, links []link) (int64, *failure) {
	tr := req.tr
	sp := span{id: g.newSpanID(), parent: parent, name: n.serverName(), start: start, links: links}
	switch n.proto {
	case protoInternal:
		sp.kind, sp.scope = kindInternal, scopeApp
		for k := len(tr.spans) - 1; k >= 0; k-- {
			if tr.spans[k].id == parent {
				sp.pod = tr.spans[k].pod // in-process work runs where its parent runs
				break
			}
		}
	case protoKafka:
		sp.kind, sp.scope, sp.pod = kindConsumer, scopeKafka, g.pickPod(req, n)
	case protoGRPC:
		sp.kind, sp.scope, sp.pod, sp.parentRemote = kindServer, scopeGRPC, g.pickPod(req, n), true
	default:
		sp.kind, sp.scope, sp.pod, sp.parentRemote = kindServer, scopeHTTP, g.pickPod(req, n), !parent.isZero()
	}
	idx := len(tr.spans)
	tr.spans = append(tr.spans, sp)

	self := g.dur(n.selfMs)
	t := start + self*4/10
	slow := g.slowed(req, n)
	if slow {
		t += int64(g.sc.SlowBy)
	}
	var fail *failure
	var mode failureMode
	origin := false
	switch {
	case n.svc == g.sc.ErrorService && !hasInProcessChild(n) && (req.fail || g.faultyPod(req, n.svc, sp.pod)):
		mode, origin = failureModeOf(n), true
		if g.sc.FaultyPod {
			mode = badDeployMode(n)
		}
		fail = &failure{msg: mode.msg, timeout: mode.timeout}
	case g.isNoise(n):
		mode, origin = failureModeOf(n), true
		fail = &failure{msg: mode.msg, timeout: mode.timeout, noise: true}
	}
	if origin {
		t += g.dur(mode.waitMs)
		g.log(t, n.svc, tr, sp.id, mode.logFmt, mode.args(g.rng)...)
	} else {
		for _, c := range n.children {
			if c.prob > 0 && g.rng.Float64() >= c.prob {
				continue
			}
			t += 20_000 + g.rng.Int64N(200_000)
			var end int64
			var cf *failure
			if c.proto == protoInternal {
				end, cf = g.serve(req, c, sp.id, t, nil)
			} else {
				end, cf = g.call(req, idx, c, t)
				for attempt := 1; cf != nil && !cf.noise && attempt <= g.retriesTo(c); attempt++ {
					g.log(end, n.svc, tr, sp.id, `level=warn msg="call failed, retrying" peer=`+c.svc+` attempt=%d err=%q`, attempt, cf.msg)
					t = end + 5_000_000 + g.rng.Int64N(10_000_000)
					end, cf = g.call(req, idx, c, t)
				}
			}
			t = end
			if cf == nil {
				continue
			}
			if cf.noise {
				g.log(t, n.svc, tr, sp.id, `level=warn msg="`+c.svc+` unavailable, continuing without it" err=%q`, cf.msg)
				continue
			}
			fail = &failure{msg: n.verb + ": " + cf.msg, timeout: cf.timeout}
			break
		}
	}
	end := t + self*6/10
	if fail != nil {
		entry := parent.isZero() && n.proto == protoHTTP
		fail.status, fail.grpcCode = http.StatusServiceUnavailable, 14
		switch {
		case origin:
			fail.status, fail.grpcCode = http.StatusInternalServerError, 13
		case entry:
			fail.status = http.StatusBadGateway
		}
		if fail.timeout {
			fail.grpcCode = 4
		}
	}

	s := &tr.spans[idx]
	s.end = end
	s.attrs = g.serverAttrs(req, n, fail)
	durMs := (end - start) / 1e6
	if fail != nil {
		s.failed, s.msg = true, fail.msg
		exc := "*fmt.wrapError"
		if origin {
			exc = mode.excType
		}
		s.events = append(s.events, exceptionEvent(end, exc, fail.msg))
	}
	if slow {
		g.log(end, n.svc, tr, s.id, `level=warn msg="slow request" op=`+quoteIfSpace(s.name)+` duration_ms=%d threshold_ms=1000`, durMs)
	}
	switch n.proto {
	case protoHTTP:
		status := http.StatusOK
		if fail != nil {
			status = fail.status
		}
		format, args := ` method=`+n.method+` route=`+n.route+` status=%d duration_ms=%d`, []any{status, durMs}
		if parent.isZero() {
			format, args = format+` user=%s`, append(args, g.inc.users[req.user].id)
		}
		if fail != nil {
			g.log(end, n.svc, tr, s.id, `level=error msg="request failed"`+format+` err=%q`, append(args, fail.msg)...)
		} else {
			g.log(end, n.svc, tr, s.id, `level=info msg="request completed"`+format, args...)
		}
	case protoGRPC:
		prefix := ` grpc.service=` + n.rpcService + ` grpc.method=` + n.rpcMethod
		if fail != nil {
			g.log(end, n.svc, tr, s.id, `level=error msg="finished call"`+prefix+` grpc.code=%s duration_ms=%d err=%q`, grpcCodeName(fail.grpcCode), durMs, fail.msg)
		} else {
			g.log(end, n.svc, tr, s.id, `level=info msg="finished call"`+prefix+` grpc.code=OK duration_ms=%d`, durMs)
		}
	}
	return end, fail
}

// call records the caller's CLIENT or PRODUCER span for n and, when the callee
// is instrumented, its server span underneath.
func (g *generator) call(req *request, callerIdx int, n *node, start int64) (int64, *failure) {
	tr := req.tr
	caller := tr.spans[callerIdx]
	callerSvc := g.inc.fleet.pods[caller.pod].svc
	cs := span{id: g.newSpanID(), parent: caller.id, name: n.clientName(), start: start, pod: caller.pod, kind: kindClient}
	switch n.proto {
	case protoGRPC:
		cs.scope = scopeGRPC
	case protoDB:
		cs.scope = scopePG
		if n.dbSystem == "redis" {
			cs.scope = scopeRedis
		}
	case protoKafka:
		cs.scope, cs.kind = scopeKafka, kindProducer
	}
	idx := len(tr.spans)
	tr.spans = append(tr.spans, cs)

	var end int64
	var fail *failure
	var exc string
	switch n.proto {
	case protoDB:
		d := g.dur(n.selfMs)
		slow := g.slowed(req, n)
		if slow {
			d += int64(g.sc.SlowBy)
		}
		origin := n.svc == g.sc.ErrorService && req.fail
		noise := !origin && g.isNoise(n)
		if origin || noise {
			mode := failureModeOf(n)
			d = int64(mode.waitMs*1e6) + g.rng.Int64N(3_000_000)
			fail, exc = &failure{msg: mode.msg, timeout: mode.timeout, noise: noise}, mode.excType
			g.log(start+d, callerSvc, tr, cs.id, mode.logFmt, mode.args(g.rng)...)
		} else if slow {
			g.log(start+d, callerSvc, tr, cs.id, slowQueryFormat(n), d/1e6)
		}
		end = start + d
	case protoKafka:
		end = start + g.dur(n.selfMs)
		req.orderID = fmt.Sprintf("ord-%08d", g.rng.IntN(100_000_000))
		p := produced{trace: tr.id, span: cs.id, at: end, user: req.user, route: req.route, orderID: req.orderID,
			part: g.rng.IntN(12), offset: 100_000 + int64(len(g.produced))*12 + g.rng.Int64N(12)}
		tr.spans[idx].attrs = append(tr.spans[idx].attrs, num("messaging.destination.partition.id", int64(p.part)))
		if g.inc.topo.batch {
			p.msgID = fmt.Sprintf("%s-%d-%d", n.topic, p.part, p.offset)
			tr.spans[idx].attrs = append(tr.spans[idx].attrs, str("messaging.message.id", p.msgID))
		}
		g.produced = append(g.produced, p)
		g.log(end, callerSvc, tr, cs.id, `level=info msg="order placed" order_id=%s items=%d total_cents=%d`, req.orderID, 1+g.rng.IntN(5), 500+g.rng.IntN(40000))
	default:
		in := start + g.netHop()
		srvEnd, sf := g.serve(req, n, cs.id, in, nil)
		end = srvEnd + g.netHop()
		if sf != nil {
			fail = asSeenByCaller(n, sf)
			exc = "*status.Error"
			if n.proto == protoHTTP {
				exc = "*errors.errorString"
			}
		}
	}
	s := &tr.spans[idx]
	s.end = end
	s.attrs = append(g.clientAttrs(req, n, fail), s.attrs...)
	if fail != nil {
		s.failed, s.msg = true, fail.msg
		s.events = append(s.events, exceptionEvent(end, exc, fail.msg))
	}
	return end, fail
}

// retriesTo is how many times a caller retries a failed call to n.
func (g *generator) retriesTo(n *node) int {
	if n.svc != g.sc.ErrorService {
		return 0
	}
	return g.sc.Retries
}

// hasInProcessChild reports whether n hands its work to an in-process span
// of its own service, which is then where a failure of n starts.
func hasInProcessChild(n *node) bool {
	for _, c := range n.children {
		if c.proto == protoInternal && c.svc == n.svc {
			return true
		}
	}
	return false
}

// slowQueryFormat is the warning a database client logs for a call that
// took longer than its slow-log threshold.
func slowQueryFormat(n *node) string {
	if n.dbSystem == "redis" {
		return `level=warn msg="slow redis command" cmd=` + n.dbOp + ` addr=` + n.svc + `:6379 duration_ms=%d threshold_ms=500`
	}
	return `level=warn msg="slow query" db=` + n.dbNamespace + ` op=` + n.dbOp + ` table=` + n.dbTable + ` duration_ms=%d threshold_ms=500`
}

func exceptionEvent(at int64, typ, msg string) event {
	return event{name: "exception", at: at, attrs: []attr{str("exception.type", typ), str("exception.message", msg)}}
}

func quoteIfSpace(s string) string {
	if strings.ContainsAny(s, " \"") {
		return strconv.Quote(s)
	}
	return s
}

func (g *generator) fillPath(req *request, path string) string {
	return strings.Replace(path, "{id}", strconv.Itoa(req.itemID), 1)
}

func (g *generator) serverAttrs(req *request, n *node, fail *failure) []attr {
	u := g.inc.users[req.user]
	var a []attr
	switch n.proto {
	case protoHTTP:
		status := int64(http.StatusOK)
		if fail != nil {
			status = int64(fail.status)
		}
		a = append(a, str("http.request.method", n.method), str("http.route", n.route), str("url.path", g.fillPath(req, n.path)),
			num("http.response.status_code", status), str("network.protocol.version", "1.1"))
		if n.svc == g.inc.topo.entry {
			a = append(a, str("url.scheme", "https"), str("server.address", "shop.example.com"), num("server.port", 443),
				str("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/138.0 Safari/537.36"),
				str("user.tier", u.tier), str("user.region", u.region))
		} else {
			a = append(a, str("url.scheme", "http"), str("server.address", n.svc), num("server.port", int64(n.port)))
		}
		if fail != nil {
			a = append(a, str("error.type", strconv.Itoa(fail.status)))
		}
	case protoGRPC:
		code := int64(0)
		if fail != nil {
			code = int64(fail.grpcCode)
		}
		a = append(a, str("rpc.system", "grpc"), str("rpc.service", n.rpcService), str("rpc.method", n.rpcMethod), num("rpc.grpc.status_code", code))
	case protoKafka:
		// The consumer restores the user from the message headers, so its
		// traces name the user as the request that produced the message did.
		a = append(a, str("messaging.system", "kafka"), str("messaging.operation.type", "process"), str("messaging.operation.name", "process"),
			str("messaging.destination.name", n.topic), str("messaging.consumer.group.name", n.svc),
			str("user.tier", u.tier), str("user.region", u.region))
	case protoInternal:
		if req.orderID != "" {
			a = append(a, str("order.id", req.orderID))
		}
		return a
	}
	return append(a, str("enduser.id", u.id))
}

func (g *generator) clientAttrs(req *request, n *node, fail *failure) []attr {
	var a []attr
	switch n.proto {
	case protoHTTP:
		status := int64(http.StatusOK)
		if fail != nil {
			status = int64(fail.status)
		}
		a = append(a, str("http.request.method", n.method), str("url.full", fmt.Sprintf("http://%s:%d%s", n.svc, n.port, g.fillPath(req, n.path))),
			str("url.template", n.route), str("server.address", n.svc), num("server.port", int64(n.port)),
			num("http.response.status_code", status), str("network.protocol.version", "1.1"))
		if fail != nil {
			a = append(a, str("error.type", strconv.Itoa(fail.status)))
		}
	case protoGRPC:
		code := int64(0)
		if fail != nil {
			code = int64(fail.grpcCode)
		}
		a = append(a, str("rpc.system", "grpc"), str("rpc.service", n.rpcService), str("rpc.method", n.rpcMethod),
			str("server.address", n.svc), num("server.port", int64(n.port)), num("rpc.grpc.status_code", code))
		if fail != nil {
			a = append(a, str("error.type", grpcCodeName(fail.grpcCode)))
		}
	case protoDB:
		port := int64(5432)
		if n.dbSystem == "redis" {
			port = 6379
		}
		a = append(a, str("db.system", n.dbSystem), str("db.system.name", n.dbSystem))
		if n.dbSystem != "redis" {
			a = append(a, str("db.name", n.dbNamespace))
		}
		a = append(a, str("db.namespace", n.dbNamespace), str("db.operation.name", n.dbOp))
		if n.dbTable != "" {
			a = append(a, str("db.collection.name", n.dbTable))
		}
		a = append(a, str("db.query.text", n.dbQuery), str("server.address", n.svc), num("server.port", port), str("peer.service", n.svc))
		if fail != nil && fail.timeout {
			a = append(a, str("error.type", "timeout"))
		}
	case protoKafka:
		a = append(a, str("messaging.system", "kafka"), str("messaging.operation.type", "send"), str("messaging.operation.name", "send"),
			str("messaging.destination.name", n.topic), str("messaging.kafka.message.key", req.orderID),
			str("messaging.client.id", "checkout"), str("server.address", "kafka"), num("server.port", 9092))
	}
	return a
}
