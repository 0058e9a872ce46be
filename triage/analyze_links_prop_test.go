package triage

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"testing"
)

// linkWorld is a random set of producer and consumer traces: consumers link
// to 0, 1 or many producer spans, to traces outside the analysed set, to
// each other (cycles), to themselves, and to the same span more than once;
// a producer may be linked from several consumers. It keeps what the join
// must find, worked out from the generated data alone.
type linkWorld struct {
	traces []*Trace
	// per consumer trace id: its distinct links in order, and per link
	// whether the consumer's work on it failed and whether that outcome
	// is the whole batch's (no span of its own carries the message id)
	links      map[string][]linkKey
	failed     map[string]map[linkKey]bool
	batchLevel map[string]map[linkKey]bool
	failing    map[string]bool   // traces whose root failed
	userOf     map[string]string // producer trace → its user
	tierOf     map[string]string // producer trace → its user's tier
	outside    []string          // linked trace ids not analysed
	dups       int               // links given twice on one span
}

type linkKey struct{ TraceID, SpanID string }

func newLinkWorld(rng *rand.Rand) *linkWorld {
	w := &linkWorld{links: map[string][]linkKey{}, failed: map[string]map[linkKey]bool{}, batchLevel: map[string]map[linkKey]bool{},
		failing: map[string]bool{}, userOf: map[string]string{}, tierOf: map[string]string{}}
	nProd, nCons := rng.IntN(8), 1+rng.IntN(6)
	var targets []Link
	msgOf := map[linkKey]string{}
	for i := range nProd {
		id := fmt.Sprintf("p%d", i)
		root := spanSpec{id: "r", svc: "storefront", name: "POST /checkout", kind: KindServer, start: 0, end: 100,
			attrs: Attrs{{"http.route", "/checkout"}, {"http.request.method", "POST"}}}
		if rng.IntN(5) > 0 { // some producers name no user
			u := fmt.Sprintf("u-%d", rng.IntN(5))
			tier := []string{"free", "premium"}[rng.IntN(2)]
			root.attrs = append(root.attrs, Attr{"enduser.id", u}, Attr{"user.tier", tier})
			w.userOf[id], w.tierOf[id] = u, tier
		}
		spans := []spanSpec{root}
		for k := range 1 + rng.IntN(2) { // a request may put two messages on the queue
			sid, msg := fmt.Sprintf("m%d", k), fmt.Sprintf("msg-%d-%d", i, k)
			spans = append(spans, spanSpec{id: sid, parent: "r", svc: "checkout", name: "send order-events", kind: KindProducer, start: 10 + k, end: 20 + k,
				attrs: Attrs{{"messaging.destination.name", "order-events"}, {"messaging.message.id", msg}}})
			targets = append(targets, Link{TraceID: id, SpanID: sid})
			msgOf[linkKey{id, sid}] = msg
		}
		w.traces = append(w.traces, buildTrace(id, spans...))
	}
	for j := range nCons {
		targets = append(targets, Link{TraceID: fmt.Sprintf("c%d", j), SpanID: "root"}) // cycles between consumers
	}
	for j := range nCons {
		id := fmt.Sprintf("c%d", j)
		var links []Link
		switch n := rng.IntN(4); n {
		case 0: // no links
		case 1: // one
			links = append(links, targets[rng.IntN(len(targets))])
		default: // many, duplicates included
			for range 2 + rng.IntN(10) {
				links = append(links, targets[rng.IntN(len(targets))])
			}
		}
		if rng.IntN(3) == 0 {
			x := fmt.Sprintf("x%d", rng.IntN(3)) // a trace outside the window: never analysed
			links = append(links, Link{TraceID: x, SpanID: "s"})
			w.outside = append(w.outside, x)
		}
		if rng.IntN(6) == 0 {
			links = append(links, Link{TraceID: id, SpanID: "root"}) // a link to itself
		}
		perMessage := rng.IntN(2) == 0
		spans := []spanSpec{{id: "root", svc: "notifier", name: "process order-events", kind: KindConsumer, start: 200, end: 400, links: links}}
		distinct := []linkKey{}
		for _, l := range links {
			switch k := (linkKey{l.TraceID, l.SpanID}); {
			case l.TraceID == id:
			case slices.Contains(distinct, k):
				w.dups++
			default:
				distinct = append(distinct, k)
			}
		}
		w.links[id], w.failed[id], w.batchLevel[id] = distinct, map[linkKey]bool{}, map[linkKey]bool{}
		rootFails := rng.IntN(2) == 0
		anyFailed := false
		if perMessage {
			for k, l := range distinct {
				msg, ok := msgOf[l]
				if !ok {
					continue
				}
				fail := rng.IntN(2) == 0
				anyFailed = anyFailed || fail
				spans = append(spans, spanSpec{id: fmt.Sprintf("w%d", k), parent: "root", svc: "notifier", name: "render", start: 210 + k, end: 211 + k,
					err: fail, attrs: Attrs{{"messaging.message.id", msg}}})
				w.failed[id][l] = fail
			}
			rootFails = rootFails || anyFailed
		}
		spans[0].err = rootFails
		w.failing[id] = rootFails
		for _, l := range distinct {
			if _, matched := w.failed[id][l]; !matched {
				w.failed[id][l] = rootFails
				w.batchLevel[id][l] = len(distinct) > 1
			}
		}
		w.traces = append(w.traces, buildTrace(id, spans...))
	}
	return w
}

