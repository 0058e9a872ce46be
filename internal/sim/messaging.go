package sim

import "sort"

// MessagingTruth is the asynchronous hop: each consumer span links to the
// PRODUCER span, in another trace, that sent its message; a batch
// consumer's span links to each of its messages' producer spans.
type MessagingTruth struct {
	Producer, Consumer, Topic string
	ProducerSpan              string // name of the PRODUCER spans the links point at, e.g. "send order-events"
	ProducerRoot              string // root span name of the producers' traces, e.g. "POST /checkout"
	ConsumerTraces            int    // traces rooted at a linked consumer span
	Messages                  int    // the messages those traces processed: their links to producer spans
	Batched                   bool   // some consumer trace processed several messages
	// FailingLinks pairs each failing consumer trace with the producer span
	// its link points at, sorted by consumer trace id: for a batch, with
	// each message whose processing failed.
	FailingLinks []MessageLink
	// FailingProducers counts the FailingLinks whose producer trace failed
	// too; 0 means every consumer failure starts behind the hop.
	FailingProducers int
}

// MessageLink is a consumer trace and the producer span its link names.
type MessageLink struct {
	ConsumerTraceID, ProducerTraceID, ProducerSpanID string
}

func (i *Incident) messagingTruth(gt *GroundTruth, facts []traceFacts) {
	producers := i.producerSpans()
	m := &gt.Messaging
	for ti := range i.traces {
		tr := &i.traces[ti]
		root := tr.root()
		if root.kind != kindConsumer {
			continue
		}
		batch := facts[ti].uid == "" && len(root.links) > 1
		counted := false
		for _, l := range root.links {
			p, ok := producers[l.span]
			if !ok || p.trace == ti || i.traces[p.trace].id != l.trace {
				continue
			}
			ptr := &i.traces[p.trace]
			ps := &ptr.spans[p.span]
			if m.ConsumerTraces == 0 && !counted {
				m.Producer, m.Consumer = i.svcOf(ps), i.svcOf(root)
				m.Topic, m.ProducerSpan, m.ProducerRoot = root.strAttr("messaging.destination.name"), ps.name, ptr.root().name
			}
			if !counted {
				m.ConsumerTraces++
				counted = true
			}
			m.Messages++
			m.Batched = m.Batched || batch
			failed := root.failed
			if batch {
				failed, _ = messageOutcome(tr, ps.strAttr("messaging.message.id"), facts[ti])
			}
			if failed {
				m.FailingLinks = append(m.FailingLinks, MessageLink{
					ConsumerTraceID: tr.id.String(), ProducerTraceID: ptr.id.String(), ProducerSpanID: ps.id.String(),
				})
				m.FailingProducers += b2i(ptr.root().failed)
			}
			if !batch {
				break
			}
		}
	}
	sort.SliceStable(m.FailingLinks, func(a, b int) bool { return m.FailingLinks[a].ConsumerTraceID < m.FailingLinks[b].ConsumerTraceID })
}
