package adapter

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/triagectl/triage/sources/jaeger"
	"github.com/triagectl/triage/triage"
)

// JaegerTraces adapts the Jaeger client to triage.TracesSource.
//
// Jaeger's search asks for one span by service, operation, tags, duration
// and time; the engine's searches ask more. What Jaeger cannot ask, the
// adapter checks on the whole traces Jaeger returns (both of its search
// APIs answer with whole traces), and says so in the hits' note:
//   - span kind, and "did not fail": checked on the returned traces, Jaeger
//     asked for twice as many to make up for those left out;
//   - failures below the scope (TraceQL's >>): Jaeger has no structural
//     search; the scope's traces are looked through, up to ScanDepth;
//   - no service in scope: Jaeger needs one; each service it lists is asked;
//   - traces linking to a trace: Jaeger cannot search by link; the linked
//     trace's messages are looked for, by topic and key, at the services
//     that consume messages, and the traces found are checked for the link;
//   - error=true finding nothing (Jaeger v2.12's in-memory store): the
//     client looks for failed spans itself (jaeger.ErrorFilterClient), in
//     the same traces.
//
// Jaeger answers a search with the newest traces of its range, so every
// search is asked over ten parts of the window, each for its share; when
// traces are looked through, or the parts' hits fall short of the limit, a
// part answered in full is asked again in halves while twice ScanDepth
// lasts, so a window with fewer traces than ScanDepth is looked through
// whole, and matches crowded into part of the window still fill the limit.
type JaegerTraces struct {
	C jaeger.API
	// ScanDepth bounds the traces looked through for what Jaeger cannot
	// ask, over the whole window: DefaultJaegerScan when zero. Each part
	// of the window takes its share, which must not exceed the in-memory
	// store's max_traces.
	ScanDepth int
}

var _ triage.TracesSource = JaegerTraces{}

// Name is Jaeger's.
func (JaegerTraces) Name() string { return triage.SourceJaeger }

// DefaultJaegerScan is the default ScanDepth. Looking through a window's
// traces fetches at most twice as many: the newest thousand of each tenth
// of it at first, then parts still full again in halves while that budget
// lasts. The simulator's busiest service sends under four thousand in its
// window, so its scans are complete; a busier service's are a sample
// spread over the window.
const DefaultJaegerScan = 5000

func (j JaegerTraces) scanDepth() int {
	if j.ScanDepth > 0 {
		return j.ScanDepth
	}
	return DefaultJaegerScan
}

// Trace fetches one trace and converts it.
func (j JaegerTraces) Trace(ctx context.Context, id string) (*triage.Trace, error) {
	tr, err := j.C.Trace(ctx, id)
	if err != nil {
		return nil, err
	}
	out := ConvertTraces(tr.Traces)
	if len(out) == 0 {
		return &triage.Trace{ID: tr.ID}, nil
	}
	return out[0], nil
}

// Search runs the search as Jaeger's, checking what Jaeger cannot ask on
// the traces it returns.
func (j JaegerTraces) Search(ctx context.Context, q triage.TraceSearch) (triage.TraceHits, error) {
	switch {
	case q.LinksTo != "":
		return j.linked(ctx, q)
	case q.Service == "":
		return j.eachService(ctx, q)
	}
	return j.search(ctx, q)
}

// jaegerPlan is one search as Jaeger is asked it.
type jaegerPlan struct {
	jq      jaeger.Query
	checked []string // what triage checks on the returned traces
}

