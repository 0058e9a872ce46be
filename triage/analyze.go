package triage

import (
	"slices"
	"strings"
	"time"
)

// AnalysisOptions say how to read a trace.
type AnalysisOptions struct {
	UserAttributes       []string      // keys naming the user; the first key found wins
	UserDetailAttributes []string      // keys describing the user, such as tier and region
	SlowThreshold        time.Duration // a trace that does not fail but takes longer is slow; 0 turns slowness off
}

// Origin is where an error began: an erroring span with no erroring
// descendant, or the lowest erroring span below a failing root.
type Origin struct {
	Service  string   // who to blame: the uninstrumented peer, else Caller
	Caller   string   // the service whose span recorded the error
	Peer     bool     // Service is a peer named by Caller's client span
	SpanName string   // the erroring span
	SpanID   string   //
	Message  string   // its status message
	Fatal    bool     // the error reached the trace's failing root
	Detached bool     // it hangs below a missing parent, so Path skips hops
	Path     []string // services from the root down to Service, repeats collapsed
	span     int32
}

// Row is the origin as the report shows it.
func (o *Origin) Row() *ErrorOrigin {
	e := &ErrorOrigin{Service: o.Caller, SpanName: o.SpanName, Message: o.Message}
	if o.Peer {
		e.Peer = o.Service
	}
	return e
}

// TraceLink is a span link from this trace to a span of another trace.
type TraceLink struct {
	TraceID     string // the linked trace
	SpanID      string // the linked span
	FromSpanID  string // this trace's span that carries the link
	FromService string
	FromKind    SpanKind
	// How the work of the span carrying the link went: it failed, or it
	// did not and took longer than the slow threshold.
	FromFailed, FromSlow bool
	// Single: the link is the only one on its span, so that span's work is
	// the linked message's alone. A batch consumer's span links to many.
	Single bool
}

// MessageWork is how a trace's work on one message went: the spans
// carrying its messaging.message.id, read together. The last of them to
// end says whether it failed, so a retry that worked counts as success.
type MessageWork struct {
	ID     string
	Failed bool
	Slow   bool // not failed, and from its first span's start to its last's end longer than the slow threshold
}

// TraceAnalysis is everything the ranking needs from one trace.
type TraceAnalysis struct {
	TraceID     string
	RootService string
	RootName    string // the root span's name
	Route       string // the root's "METHOD route" when it has http.route, else its name
	Entry       string // "service route": the entry point
	Start       time.Time
	Duration    time.Duration
	Failing     bool // the root span errored
	Slow        bool // not failing, and longer than the slow threshold
	Partial     bool // the source said spans may be missing
	// Skeleton: read from a skeleton search's answer, which carries only
	// the attributes the ranking reads, so what's different leaves it out
	// of the incident side.
	Skeleton bool
	// Compared: a skeleton carrying the keys what's different compares
	// (Trace.Compared), so it is not left out.
	Compared    bool
	RootMessage string

	Origins     []Origin // fatal origins first, then tolerated ones
	Path        []string // the first fatal origin's path: services root → culprit
	Propagating []string // services between the entry and the fatal origins

	CriticalPath []PathSpan    // for traces longer than the slow threshold, by start
	SelfTime     []ServiceTime // critical-path time by service, longest first

	User      string // "" when no user attribute was found
	UserAttrs Attrs  // the detail attributes found

	Links        []TraceLink   // links to other traces
	LinksDropped int           // links past maxLinks, not kept
	Messages     []MessageWork // per message id, by id; read only for a trace with links
	LinkedFrom   []string      // traces linking here, set by JoinLinked
	Upstream     []LinkedTrace // analysed spans this one links to, set by JoinLinked

	Anomalies TreeAnomalies
	tree      *Tree
	root      int32
}

// Tree is the span tree the analysis was made from, nil for an empty trace.
func (a *TraceAnalysis) Tree() *Tree { return a.tree }

// Culprit is the first fatal origin, nil when the trace did not fail.
func (a *TraceAnalysis) Culprit() *Origin {
	if len(a.Origins) > 0 && a.Origins[0].Fatal {
		return &a.Origins[0]
	}
	return nil
}