func (w *linkWorld) analysed() map[string]bool {
	m := map[string]bool{}
	for _, t := range w.traces {
		m[t.ID] = true
	}
	return m
}

// TestJoinLinkedProperties checks the join on random worlds: each consumer
// gets each analysed span it links to once, with its own work's outcome on
// that message; links are followed one hop only; the traces linked to list
// each consumer once; the users are exactly those of the producers whose
// messages failed, with the producer's details, each message counted once;
// and none of it depends on the order of the traces or on joining twice.
func TestJoinLinkedProperties(t *testing.T) {
	var seen struct{ none, one, many, outside, cycle, dup, shared, batch, matched int }
	for seed := range uint64(400) {
		rng := rand.New(rand.NewPCG(seed, 11))
		w := newLinkWorld(rng)
		as := make([]TraceAnalysis, len(w.traces))
		for k, tr := range w.traces {
			as[k] = AnalyzeTrace(tr, testAnalysis)
		}
		rng.Shuffle(len(as), func(i, j int) { as[i], as[j] = as[j], as[i] })
		JoinLinked(as)
		in := w.analysed()
		byID := map[string]*TraceAnalysis{}
		for k := range as {
			byID[as[k].TraceID] = &as[k]
		}
		linkedFrom := map[string][]string{}
		for _, c := range slices.Sorted(maps.Keys(w.links)) {
			links := w.links[c]
			a := byID[c]
			switch {
			case len(links) == 0:
				seen.none++
			case len(links) == 1:
				seen.one++
			default:
				seen.many++
			}
			var want []LinkedTrace
			for _, l := range links {
				if !in[l.TraceID] {
					seen.outside++
					continue
				}
				if l.TraceID[0] == 'c' {
					seen.cycle++
				}
				if !slices.Contains(linkedFrom[l.TraceID], c) {
					linkedFrom[l.TraceID] = append(linkedFrom[l.TraceID], c)
				}
				want = append(want, LinkedTrace{TraceID: l.TraceID, SpanID: l.SpanID, User: w.userOf[l.TraceID], Failed: w.failed[c][l], BatchLevel: w.batchLevel[c][l]})
				if w.batchLevel[c][l] {
					seen.batch++
				} else if len(links) > 1 && w.failed[c][l] != w.failing[c] {
					seen.matched++
				}
			}
			var got []LinkedTrace
			for _, u := range a.Upstream {
				if u.Consumer != "notifier" || u.Slow {
					t.Fatalf("seed %d: %s upstream %+v: consumer %q, slow %v", seed, c, u, u.Consumer, u.Slow)
				}
				got = append(got, LinkedTrace{TraceID: u.TraceID, SpanID: u.SpanID, User: u.User, Failed: u.Failed, BatchLevel: u.BatchLevel})
				if u.TraceID[0] == 'c' && len(u.Path) != 1 {
					t.Fatalf("seed %d: %s reaches %s past one hop: path %v", seed, c, u.TraceID, u.Path)
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("seed %d: %s upstream\n%+v\nwant\n%+v", seed, c, got, want)
			}
			if n := len(a.Links); n != len(links) {
				t.Fatalf("seed %d: %s keeps %d links, want %d distinct", seed, c, n, len(links))
			}
		}
		for id, from := range linkedFrom {
			if len(from) > 1 {
				seen.shared++
			}
			if got := slices.Sorted(slices.Values(byID[id].LinkedFrom)); !slices.Equal(got, from) {
				t.Fatalf("seed %d: %s linked from %v, want %v", seed, id, got, from)
			}
		}
		seen.dup += w.dups

		// Users: each failed message counts once for its producer's user,
		// with the producer's tier; batch-level when no credit was matched.
		type credit struct {
			failed  int
			matched bool
		}
		want := map[string]*credit{}
		for c, links := range w.links {
			for _, l := range links {
				u := w.userOf[l.TraceID]
				if !in[l.TraceID] || u == "" || !w.failed[c][l] {
					continue
				}
				if want[u] == nil {
					want[u] = &credit{}
				}
				want[u].failed++
				want[u].matched = want[u].matched || !w.batchLevel[c][l]
			}
		}
		users := RankUsers(as, UserOptions{})
		if len(users) != len(want) {
			t.Fatalf("seed %d: %d users, want %d", seed, len(users), len(want))
		}
		for _, u := range users {
			c := want[u.ID]
			if c == nil || u.Failed != c.failed || u.BatchLevel == c.matched {
				t.Fatalf("seed %d: user %+v, want %+v", seed, u, c)
			}
			tiers := map[string]bool{}
			for p, pu := range w.userOf {
				if pu == u.ID {
					tiers[w.tierOf[p]] = true
				}
			}
			if !tiers[u.Attributes["user.tier"]] {
				t.Fatalf("seed %d: user %s tier %q, not one its producers carry %v", seed, u.ID, u.Attributes["user.tier"], tiers)
			}
		}

		// Linked traces outside the set are listed once each, for fetching.
		var wantFetch []string
		for c, links := range w.links {
			for _, l := range links {
				if !in[l.TraceID] && w.failing[c] && !slices.Contains(wantFetch, l.TraceID) {
					wantFetch = append(wantFetch, l.TraceID)
				}
			}
		}
		gotFetch := LinkedTraceIDs(as)
		sort.Strings(gotFetch)
		sort.Strings(wantFetch)
		if !slices.Equal(gotFetch, wantFetch) {
			t.Fatalf("seed %d: to fetch %v, want %v", seed, gotFetch, wantFetch)
		}

		// Joining again, or in another order, changes nothing.
		again := slices.Clone(as)
		for k := range again {
			again[k].Upstream, again[k].LinkedFrom = nil, nil
		}
		slices.Reverse(again)
		JoinLinked(again)
		for k := range again {
			b := byID[again[k].TraceID]
			if !reflect.DeepEqual(again[k].Upstream, b.Upstream) {
				t.Fatalf("seed %d: %s upstream depends on the order of the traces", seed, b.TraceID)
			}
		}
	}
	t.Logf("consumers with no link %d, one %d, many %d; links outside %d, to consumers %d; duplicated %d; producers linked from several %d; batch-level %d, matched apart from the batch %d",
		seen.none, seen.one, seen.many, seen.outside, seen.cycle, seen.dup, seen.shared, seen.batch, seen.matched)
	for name, n := range map[string]int{"none": seen.none, "one": seen.one, "many": seen.many, "outside": seen.outside, "cycle": seen.cycle,
		"dup": seen.dup, "shared": seen.shared, "batch": seen.batch, "matched": seen.matched} {
		if n == 0 {
			t.Errorf("no world had the case %q", name)
		}
	}
}