func (j JaegerTraces) plan(q triage.TraceSearch) jaegerPlan {
	p := jaegerPlan{jq: jaeger.Query{Service: q.Service, Start: q.Start, End: q.End, Limit: q.Limit,
		MinDuration: q.MinDuration, ScanLimit: j.scanDepth()}}
	if len(q.Attrs) > 0 {
		p.jq.Attributes = map[string]string{}
		for _, a := range q.Attrs {
			p.jq.Attributes[a.Key] = a.Value
		}
	}
	if q.FailingBelow {
		// Every trace of the scope, then the structure checked here.
		p.jq.Limit = j.scanDepth()
		p.checked = append(p.checked, "failed spans below "+q.Service)
		return p
	}
	switch q.Status {
	case triage.StatusError:
		p.jq.Errors = true
	case triage.StatusNotError:
		p.checked = append(p.checked, "search for spans that did not fail")
	}
	if len(q.Kinds) > 0 {
		p.checked = append(p.checked, "search by span kind")
	}
	switch {
	case len(p.checked) > 0 && p.jq.Errors:
		// Failed spans of any kind can be many more than the failed entry
		// spans asked for (errors a service tolerates): keep every one
		// Jaeger, or the client's own error check, finds, then check here.
		p.jq.Limit = j.scanDepth()
	case len(p.checked) > 0 && q.Limit > 0:
		// Some hits will be left out: ask for more.
		p.jq.Limit = min(2*q.Limit, j.scanDepth())
	}
	return p
}

// text is the search as Jaeger's search form holds it.
func (p jaegerPlan) text() string {
	s := triage.JaegerSearch{Service: p.jq.Service, Operation: p.jq.Operation, MinDuration: p.jq.MinDuration,
		MaxDuration: p.jq.MaxDuration, Limit: p.jq.Limit}
	if len(p.jq.Attributes) > 0 || p.jq.Errors {
		s.Tags = map[string]string{}
		for k, v := range p.jq.Attributes {
			s.Tags[k] = v
		}
		if p.jq.Errors {
			s.Tags["error"] = "true"
		}
	}
	return s.String()
}

// jaegerSlices is how many parts of the window a search is asked over:
// Jaeger answers with the newest traces of the range, and a sample of a
// busy service's newest traces would miss most of the window.
const jaegerSlices = 10

// minSlice is the shortest part of a window asked on its own, and
// minSplit the shortest a part is split into.
const (
	minSlice = time.Minute
	minSplit = time.Second
)

// slice is one part of the window and what its search found.
type slice struct {
	start, end   time.Time
	refs         []triage.TraceRef
	scanned      int
	full         bool // Jaeger returned as many traces as asked: more may remain
	clientFilter bool // the client checked the failed spans itself
	err          error
}