// Row is the trace as the report lists it.
func (a *TraceAnalysis) Row() TraceRow {
	r := TraceRow{
		TraceID: a.TraceID, RootService: a.RootService, RootName: a.RootName,
		DurationMS: float64(a.Duration) / float64(time.Millisecond), Start: a.Start,
		Failing: a.Failing, Slow: a.Slow, User: a.User,
	}
	if r.User == "" {
		r.User = a.LinkedUser()
	}
	if o := a.Culprit(); o != nil {
		r.ErrorOrigin = o.Row()
	}
	return r
}

// maxLinks bounds the links kept per trace against malformed data: a batch
// consumer's span links to each of its messages, and every one of them is
// a request whose user the batch's failure may reach.
const maxLinks = 4096

// AnalyzeTrace builds t's span tree and reads its root, error origins and
// paths, critical path, user and links.
func AnalyzeTrace(t *Trace, opts AnalysisOptions) TraceAnalysis {
	a := TraceAnalysis{TraceID: t.ID, Partial: t.Partial, Skeleton: t.Skeleton, Compared: t.Compared}
	if len(t.Spans) == 0 {
		return a
	}
	tr := BuildTree(t)
	a.tree, a.Anomalies = tr, tr.anomalies
	root := int32(tr.Root())
	if root < 0 {
		return a
	}
	a.root = root
	rs := &t.Spans[root]
	a.RootService, a.RootName, a.RootMessage = rs.Service(), rs.Name, rs.StatusMessage
	a.Route = routeOf(rs)
	a.Entry = a.RootService + " " + a.Route
	a.Start = rs.Start
	a.Duration = time.Duration(tr.end[root] - tr.start[root])
	a.Failing = rs.Error
	a.Slow = !a.Failing && opts.SlowThreshold > 0 && a.Duration > opts.SlowThreshold

	for i := range t.Spans {
		if t.Spans[i].Error && !tr.Dropped(i) {
			a.findOrigins(tr)
			break
		}
	}
	if opts.SlowThreshold > 0 && a.Duration > opts.SlowThreshold {
		a.CriticalPath = tr.CriticalPath(int(root))
		a.SelfTime = selfTimeByService(a.CriticalPath)
	}
	a.readUser(tr, opts)
	a.readLinks(tr, opts)
	if len(a.Links) > 0 {
		a.readMessages(tr, opts)
	}
	return a
}

// blame names who span i's time or error belongs to: for a client or
// producer span with no server span under it, the uninstrumented peer it
// called (peer.service, then server.address, then db.system); else the
// span's own service.
func blame(tr *Tree, i int32) (string, bool) {
	s := &tr.spans[i]
	if s.Kind != KindClient && s.Kind != KindProducer {
		return s.Service(), false
	}
	for _, c := range tr.Children(int(i)) {
		if tr.parent[c] == i && (tr.spans[c].Kind == KindServer || tr.spans[c].Kind == KindConsumer) {
			return s.Service(), false
		}
	}
	for _, k := range peerKeys {
		if v, ok := s.Attrs.Get(k); ok && v != "" {
			return v, true
		}
	}
	return s.Service(), false
}

