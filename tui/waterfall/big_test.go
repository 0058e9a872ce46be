package waterfall_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/tuitest"
	"github.com/triagectl/triage/tui/waterfall"
)

const bigID = "5000aaaa5000bbbb5000cccc5000dddd"

// bigTrace generates n spans as a broken real trace would arrive: a deep
// chain, a wide random fan-out, spans whose parent is missing, parent
// cycles, a repeated span id, errors, events and links.
func bigTrace(n int) *triage.Trace {
	r := rand.New(rand.NewPCG(1, 2))
	base := tuitest.Now.Add(-time.Minute)
	id := func(i int) string { return fmt.Sprintf("%016x", i+1) }
	res := make([]*triage.Resource, 12)
	for k := range res {
		res[k] = &triage.Resource{Service: fmt.Sprintf("svc-%d", k), Attrs: triage.Attrs{{Key: "k8s.pod.name", Value: fmt.Sprintf("pod-%d", k)}}}
	}
	spans := make([]triage.Span, n)
	for i := range spans {
		s := &spans[i]
		s.TraceID, s.SpanID, s.Resource = bigID, id(i), res[i%len(res)]
		s.Name = fmt.Sprintf("op-%d", i)
		s.Kind = triage.SpanKind(1 + i%5)
		switch {
		case i == 0:
		case i%97 == 0:
			s.ParentID = "ffff" + id(i) // not in the trace
		case i < 300:
			s.ParentID = id(i - 1) // a chain 300 deep
		default:
			s.ParentID = id(r.IntN(i))
		}
		start := base.Add(time.Duration(r.IntN(int(time.Second))))
		s.Start, s.End = start, start.Add(time.Duration(r.IntN(int(200*time.Millisecond))))
		s.Error = r.IntN(25) == 0
		if s.Error {
			s.StatusMessage = "failed: " + s.Name
			s.Events = []triage.Event{{Time: start, Name: "exception", Attrs: triage.Attrs{{Key: "exception.message", Value: "boom"}}}}
		}
		s.Attrs = triage.Attrs{{Key: "http.route", Value: "/r/" + s.Name}}
	}
	spans[0].Start, spans[0].End = base, base.Add(2*time.Second)
	// Parent cycles: pairs and a triangle at the end.
	for i := n - 10; i+1 < n-3; i += 2 {
		spans[i].ParentID, spans[i+1].ParentID = spans[i+1].SpanID, spans[i].SpanID
	}
	spans[n-3].ParentID, spans[n-2].ParentID, spans[n-1].ParentID = spans[n-1].SpanID, spans[n-3].SpanID, spans[n-2].SpanID
	spans[n-20].SpanID = spans[5].SpanID // a duplicate delivery
	spans[7].Links = []triage.Link{{TraceID: "0af7651916cd43dd8448eb211c80319c", SpanID: "b7ad6b7169203331"}}
	return &triage.Trace{ID: bigID, Spans: spans}
}

func openBig(t testing.TB, w, h int) *tui.App {
	t.Helper()
	c := tuitest.Common(t, w, h)
	c.Data.Sources.Traces = &traceSource{traces: map[string]*triage.Trace{bigID: bigTrace(5000)}}
	a := tui.NewApp(c, waterfall.New(c, tui.IncidentRef{}, bigID))
	tuitest.Run(a, a.Init())
	return a
}

func TestBigBrokenTrace(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {120, 40}, {200, 60}} {
		a := openBig(t, sz[0], sz[1])
		v := stripped(a)
		if !strings.Contains(v, "5000 spans") {
			t.Fatalf("%v: no span count:\n%s", sz, v)
		}
		if !strings.Contains(v, "⚠ repaired") {
			t.Errorf("%v: the repaired tree is not flagged:\n%s", sz, v)
		}
		for _, keys := range [][]string{nil, {"G"}, {"g"}, {"pgdown", "pgdown", "space", "pgup"}, {"left", "left", "right"},
			{"tab", "j", "G", "tab"}, {"/", "s", "v", "c", "-", "3", "enter"}, {"G", "space", "k", "space"}, {"esc"}} {
			press(t, a, keys...)
			tuitest.CheckSize(t, content(a), sz[0], sz[1])
		}
	}
}

// TestDeepChainGuides: a span 299 levels deep keeps its name on screen:
// the guides of the upper levels fold into "…".
func TestDeepChainGuides(t *testing.T) {
	a := openBig(t, 120, 40)
	press(t, a, "/", "o", "p", "-", "2", "9", "9", "enter", "g")
	for range 400 {
		if row := lineWith(stripped(a), "▸"); strings.Contains(row, "op-299 ") {
			if !strings.Contains(row, "… ") || !strings.Contains(row, "└─▾ op-299 ") {
				t.Fatalf("the deep span's row lost its guides or its depth marker: %q", row)
			}
			return
		}
		press(t, a, "j")
	}
	t.Fatalf("op-299 is not in the filtered rows:\n%s", stripped(a))
}

// BenchmarkView draws the 5,000-span waterfall: only the rows in view are
// drawn, so it costs the same as a small trace.
func BenchmarkView(b *testing.B) {
	for _, sz := range [][2]int{{80, 24}, {200, 60}} {
		b.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(b *testing.B) {
			a := openBig(b, sz[0], sz[1])
			p := a.Top()
			b.ReportAllocs()
			for b.Loop() {
				_ = p.View()
			}
		})
	}
}

// BenchmarkAppView is the whole frame: the shell's breadcrumbs and footer
// around the page.
func BenchmarkAppView(b *testing.B) {
	a := openBig(b, 120, 40)
	b.ReportAllocs()
	for b.Loop() {
		_ = a.View()
	}
}

// BenchmarkKey is the cost of one key press on the 5,000-span waterfall.
func BenchmarkKey(b *testing.B) {
	for _, k := range []string{"j", "space"} {
		b.Run(k, func(b *testing.B) {
			a := openBig(b, 120, 40)
			p := a.Top()
			down, up := tuitest.Press(k), tuitest.Press("k")
			if k == "space" {
				up = down // fold and unfold the root
				p.Update(tuitest.Press("g"))
			}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if n++; n%2 == 0 {
					p.Update(up)
				} else {
					p.Update(down)
				}
			}
		})
	}
}