// search asks Jaeger over each part of the window for its share of the
// limit, and keeps the traces that answer q, taking the parts in turn so
// the cut keeps every part's. When triage looks through the traces itself
// (failures below the scope, failed spans error=true did not find), a part
// Jaeger answered in full is asked again in halves, while the scan's
// budget lasts, so that every trace of the window is looked at when it
// holds fewer than ScanDepth. When the hits fall short of the limit while
// some parts were answered in full (the matches crowd into part of the
// window), those parts are asked again in halves, so the sample fills up
// spread over where the matches are.
func (j JaegerTraces) search(ctx context.Context, q triage.TraceSearch) (triage.TraceHits, error) {
	p := j.plan(q)
	h := triage.TraceHits{Query: p.text()}
	var parts []*slice
	for _, r := range timeSlices(q.Start, q.End, p.jq.Limit) {
		parts = append(parts, &slice{start: r[0], end: r[1]})
	}
	share := ceilDiv(p.jq.Limit, len(parts))
	scanShare := max(ceilDiv(p.jq.ScanLimit, len(parts)), share)
	// Traces fetched, re-asked ones included, against twice the scan.
	budget := 2 * max(p.jq.ScanLimit, p.jq.Limit)
	if q.FailingBelow || p.jq.Errors {
		// Triage may have to look through the window's traces itself
		// (failures below the scope; failed spans error=true does not
		// find): each part is asked at once as deep as its share of the
		// budget. A part asked half as deep and found full would be asked
		// again in halves, fetching its newest traces twice.
		// No part is asked deeper than the whole scan, which the
		// in-memory store's max_traces must allow.
		scanShare = max(scanShare, min(ceilDiv(budget, len(parts)), p.jq.ScanLimit))
		if q.FailingBelow {
			share = scanShare // the search itself is the scan
		}
	}
	j.pages(ctx, q, p.jq, parts, share, scanShare)
	fetched := scannedIn(parts)
	// Hits short of the limit while some parts hold more: the matches crowd
	// into part of the window (a latency incident's last minutes), and the
	// parts without any left their shares unused. Which of its matches
	// Jaeger returns when a part holds more than asked is its store's pick,
	// not a fair sample (on the simulator it favours some users' requests),
	// so those parts are asked again as deep as the scan, and halved while
	// that is not enough: the sample is then cut here, spread over time.
	deep, ask := false, share
	if q.Limit > 0 && !q.FailingBelow && firstErr(parts) == nil && distinctRefs(parts) < q.Limit && scanShare > share {
		var again []*slice
		for _, s := range parts {
			// A part the client looked through was asked as deep as the
			// scan already.
			if s.full && !s.clientFilter {
				again = append(again, s)
			}
		}
		if len(again) > 0 && fetched+len(again)*scanShare <= budget {
			deep, ask = true, scanShare
			j.pages(ctx, q, p.jq, again, ask, scanShare)
			fetched += scannedIn(again)
		}
	}
	for {
		if err := firstErr(parts); err != nil {
			return h, err
		}
		lookThrough, full := q.FailingBelow, 0
		for _, s := range parts {
			lookThrough = lookThrough || s.clientFilter
			if s.splittable() {
				full++
			}
		}
		if !lookThrough && !deep || full == 0 || fetched+2*full*scanShare > budget {
			break
		}
		var next, asked []*slice
		for _, s := range parts {
			if !s.splittable() {
				next = append(next, s)
				continue
			}
			mid := s.start.Add(s.end.Sub(s.start) / 2)
			a, b := &slice{start: s.start, end: mid}, &slice{start: mid, end: s.end}
			next, asked = append(next, a, b), append(asked, a, b)
		}
		parts = next
		j.pages(ctx, q, p.jq, asked, ask, scanShare)
		fetched += scannedIn(asked)
	}
	per := make([][]triage.TraceRef, len(parts))
	total, complete, clientFilter := 0, true, false
	for i, s := range parts {
		// Jaeger's order within a part is its store's: the cut takes an
		// even spread by start time instead.
		per[i] = spreadOrder(s.refs)
		total += s.scanned
		complete = complete && !s.full
		clientFilter = clientFilter || s.clientFilter
	}
	h.Refs = proportional(per, q.Limit)
	// Which traces were looked through: all of the window's, or the newest
	// of each part.
	through := fmt.Sprintf("all %d traces of %s in the window", total, q.Service)
	if !complete {
		through = fmt.Sprintf("%d traces of %s, the newest of each part of the window", total, q.Service)
	}
	var how []string
	if clientFilter {
		how = append(how, "error=true found none, so triage looked for failed spans in "+through)
	}
	switch {
	case q.FailingBelow:
		how = append(how, "Jaeger has no structural search, so triage looked for them in "+through)
	case len(p.checked) > 0:
		how = append(how, "Jaeger cannot "+strings.Join(p.checked, " or ")+", so triage checked the traces it returned")
	}
	if len(how) > 0 {
		h.Note = describe(q) + ": " + strings.Join(how, "; ")
	}
	return h, nil
}

// pages asks one page of each part, two parts at once: up to limit hits
// among up to scan traces.
func (j JaegerTraces) pages(ctx context.Context, q triage.TraceSearch, base jaeger.Query, parts []*slice, limit, scan int) {
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for _, s := range parts {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			jq := base
			jq.Start, jq.End, jq.Limit, jq.ScanLimit = s.start, s.end, limit, scan
			res, err := j.C.Search(ctx, jq)
			if err != nil {
				s.err = err
				return
			}
			s.refs, s.scanned = keep(res, q), res.Scanned
			s.clientFilter = res.ErrorFilter == jaeger.ErrorFilterClient
			s.full = res.Scanned >= res.Depth
		})
	}
	wg.Wait()
}

