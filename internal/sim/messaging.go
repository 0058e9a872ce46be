package sim

import "sort"

// MessagingTruth is the asynchronous hop: each consumer span links to the
// PRODUCER span, in another trace, that sent its message.
type MessagingTruth struct {
	Producer, Consumer, Topic string
	ProducerSpan              string // name of the PRODUCER spans the links point at, e.g. "send order-events"
	ProducerRoot              string // root span name of the producers' traces, e.g. "POST /checkout"
	ConsumerTraces            int    // traces rooted at a linked consumer span
	// FailingLinks pairs each failing consumer trace with the producer span
	// its link points at, sorted by consumer trace id.
	FailingLinks []MessageLink
	// FailingProducers counts the FailingLinks whose producer trace failed
	// too; 0 means every consumer failure starts behind the hop.
	FailingProducers int
}

// MessageLink is a consumer trace and the producer span its link names.
type MessageLink struct {
	ConsumerTraceID, ProducerTraceID, ProducerSpanID string
}

func (i *Incident) messagingTruth(gt *GroundTruth) {
	type at struct{ trace, span int }
	producers := map[spanID]at{}
	for ti := range i.traces {
		for k := range i.traces[ti].spans {
			if s := &i.traces[ti].spans[k]; s.kind == kindProducer {
				producers[s.id] = at{ti, k}
			}
		}
	}
	m := &gt.Messaging
	for ti := range i.traces {
		root := i.traces[ti].root()
		if root.kind != kindConsumer || len(root.links) == 0 {
			continue
		}
		p, ok := producers[root.links[0].span]
		if !ok || p.trace == ti || i.traces[p.trace].id != root.links[0].trace {
			continue
		}
		ptr := &i.traces[p.trace]
		ps := &ptr.spans[p.span]
		if m.ConsumerTraces == 0 {
			m.Producer, m.Consumer = i.svcOf(ps), i.svcOf(root)
			m.Topic, m.ProducerSpan, m.ProducerRoot = root.strAttr("messaging.destination.name"), ps.name, ptr.root().name
		}
		m.ConsumerTraces++
		if root.failed {
			m.FailingLinks = append(m.FailingLinks, MessageLink{
				ConsumerTraceID: i.traces[ti].id.String(), ProducerTraceID: ptr.id.String(), ProducerSpanID: ps.id.String(),
			})
			m.FailingProducers += b2i(ptr.root().failed)
		}
	}
	sort.Slice(m.FailingLinks, func(a, b int) bool { return m.FailingLinks[a].ConsumerTraceID < m.FailingLinks[b].ConsumerTraceID })
}
