package triage

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// batchWorld is n batch consumer traces of links messages each: a
// CONSUMER span linking every message's producer span, and per message a
// render span and a send span carrying its messaging.message.id, a fifth
// of them failing; plus the n×links producer traces, each naming a user.
func batchWorld(n, links int) []*Trace {
	rng := rand.New(rand.NewPCG(5, 5))
	var out []*Trace
	for c := range n {
		root := spanSpec{id: "root", svc: "notifier", name: "process order-events", kind: KindConsumer, start: 1000, end: 1000 + 3*links + 5}
		spans := []spanSpec{root}
		failed := false
		for m := range links {
			pid, msg := fmt.Sprintf("p%d-%d", c, m), fmt.Sprintf("msg-%d-%d", c, m)
			out = append(out, buildTrace(pid,
				spanSpec{id: "a", svc: "storefront", name: "POST /checkout", kind: KindServer, start: 0, end: 100,
					attrs: Attrs{{"http.route", "/checkout"}, {"http.request.method", "POST"}, {"enduser.id", fmt.Sprintf("u-%d", rng.IntN(2000))},
						{"user.tier", "premium"}, {"user.region", "eu-west"}}},
				spanSpec{id: "b", parent: "a", svc: "storefront", kind: KindClient, start: 1, end: 99},
				spanSpec{id: "c", parent: "b", svc: "checkout", name: "POST /api/v1/checkout", kind: KindServer, start: 2, end: 98},
				spanSpec{id: "d", parent: "c", svc: "checkout", name: "send order-events", kind: KindProducer, start: 50, end: 60,
					attrs: Attrs{{"messaging.destination.name", "order-events"}, {"messaging.message.id", msg}}},
			))
			spans[0].links = append(spans[0].links, Link{TraceID: pid, SpanID: "d"})
			fail := rng.IntN(5) == 0
			failed = failed || fail
			at := 1001 + 3*m
			spans = append(spans,
				spanSpec{id: fmt.Sprintf("r%d", m), parent: "root", svc: "notifier", name: "render order-confirmation", start: at, end: at + 1, err: fail,
					attrs: Attrs{{"messaging.message.id", msg}}})
			if !fail {
				spans = append(spans, spanSpec{id: fmt.Sprintf("s%d", m), parent: "root", svc: "notifier", name: "POST /v1/messages", kind: KindClient,
					start: at + 1, end: at + 2, attrs: Attrs{{"messaging.message.id", msg}, {"server.address", "mail-relay"}}})
			}
		}
		spans[0].err = failed
		out = append(out, buildTrace(fmt.Sprintf("c%d", c), spans...))
	}
	return out
}

// BenchmarkJoinBatch200x20 is the engine's work on 200 batch consumer
// traces of 20 messages each with their 4,000 linked producer traces:
// analysed, joined, ranked (services and users), and the users estimated
// over the messages.
func BenchmarkJoinBatch200x20(b *testing.B) {
	traces := batchWorld(200, 20)
	analyses := make([]TraceAnalysis, len(traces))
	total := 900.0
	b.ReportAllocs()
	for b.Loop() {
		for i, t := range traces {
			analyses[i] = AnalyzeTrace(t, testAnalysis)
		}
		JoinLinked(analyses)
		if len(RankServices(analyses, nil, RankOptions{})) == 0 {
			b.Fatal("no services ranked")
		}
		users := RankUsers(analyses, UserOptions{})
		if len(users) == 0 || users[0].BatchLevel {
			b.Fatalf("users %d, first %+v: want matched per message", len(users), users[0])
		}
		if EstimateAffectedUsers(users, SampledWork(analyses, false), KindErrors, &total, "bench") == nil {
			b.Fatal("no estimate")
		}
	}
}

// BenchmarkJoinBatch200x20JoinRank is the same without the analysis: the
// join and the ranking alone.
func BenchmarkJoinBatch200x20JoinRank(b *testing.B) {
	traces := batchWorld(200, 20)
	analyses := make([]TraceAnalysis, len(traces))
	for i, t := range traces {
		analyses[i] = AnalyzeTrace(t, testAnalysis)
	}
	total := 900.0
	b.ReportAllocs()
	for b.Loop() {
		JoinLinked(analyses)
		RankServices(analyses, nil, RankOptions{})
		users := RankUsers(analyses, UserOptions{})
		EstimateAffectedUsers(users, SampledWork(analyses, false), KindErrors, &total, "bench")
	}
}
