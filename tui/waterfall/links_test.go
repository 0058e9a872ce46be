package waterfall_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/tuitest"
	"github.com/triagectl/triage/tui/waterfall"
)

const (
	consumerID = "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0"
	producerID = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
	otherID    = "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"
)

// linkedTrace is a consumer whose spans link out: one to the producer's
// trace, one to two traces, one to a span of its own trace.
func linkedTrace() *triage.Trace {
	base := tuitest.Now.Add(-time.Minute)
	res := &triage.Resource{Service: "worker"}
	span := func(id, parent, name string, links ...triage.Link) triage.Span {
		return triage.Span{TraceID: consumerID, SpanID: id, ParentID: parent, Name: name, Kind: triage.KindConsumer,
			Start: base, End: base.Add(time.Second), Resource: res, Links: links}
	}
	return &triage.Trace{ID: consumerID, Spans: []triage.Span{
		span("0000000000000001", "", "process batch"),
		span("0000000000000002", "0000000000000001", "one link", triage.Link{TraceID: producerID, SpanID: "00000000000000f1"}),
		span("0000000000000003", "0000000000000001", "two links",
			triage.Link{TraceID: producerID, SpanID: "00000000000000f1", Attrs: triage.Attrs{{Key: "messaging.batch.message_count", Value: "2"}}},
			triage.Link{TraceID: otherID, SpanID: "00000000000000f2"}),
		span("0000000000000004", "0000000000000001", "self link", triage.Link{TraceID: consumerID, SpanID: "0000000000000006"}),
		span("0000000000000005", "0000000000000001", "folded"),
		span("0000000000000006", "0000000000000005", "hidden target"),
	}}
}

func openLinked(t *testing.T) (*tui.App, *[]navCall) {
	t.Helper()
	c := tuitest.Common(t, 120, 40)
	c.Data.Sources.Traces = &traceSource{traces: map[string]*triage.Trace{consumerID: linkedTrace()}}
	calls := recordNav(c)
	a := tui.NewApp(c, waterfall.New(c, tui.IncidentRef{}, consumerID))
	tuitest.Run(a, a.Init())
	return a, calls
}

func TestLinks(t *testing.T) {
	t.Run("one link opens the linked trace", func(t *testing.T) {
		a, calls := openLinked(t)
		press(t, a, "g", "j")
		if !strings.Contains(stripped(a), "LINKS (1) · t opens") {
			t.Fatalf("the details do not list the link and its key:\n%s", stripped(a))
		}
		press(t, a, "t")
		if len(*calls) != 1 || (*calls)[0].kind != "trace" || (*calls)[0].traceID != producerID || a.Depth() != 2 {
			t.Fatalf("t: got %+v at depth %d, want the producer's trace pushed", *calls, a.Depth())
		}
	})
	t.Run("several links are listed", func(t *testing.T) {
		a, calls := openLinked(t)
		press(t, a, "g", "j", "j", "t")
		v := stripped(a)
		if a.Depth() != 2 || !strings.Contains(v, producerID) || !strings.Contains(v, otherID) || !strings.Contains(v, "messaging.batch.message_count=2") {
			t.Fatalf("t on a span with two links: want them listed:\n%s", v)
		}
		if _, text, ok := a.Top().(tui.Copier).CopyTarget(); !ok || text != producerID {
			t.Errorf("y on the links list copies %q, want the linked trace id", text)
		}
		press(t, a, "j", "enter")
		if len(*calls) != 1 || (*calls)[0].traceID != otherID || a.Depth() != 3 {
			t.Fatalf("enter on the second link: got %+v at depth %d", *calls, a.Depth())
		}
	})
	t.Run("a link into this trace moves the cursor", func(t *testing.T) {
		a, calls := openLinked(t)
		press(t, a, "G", "k", "space", "k")
		if strings.Contains(stripped(a), "hidden target") {
			t.Fatalf("the target is not folded away:\n%s", stripped(a))
		}
		press(t, a, "t")
		if len(*calls) != 0 || a.Depth() != 1 {
			t.Fatalf("a link into this trace pushed a page: %+v", *calls)
		}
		if row := lineWith(stripped(a), "▸"); !strings.Contains(row, "hidden target") {
			t.Fatalf("the cursor is not on the linked span, unfolded: %q", row)
		}
	})
	t.Run("no links", func(t *testing.T) {
		a, calls := openLinked(t)
		press(t, a, "G", "k", "t")
		if len(*calls) != 0 || !strings.Contains(stripped(a), "this span has no links") {
			t.Fatalf("t without links: want a status message:\n%s", stripped(a))
		}
	})
	t.Run("help documents the key", func(t *testing.T) {
		a, _ := openLinked(t)
		press(t, a, "?")
		if !strings.Contains(stripped(a), "linked trace") {
			t.Fatalf("help does not list the linked trace key:\n%s", stripped(a))
		}
	})
}

// `o` on the waterfall gives the trace's Explore link when Grafana and its
// Tempo datasource are configured, and nothing otherwise.
func TestTraceExploreLink(t *testing.T) {
	c := tuitest.Common(t, 120, 40)
	d := tuitest.Fixture(t)
	id := d.Report.Traces[0].TraceID
	p := waterfall.New(c, tui.IncidentRef{Alert: d.Alert, Report: d.Report}, id)(context.Background())
	l, ok := p.(tui.Linker)
	if !ok {
		t.Fatal("the trace page offers no link")
	}
	if _, ok := l.ExploreLink(); ok {
		t.Error("a link without Grafana")
	}
	c.Grafana = tui.Grafana{URL: "https://grafana.example", Datasources: map[string]string{"tempo": "T1"}}
	link, ok := l.ExploreLink()
	if !ok || !strings.Contains(link, id) || !strings.Contains(link, "T1") {
		t.Errorf("link %q", link)
	}
}