// findOrigins reads the error origins. The fatal ones are the lowest spans
// of the erroring component hanging from the failing root; the others are
// errors some caller tolerated.
func (a *TraceAnalysis) findOrigins(tr *Tree) {
	n := len(tr.spans)
	flags := make([]uint8, n)
	const errBelow, inComp, compLeaf = 1, 2, 4
	order := tr.order
	for k := len(order) - 1; k >= 0; k-- {
		i := order[k]
		if p := tr.parent[i]; p >= 0 && (tr.spans[i].Error || flags[i]&errBelow != 0) {
			flags[p] |= errBelow
		}
	}
	// The erroring components hanging from each root, top down.
	detached := false
	for _, i := range order {
		s := &tr.spans[i]
		if !s.Error {
			continue
		}
		p := tr.parent[i]
		if p < 0 || flags[p]&inComp != 0 {
			flags[i] |= inComp | compLeaf
			if p >= 0 {
				flags[p] &^= compLeaf
			} else if i != a.root {
				detached = true
			}
		}
	}
	rootOnly := true
	if a.Failing {
		for _, i := range order {
			if flags[i]&compLeaf != 0 && i != a.root && a.attached(tr, i) {
				rootOnly = false
				break
			}
		}
	}
	for _, i := range order {
		f := flags[i]
		s := &tr.spans[i]
		fatal := false
		switch {
		case !a.Failing || f&compLeaf == 0:
		case a.attached(tr, i):
			// A root failing on its own is its own origin, unless the
			// errors below it are cut off by a missing parent.
			fatal = i != a.root || !detached || !rootOnly
		default:
			fatal = rootOnly && tr.spans[tr.topOf(i)].Error
		}
		if !fatal && (!s.Error || f&errBelow != 0 || a.Failing && i == a.root) {
			continue
		}
		a.Origins = append(a.Origins, a.origin(tr, i, fatal))
	}
	a.preferNamedInRootMessage()
	slices.SortStableFunc(a.Origins, func(x, y Origin) int {
		switch {
		case x.Fatal == y.Fatal:
			return 0
		case x.Fatal:
			return -1
		}
		return 1
	})
	if o := a.Culprit(); o != nil {
		a.Path = o.Path
	}
	a.Propagating = propagating(a.Origins)
}

// attached reports whether span i hangs below the trace's root.
func (a *TraceAnalysis) attached(tr *Tree, i int32) bool { return tr.topOf(i) == a.root }

// topOf is the root of the tree span i is in.
func (tr *Tree) topOf(i int32) int32 {
	for steps := 0; tr.parent[i] >= 0 && steps < len(tr.parent); steps++ {
		i = tr.parent[i]
	}
	return i
}

func (a *TraceAnalysis) origin(tr *Tree, i int32, fatal bool) Origin {
	s := &tr.spans[i]
	name, peer := blame(tr, i)
	o := Origin{
		Service: name, Caller: s.Service(), Peer: peer, SpanName: s.Name, SpanID: s.SpanID,
		Message: s.StatusMessage, Fatal: fatal, span: i,
	}
	top := tr.topOf(i)
	o.Detached = top != a.root
	var path []string
	for j, steps := i, 0; j >= 0 && steps <= len(tr.parent); j, steps = tr.parent[j], steps+1 {
		if svc := tr.spans[j].Service(); len(path) == 0 || path[len(path)-1] != svc {
			path = append(path, svc)
		}
	}
	if o.Detached && (len(path) == 0 || path[len(path)-1] != a.RootService) {
		path = append(path, a.RootService)
	}
	slices.Reverse(path)
	if peer && path[len(path)-1] != name {
		path = append(path, name)
	}
	o.Path = path
	return o
}

// preferNamedInRootMessage: when several fatal origins remain, those whose
// message the root's message repeats (wrapped errors do) explain the
// failure; the others were errors the request survived until it failed.
func (a *TraceAnalysis) preferNamedInRootMessage() {
	fatal, named := 0, 0
	for k := range a.Origins {
		if o := &a.Origins[k]; o.Fatal {
			fatal++
			if o.named(a.RootMessage) {
				named++
			}
		}
	}
	if fatal < 2 || named == 0 || named == fatal {
		return
	}
	for k := range a.Origins {
		if o := &a.Origins[k]; o.Fatal && !o.named(a.RootMessage) {
			o.Fatal = false
		}
	}
}

func (o *Origin) named(msg string) bool {
	return o.Message != "" && msg != "" && strings.Contains(msg, o.Message)
}

// propagating lists the services on fatal paths between the entry and the
// culprit, nearest the entry first.
func propagating(origins []Origin) []string {
	var out []string
	for k := range origins {
		o := &origins[k]
		if !o.Fatal || len(o.Path) < 3 {
			continue
		}
		for _, s := range o.Path[1 : len(o.Path)-1] {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}