// splittable reports whether Jaeger answered the part in full and it is
// long enough to halve.
func (s *slice) splittable() bool { return s.full && s.end.Sub(s.start) >= 2*minSplit }

// spreadOrder sorts refs by start time (then id), and orders them so that
// every prefix is spread evenly over that order: the k-th taken is the one
// at the bit-reversed position k. The order depends only on the refs, not
// on the order Jaeger returned them in.
func spreadOrder(refs []triage.TraceRef) []triage.TraceRef {
	byTime := slices.Clone(refs)
	slices.SortStableFunc(byTime, func(a, b triage.TraceRef) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.TraceID, b.TraceID)
	})
	bits := 0
	for 1<<bits < len(byTime) {
		bits++
	}
	out := make([]triage.TraceRef, 0, len(byTime))
	for k := range 1 << bits {
		if i := reverseBits(k, bits); i < len(byTime) {
			out = append(out, byTime[i])
		}
	}
	return out
}

// reverseBits reverses the low n bits of k.
func reverseBits(k, n int) int {
	r := 0
	for range n {
		r, k = r<<1|k&1, k>>1
	}
	return r
}

// distinctRefs counts the distinct traces the parts' hits hold.
func distinctRefs(parts []*slice) int {
	seen := map[string]bool{}
	for _, s := range parts {
		for _, r := range s.refs {
			seen[r.TraceID] = true
		}
	}
	return len(seen)
}

func scannedIn(parts []*slice) int {
	n := 0
	for _, s := range parts {
		n += s.scanned
	}
	return n
}

func firstErr(parts []*slice) error {
	for _, s := range parts {
		if s.err != nil {
			return s.err
		}
	}
	return nil
}

