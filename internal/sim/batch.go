package sim

import (
	"fmt"
	"slices"
	"sort"
	"time"
)

// batchLinger is how long the notifier waits for a batch to fill.
const batchLinger = int64(10 * time.Second)

// consumeBatches has the notifier take the produced messages in order, up
// to BatchSize at a time or what arrived within batchLinger of the first.
// Messages whose batch would start after the window stay on the queue.
func (g *generator) consumeBatches() {
	msgs := slices.Clone(g.produced)
	sort.SliceStable(msgs, func(a, b int) bool { return msgs[a].at < msgs[b].at })
	for k := 0; k < len(msgs); {
		n := 1
		for k+n < len(msgs) && n < g.sc.BatchSize && msgs[k+n].at < msgs[k].at+batchLinger {
			n++
		}
		at := msgs[k].at + batchLinger
		if n == g.sc.BatchSize {
			at = msgs[k+n-1].at
		}
		at += g.dur(12)
		if at >= g.inc.end {
			return
		}
		g.batch(msgs[k:k+n], at)
		k += n
	}
}

// batch is one trace of the notifier: a CONSUMER span linking to every
// message's PRODUCER span, then per message a render span and, when that
// worked, a CLIENT span to the uninstrumented mail-relay; both carry the
// message's messaging.message.id. No span names the user: the messages do
// not carry it.
func (g *generator) batch(msgs []produced, at int64) {
	inc := g.inc
	tr := traceRec{id: g.newTraceID(), user: -1}
	inIncident := at >= inc.incidentAt
	pods := inc.fleet.bySvc[batchConsumer]
	pod := pods[g.rng.IntN(len(pods))]
	if g.sc.FaultyPod {
		pod = g.rolloutPod(batchConsumer, inIncident)
	}
	root := span{id: g.newSpanID(), name: "process order-events", kind: kindConsumer, scope: scopeKafka, pod: pod, start: at}
	for _, m := range msgs {
		root.links = append(root.links, link{trace: m.trace, span: m.span})
	}
	tr.spans = append(tr.spans, root)
	self := g.dur(2)
	t := at + self*4/10
	failed, firstErr := 0, ""
	for _, m := range msgs {
		req := &request{tr: &tr, user: m.user, route: m.route, inIncident: inIncident, orderID: m.orderID}
		fail := g.sc.ErrorService == batchConsumer && (g.decideFail(t, m.user, m.route) || g.faultyPod(req, batchConsumer, pod))
		slow := g.sc.SlowService == batchConsumer && g.decideSlow(t, m.user, m.route)
		t += 20_000 + g.rng.Int64N(200_000)
		render := span{id: g.newSpanID(), parent: root.id, name: "render order-confirmation", kind: kindInternal, scope: scopeApp, pod: pod, start: t,
			attrs: []attr{str("messaging.message.id", m.msgID), str("order.id", m.orderID)}}
		d := g.dur(3.5)
		if slow {
			d += int64(g.sc.SlowBy)
		}
		if fail {
			mode := badDeployMode(&node{svc: batchConsumer})
			d = g.dur(mode.waitMs)
			render.failed, render.msg = true, mode.msg
			render.events = append(render.events, exceptionEvent(t+d, mode.excType, mode.msg))
			g.log(t+d, batchConsumer, &tr, render.id, `level=error msg="render order-confirmation failed" template=confirmation.html line=14 message_id=%s order_id=%s`, m.msgID, m.orderID)
			failed++
			if firstErr == "" {
				firstErr = mode.msg
			}
		}
		render.end = t + d
		t = render.end
		tr.spans = append(tr.spans, render)
		if fail {
			continue
		}
		t += 20_000 + g.rng.Int64N(100_000)
		send := span{id: g.newSpanID(), parent: root.id, name: "POST /v1/messages", kind: kindClient, scope: scopeHTTP, pod: pod, start: t}
		send.end = t + g.dur(18)
		send.attrs = []attr{str("http.request.method", "POST"), str("url.full", "http://"+mailRelay+":8025/v1/messages"), str("url.template", "/v1/messages"),
			str("server.address", mailRelay), num("server.port", 8025), str("peer.service", mailRelay), num("http.response.status_code", 202),
			str("network.protocol.version", "1.1"), str("messaging.message.id", m.msgID)}
		t = send.end
		tr.spans = append(tr.spans, send)
		g.log(t, batchConsumer, &tr, send.id, `level=info msg="order confirmation sent" message_id=%s order_id=%s relay=`+mailRelay, m.msgID, m.orderID)
	}
	r := &tr.spans[0]
	r.end = t + self*6/10
	r.attrs = []attr{str("messaging.system", "kafka"), str("messaging.operation.type", "process"), str("messaging.operation.name", "process"),
		str("messaging.destination.name", "order-events"), str("messaging.consumer.group.name", batchConsumer), num("messaging.batch.message_count", int64(len(msgs)))}
	if failed > 0 {
		r.failed, r.msg = true, fmt.Sprintf("%d of %d messages failed: %s", failed, len(msgs), firstErr)
		r.events = append(r.events, exceptionEvent(r.end, "*fmt.wrapError", r.msg))
		g.log(r.end, batchConsumer, &tr, r.id, `level=error msg="batch failed" topic=order-events messages=%d failed=%d`, len(msgs), failed)
	} else {
		g.log(r.end, batchConsumer, &tr, r.id, `level=info msg="batch processed" topic=order-events messages=%d`, len(msgs))
	}
	inc.traces = append(inc.traces, tr)
}
