package sim

import (
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// The batch consumer's traces as a reader of the spans sees them: one
// CONSUMER span per batch linking to each message's producer span, the
// user only upstream, and each message's render (and send) carrying its id.
func TestBatchConsumerLinksEveryMessage(t *testing.T) {
	sc, _ := PresetScenario("batch-consumer")
	inc := mustGenerate(t, sc)
	gt := inc.Truth()
	v := viewOf(inc.PTraces())
	var failingLinks []MessageLink
	batches, messages, multi := 0, 0, 0
	for _, tv := range v.traces {
		root := tv.root
		if root.Kind() != ptrace.SpanKindConsumer {
			continue
		}
		batches++
		if root.svc() != batchConsumer || root.Links().Len() == 0 || root.Links().Len() > sc.BatchSize {
			t.Fatalf("batch %s: root %s %q with %d links", tv.id, root.svc(), root.Name(), root.Links().Len())
		}
		if root.Links().Len() > 1 {
			multi++
		}
		for _, s := range tv.spans {
			if s.str("enduser.id") != "" || s.str("user.tier") != "" {
				t.Fatalf("batch %s: span %q names a user", tv.id, s.Name())
			}
		}
		canary := root.resStr("service.version") == "2.4.0-rc.1"
		if canary && root.StartTimestamp().AsTime().Before(gt.Start.Add(sc.IncidentAfter)) {
			t.Fatalf("batch %s ran on the canary before it was rolled out", tv.id)
		}
		if root.failed() != canary {
			t.Fatalf("batch %s failed=%v on the canary=%v", tv.id, root.failed(), canary)
		}
		for l := 0; l < root.Links().Len(); l++ {
			messages++
			p, ok := v.spans[root.Links().At(l).SpanID()]
			id := p.str("messaging.message.id")
			if !ok || p.Kind() != ptrace.SpanKindProducer || p.svc() != "checkout" || id == "" {
				t.Fatalf("batch %s links to %s %q (message %q), want checkout's producer span", tv.id, p.svc(), p.Name(), id)
			}
			proot := v.traces[v.byID[p.TraceID().String()]].root
			if proot.str("enduser.id") == "" || proot.str("user.tier") == "" || proot.str("user.region") == "" {
				t.Fatalf("producer trace %s does not name its user", p.TraceID())
			}
			var kinds []ptrace.SpanKind
			for _, s := range tv.spans {
				if s.str("messaging.message.id") == id {
					kinds = append(kinds, s.Kind())
					if s.ParentSpanID() != root.SpanID() {
						t.Fatalf("batch %s: message %s worked on outside the consumer span", tv.id, id)
					}
					if s.Kind() == ptrace.SpanKindClient && (s.str("peer.service") != mailRelay || s.failed()) {
						t.Fatalf("batch %s: message %s sent to %q failed=%v", tv.id, id, s.str("peer.service"), s.failed())
					}
				}
			}
			failed, _ := tv.message(id)
			want := []ptrace.SpanKind{ptrace.SpanKindInternal, ptrace.SpanKindClient}
			if failed {
				want = want[:1]
				failingLinks = append(failingLinks, MessageLink{ConsumerTraceID: tv.id, ProducerTraceID: p.TraceID().String(), ProducerSpanID: p.SpanID().String()})
			}
			if !slices.Equal(kinds, want) || failed != canary {
				t.Fatalf("batch %s: message %s has spans %v, failed=%v on the canary=%v", tv.id, id, kinds, failed, canary)
			}
		}
	}
	slices.SortStableFunc(failingLinks, func(a, b MessageLink) int {
		switch {
		case a.ConsumerTraceID < b.ConsumerTraceID:
			return -1
		case a.ConsumerTraceID > b.ConsumerTraceID:
			return 1
		}
		return 0
	})
	m := gt.Messaging
	if !m.Batched || m.ConsumerTraces != batches || m.Messages != messages || multi < batches*3/4 || !slices.Equal(m.FailingLinks, failingLinks) || m.FailingProducers != 0 {
		t.Errorf("messaging truth: %d batches, %d messages, %d failing, batched %v; recounted %d, %d (%d batches of several), %d",
			m.ConsumerTraces, m.Messages, len(m.FailingLinks), m.Batched, batches, messages, multi, len(failingLinks))
	}
	if m.Producer != "checkout" || m.Consumer != batchConsumer || m.Topic != "order-events" || m.ProducerRoot != "POST /checkout" {
		t.Errorf("messaging truth %+v", m)
	}
	if len(failingLinks) < 2*len(gt.FailingTraceIDs) || gt.AffectedUsers < 2*len(gt.FailingTraceIDs) {
		t.Errorf("%d failed messages and %d users from %d failing batches: a batch is many requests' work",
			len(failingLinks), gt.AffectedUsers, len(gt.FailingTraceIDs))
	}
	if !slices.Contains(gt.Uninstrumented, mailRelay) {
		t.Errorf("uninstrumented %v, want %s", gt.Uninstrumented, mailRelay)
	}
}

// A retried call that worked hurts no one: the recovered requests are
// neither failing nor slow, their users are not affected, and their
// errors are not noise.
func TestRetriesRecoverMostRequests(t *testing.T) {
	sc, _ := PresetScenario("retry")
	inc := mustGenerate(t, sc)
	gt := inc.Truth()
	v := viewOf(inc.PTraces())
	recovered := map[string]bool{}
	for _, id := range gt.RecoveredTraceIDs {
		recovered[id] = true
	}
	failing := map[string]bool{}
	for _, id := range gt.FailingTraceIDs {
		failing[id] = true
	}
	var recount []string
	for _, tv := range v.traces {
		var charges []pspan
		for _, s := range tv.spans {
			if s.Kind() == ptrace.SpanKindClient && s.svc() == "checkout" && s.Name() == "payments.v1.PaymentService/Charge" {
				charges = append(charges, s)
			}
		}
		slices.SortFunc(charges, func(a, b pspan) int { return int(a.StartTimestamp()) - int(b.StartTimestamp()) })
		if len(charges) == 0 {
			continue
		}
		if len(charges) > sc.Retries+1 {
			t.Fatalf("trace %s charges %d times, want at most %d", tv.id, len(charges), sc.Retries+1)
		}
		last := charges[len(charges)-1]
		for _, c := range charges[:len(charges)-1] {
			if !c.failed() {
				t.Fatalf("trace %s retried a charge that worked", tv.id)
			}
		}
		switch {
		case last.failed():
			if !failing[tv.id] || len(charges) != sc.Retries+1 {
				t.Fatalf("trace %s: every charge failed after %d attempts, failing=%v", tv.id, len(charges), failing[tv.id])
			}
		case len(charges) > 1:
			recount = append(recount, tv.id)
			if tv.root.failed() || tv.isSlow() || tv.duration() > time.Second/2 {
				t.Fatalf("recovered trace %s failed=%v in %s", tv.id, tv.root.failed(), tv.duration())
			}
		}
		for _, c := range charges {
			server := false
			for _, s := range tv.spans {
				if s.ParentSpanID() == c.SpanID() {
					server = true
					if s.failed() != (s.resStr("service.version") == "2.9.0") {
						t.Fatalf("trace %s: payments pod %s failed=%v", tv.id, s.resStr("service.version"), s.failed())
					}
				}
			}
			if !server {
				t.Fatalf("trace %s: charge without a payments span", tv.id)
			}
		}
	}
	slices.Sort(recount)
	if !slices.Equal(recount, gt.RecoveredTraceIDs) || len(recount) < 2*len(gt.FailingTraceIDs) {
		t.Errorf("recovered traces: truth %d, recounted %d; failing %d", len(gt.RecoveredTraceIDs), len(recount), len(gt.FailingTraceIDs))
	}
	affected := map[string]bool{}
	for _, u := range gt.Users {
		affected[u.ID] = true
	}
	if len(gt.RecoveredUsers) < 20 {
		t.Errorf("%d users recovered, want plenty to tell apart", len(gt.RecoveredUsers))
	}
	for _, u := range gt.RecoveredUsers {
		if affected[u] {
			t.Errorf("recovered user %s is affected", u)
		}
	}
	for _, id := range gt.NoiseTraceIDs {
		if recovered[id] && slices.Contains(gt.NoiseOrigins, "payments") {
			t.Errorf("payments errors retried away count as noise: %v", gt.NoiseOrigins)
		}
	}
}