// timeSlices cuts [start, end] into up to jaegerSlices equal parts, none
// shorter than minSlice, and no more parts than limit.
func timeSlices(start, end time.Time, limit int) [][2]time.Time {
	n := jaegerSlices
	if d := end.Sub(start); d < time.Duration(n)*minSlice {
		n = max(int(d/minSlice), 1)
	}
	n = max(min(n, limit), 1)
	out := make([][2]time.Time, n)
	step := end.Sub(start) / time.Duration(n)
	for i := range out {
		out[i] = [2]time.Time{start.Add(time.Duration(i) * step), start.Add(time.Duration(i+1) * step)}
	}
	out[n-1][1] = end
	return out
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// proportional merges the parts' lists so that every prefix takes from
// each part in proportion to its matches, each id once, up to limit (0 for
// all): the k-th of a part's n comes at its quantile (k+½)/n. A cut then
// samples the window's matches evenly, as a draw from all of them would,
// which the user estimate assumes; an equal share per part would
// over-sample the quiet parts of a latency incident and under-sample its
// busy minutes.
func proportional(lists [][]triage.TraceRef, limit int) []triage.TraceRef {
	type pos struct{ part, k int }
	var all []pos
	for i, refs := range lists {
		for k := range refs {
			all = append(all, pos{i, k})
		}
	}
	// (k+½)/n_i against (l+½)/n_j, in integers.
	slices.SortStableFunc(all, func(a, b pos) int {
		na, nb := len(lists[a.part]), len(lists[b.part])
		if c := cmp.Compare((2*a.k+1)*nb, (2*b.k+1)*na); c != 0 {
			return c
		}
		return cmp.Compare(a.part, b.part)
	})
	var out []triage.TraceRef
	seen := map[string]bool{}
	for _, p := range all {
		ref := lists[p.part][p.k]
		if seen[ref.TraceID] {
			continue
		}
		seen[ref.TraceID] = true
		out = append(out, ref)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out
}

// roundRobin merges lists taking one of each in turn, each id once, up to
// limit (0 for all).
func roundRobin(lists [][]triage.TraceRef, limit int) []triage.TraceRef {
	var out []triage.TraceRef
	seen := map[string]bool{}
	for k := 0; ; k++ {
		more := false
		for _, refs := range lists {
			if k >= len(refs) {
				continue
			}
			more = true
			if id := refs[k].TraceID; !seen[id] {
				seen[id] = true
				out = append(out, refs[k])
			}
			if limit > 0 && len(out) == limit {
				return out
			}
		}
		if !more {
			return out
		}
	}
}

// keep converts the result's whole traces and keeps those that answer q,
// each with its trace, so the engine need not fetch it again.
func keep(res *jaeger.SearchResult, q triage.TraceSearch) []triage.TraceRef {
	out := make([]triage.TraceRef, 0, len(res.Traces))
	for _, s := range res.Traces {
		full, ok := res.Trace(s.TraceID)
		if !ok {
			continue
		}
		ts := ConvertTraces(full.Traces)
		if len(ts) == 0 || !q.Matches(ts[0]) {
			continue
		}
		out = append(out, triage.TraceRef{TraceID: s.TraceID, RootService: s.RootServiceName, RootName: s.RootTraceName,
			Start: s.Start, Duration: s.Duration, Trace: ts[0]})
	}
	return out
}

// describe names the question a search asks, for its note.
func describe(q triage.TraceSearch) string {
	if q.FailingBelow {
		return "failures below " + orAny(q.Service)
	}
	var b strings.Builder
	if q.Status == triage.StatusError {
		b.WriteString("failed ")
	}
	if len(q.Kinds) > 0 {
		kinds := make([]string, len(q.Kinds))
		for i, k := range q.Kinds {
			kinds[i] = k.String()
		}
		b.WriteString(strings.Join(kinds, " or ") + " ")
	}
	b.WriteString("spans of " + orAny(q.Service))
	if q.MinDuration > 0 {
		b.WriteString(" over " + q.MinDuration.String())
	}
	if q.Status == triage.StatusNotError {
		b.WriteString(" that did not fail")
	}
	return b.String()
}

func orAny(svc string) string {
	if svc == "" {
		return "any service"
	}
	return svc
}

// maxJaegerServices bounds the services asked when the scope names none.
const maxJaegerServices = 50

// eachService asks every service Jaeger lists, as Jaeger needs one.
func (j JaegerTraces) eachService(ctx context.Context, q triage.TraceSearch) (triage.TraceHits, error) {
	probe := q
	probe.Service = "*"
	h := triage.TraceHits{Query: j.plan(probe).text()}
	services, err := j.C.Services(ctx)
	if err != nil {
		return h, err
	}
	services = services[:min(len(services), maxJaegerServices)]
	per := make([][]triage.TraceRef, len(services))
	notes := make([]string, len(services))
	errs := make([]error, len(services))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, svc := range services {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			sub := q
			sub.Service = svc
			hs, err := j.search(ctx, sub)
			per[i], notes[i], errs[i] = hs.Refs, hs.Note, err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return h, err
		}
	}
	// Round robin over the services, so the cut keeps every one's hits.
	h.Refs = roundRobin(per, q.Limit)
	h.Note = fmt.Sprintf("%s: Jaeger searches one service at a time, so triage asked each of the %d services it lists", describe(q), len(services))
	if n := firstNonEmpty(notes); n != "" {
		h.Note += "; per service, " + n[strings.Index(n, ": ")+2:]
	}
	return h, nil
}

func firstNonEmpty(ss []string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// messageKeyAttrs identify one message on a producer span and on the
// consumer span that processed it.
var messageKeyAttrs = []string{"messaging.message.id", "messaging.kafka.message.key", "messaging.rabbitmq.destination.routing_key"}

// maxLinkProducers bounds the producer spans of one trace followed.
const maxLinkProducers = 5

// consumerWindow is how long after a message was sent its consumers are
// looked for when the message carries no key.
const consumerWindow = time.Minute

// linked finds the traces linking to q.LinksTo from the consumers' side:
// Jaeger indexes no links, but a consumer span carries its message's topic
// and key as the producer span does.
func (j JaegerTraces) linked(ctx context.Context, q triage.TraceSearch) (triage.TraceHits, error) {
	id := strings.ToLower(q.LinksTo)
	h := triage.TraceHits{Query: "links to " + id}
	tr, err := j.Trace(ctx, id)
	if err != nil {
		return h, err
	}
	var producers []*triage.Span
	for i := range tr.Spans {
		if tr.Spans[i].Kind == triage.KindProducer && len(producers) < maxLinkProducers {
			producers = append(producers, &tr.Spans[i])
		}
	}
	how := "Jaeger cannot search by span link"
	if len(producers) == 0 {
		h.Note = "traces linking to " + id + ": " + how + ", and the trace sent no message, so none were looked for"
		return h, nil
	}
	consumers, err := j.consumerServices(ctx)
	if err != nil {
		return h, err
	}
	seen := map[string]bool{}
	var queries []string
	keyed := true
	for _, p := range producers {
		tags := map[string]string{}
		if v, ok := p.Attr("messaging.destination.name"); ok && v != "" {
			tags["messaging.destination.name"] = v
		}
		key := ""
		for _, k := range messageKeyAttrs {
			if v, ok := p.Attr(k); ok && v != "" {
				tags[k], key = v, k
				break
			}
		}
		start, end := p.Start, q.End
		limit := triage.LinkedTraceLimit
		if key == "" {
			// Without a key the topic alone matches every message: look
			// only just after this one was sent, deeper.
			keyed = false
			end, limit = p.End.Add(consumerWindow), j.scanDepth()
		}
		if end.Before(start) || q.End.IsZero() {
			end = start.Add(consumerWindow)
		}
		for _, svc := range consumers {
			jq := jaeger.Query{Service: svc, Attributes: tags, Start: start, End: end, Limit: limit}
			if len(tags) == 0 {
				jq.Attributes = nil
			}
			queries = append(queries, jaegerPlan{jq: jq}.text())
			res, err := j.C.Search(ctx, jq)
			if err != nil {
				return h, err
			}
			for _, ref := range keep(res, q) {
				if !seen[ref.TraceID] {
					seen[ref.TraceID] = true
					h.Refs = append(h.Refs, ref)
				}
			}
		}
	}
	if len(queries) > 0 {
		h.Query = queries[0]
	}
	if q.Limit > 0 && len(h.Refs) > q.Limit {
		h.Refs = h.Refs[:q.Limit]
	}
	switch {
	case len(consumers) == 0:
		h.Note = "traces linking to " + id + ": " + how + ", and no service Jaeger lists consumes messages"
	case keyed:
		h.Note = fmt.Sprintf("traces linking to %s: %s, so triage searched the consumers (%s) for its messages by topic and key and kept the traces that link to it",
			id, how, strings.Join(consumers, ", "))
	default:
		h.Note = fmt.Sprintf("traces linking to %s: %s, and its messages carry no key, so triage looked through the consumers' (%s) traces of the minute after each was sent",
			id, how, strings.Join(consumers, ", "))
	}
	return h, nil
}

// consumerServices are the services with consumer operations, sorted.
func (j JaegerTraces) consumerServices(ctx context.Context) ([]string, error) {
	services, err := j.C.Services(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, svc := range services {
		ops, err := j.C.Operations(ctx, svc, "")
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(ops, func(o jaeger.Operation) bool { return o.SpanKind == "consumer" }) {
			out = append(out, svc)
		}
	}
	return out, nil
}
