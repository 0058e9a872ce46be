package waterfall_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/triagectl/triage/internal/simsource"
	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/tuitest"
	"github.com/triagectl/triage/tui/waterfall"
)

// traceSource serves fixed traces, or fails each fetch with the next of
// errs while there are some left.
type traceSource struct {
	traces map[string]*triage.Trace
	errs   []error
	calls  int
}

func (s *traceSource) Search(context.Context, triage.TraceSearch) (triage.TraceHits, error) {
	return triage.TraceHits{}, nil
}

func (s *traceSource) Trace(_ context.Context, id string) (*triage.Trace, error) {
	s.calls++
	if len(s.errs) > 0 {
		err := s.errs[0]
		s.errs = s.errs[1:]
		return nil, err
	}
	t, ok := s.traces[id]
	if !ok {
		return nil, simsource.NotFound(id)
	}
	return t, nil
}

// commonWith is a Common whose trace source is src (nil: unconfigured).
func commonWith(t *testing.T, w, h int, src triage.TracesSource) *tui.Common {
	c := tuitest.Common(t, w, h)
	c.Data.Sources.Traces = src
	return c
}

func TestStates(t *testing.T) {
	const id = "0af7651916cd43dd8448eb211c80319c"
	for _, tc := range []struct {
		name string
		src  triage.TracesSource
		want string
	}{
		{"not found", &traceSource{}, "trace not found in tempo"},
		{"failed", &traceSource{errs: []error{simsource.Err("timeout", "context deadline exceeded after 10s")}},
			"unknown — tempo: context deadline exceeded after 10s"},
		{"refused", &traceSource{errs: []error{simsource.Err("unreachable", "dial tcp 127.0.0.1:3200: connection refused")}},
			"unknown — tempo: dial tcp 127.0.0.1:3200: connection refused"},
		{"untyped error", &traceSource{errs: []error{errors.New("boom")}}, "unknown — tempo: boom"},
		{"deadline", &traceSource{errs: []error{context.DeadlineExceeded}}, "unknown — tempo: context deadline exceeded after 30s"},
		{"no spans", &traceSource{traces: map[string]*triage.Trace{id: {ID: id}}}, "trace has no spans in tempo"},
		{"unconfigured", nil, "unknown — tempo: not configured"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := commonWith(t, 80, 24, tc.src)
			a := open(t, c, tui.IncidentRef{}, id)
			v := stripped(a)
			if !strings.Contains(v, tc.want) {
				t.Fatalf("want %q in\n%s", tc.want, v)
			}
			tuitest.CheckSize(t, content(a), 80, 24)
			for _, k := range []string{"j", "space", "enter", "tab", "/", "x", "enter", "t", "G"} {
				press(t, a, k) // keys on an empty page do nothing, and never panic
			}
			if _, text, ok := a.Top().(tui.Copier).CopyTarget(); !ok || text != id {
				t.Errorf("y copies %q, want the trace id", text)
			}
		})
	}
	t.Run("golden", func(t *testing.T) {
		c := commonWith(t, 80, 24, &traceSource{errs: []error{simsource.Err("timeout", "context deadline exceeded after 10s")}})
		tuitest.Golden(t, "trace_80x24_failed", content(open(t, c, tui.IncidentRef{}, id)))
	})
}

func TestRefetchAfterFailure(t *testing.T) {
	d, id := firstTrace(t)
	src := &traceSource{errs: []error{simsource.Err("server", "500 Internal Server Error")}}
	tr, err := d.Sources().Traces.Trace(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	src.traces = map[string]*triage.Trace{id: tr}
	a := open(t, commonWith(t, 80, 24, src), ref(d), id)
	if !strings.Contains(stripped(a), "unknown — tempo: 500 Internal Server Error") {
		t.Fatalf("failed fetch not shown:\n%s", stripped(a))
	}
	press(t, a, "r")
	if src.calls != 2 || !strings.Contains(stripped(a), "SELECT accounts") {
		t.Fatalf("r did not refetch (%d calls):\n%s", src.calls, stripped(a))
	}
}

func TestEnterOpensLogsAtSpan(t *testing.T) {
	d, id := firstTrace(t)
	c := tuitest.Common(t, 80, 24)
	calls := recordNav(c)
	a := open(t, c, ref(d), id)
	press(t, a, "enter")
	if len(*calls) != 1 {
		t.Fatalf("enter made %d drill-downs, want 1", len(*calls))
	}
	got := (*calls)[0]
	origin := d.Report.Traces[0].ErrorOrigin
	if got.kind != "logs" || got.traceID != id || got.trace == nil || got.trace.ID != id {
		t.Fatalf("enter: got %+v, want the logs of trace %s with the fetched trace", got, id)
	}
	// The cursor starts on the culprit, so its logs are one key away.
	if sp := spanByID(got.trace, got.spanID); sp == nil || sp.Name != origin.SpanName {
		t.Fatalf("enter opened span %q, want the origin %q", got.spanID, origin.SpanName)
	}
	if a.Depth() != 2 || a.Top().Title() != "logs" {
		t.Fatalf("the logs page was not pushed: depth %d, top %q", a.Depth(), a.Top().Title())
	}
	press(t, a, "esc", "g", "enter")
	if len(*calls) != 2 {
		t.Fatalf("after esc, g, enter: %d drill-downs, want 2", len(*calls))
	}
	if got := (*calls)[1]; spanByID(got.trace, got.spanID) == nil || spanByID(got.trace, got.spanID).ParentID != "" {
		t.Fatalf("after g, enter should open the root's logs; got span %q", got.spanID)
	}
}

func TestNoLogsNav(t *testing.T) {
	d, id := firstTrace(t)
	a := open(t, tuitest.Common(t, 80, 24), ref(d), id)
	press(t, a, "enter")
	if a.Depth() != 1 || !strings.Contains(stripped(a), "logs are not available here") {
		t.Fatalf("enter without a logs page: want a status message, got depth %d:\n%s", a.Depth(), stripped(a))
	}
}

func spanByID(t *triage.Trace, id string) *triage.Span {
	for i := range t.Spans {
		if t.Spans[i].SpanID == id {
			return &t.Spans[i]
		}
	}
	return nil
}

func TestCopyTarget(t *testing.T) {
	d, id := firstTrace(t)
	a := open(t, tuitest.Common(t, 120, 40), ref(d), id)
	cp := a.Top().(tui.Copier)
	if label, text, ok := cp.CopyTarget(); !ok || text != id || label != "trace id" {
		t.Fatalf("y copies %s %q, want the trace id", label, text)
	}
	press(t, a, "tab")
	want := d.Report.Traces[0].ErrorOrigin.SpanName
	label, text, ok := cp.CopyTarget()
	if !ok || label != "span id" || !strings.Contains(stripped(a), "span "+text) {
		t.Fatalf("with the details focused y copies %s %q, want the span id of %s", label, text, want)
	}
}

func TestFilter(t *testing.T) {
	d, id := firstTrace(t)
	c := tuitest.Common(t, 120, 40)
	a := tui.NewApp(c, stub("incidents"))
	tuitest.Run(a, tui.Push(waterfall.New(c, ref(d), id)))
	press(t, a, "/", "l", "e", "d", "g", "j", "q")
	f := a.Top().(tui.Filterer)
	if !f.Filtering() || a.Depth() != 2 || !strings.Contains(stripped(a), "/ledgjq") {
		t.Fatalf("the filter prompt must take j and q as text:\n%s", stripped(a))
	}
	press(t, a, "backspace", "backspace", "backspace", "esc")
	if f.Filtering() || strings.Contains(stripped(a), "/led") {
		t.Fatalf("esc in the prompt clears the filter:\n%s", stripped(a))
	}
	press(t, a, "/", "p", "a", "y", "enter")
	rows := spanRows(stripped(a))
	// payments' two spans, and their ancestors up to the root.
	if len(rows) != 6 || !strings.Contains(stripped(a), "6/14 spans") {
		t.Fatalf("filter pay: want 6 rows, got %d:\n%s", len(rows), stripped(a))
	}
	for _, r := range rows {
		if strings.Contains(r, "auth") || strings.Contains(r, "cart") {
			t.Errorf("filtered row outside the payments paths: %q", r)
		}
	}
	press(t, a, "esc")
	if a.Depth() != 2 || len(spanRows(stripped(a))) != 14 {
		t.Fatalf("esc clears the filter before it goes back: depth %d, %d rows:\n%s", a.Depth(), len(spanRows(stripped(a))), stripped(a))
	}
	press(t, a, "/", "n", "o", "p", "e", "enter")
	if !strings.Contains(stripped(a), "no span matches nope") {
		t.Fatalf("no match: want a message:\n%s", stripped(a))
	}
	press(t, a, "esc", "esc")
	if a.Depth() != 1 {
		t.Fatalf("second esc goes back: depth %d", a.Depth())
	}
}

func TestSizes(t *testing.T) {
	d, id := firstTrace(t)
	for _, sz := range [][2]int{{80, 24}, {120, 40}, {200, 60}, {40, 10}, {20, 5}} {
		c := tuitest.Common(t, sz[0], sz[1])
		a := open(t, c, ref(d), id)
		for _, keys := range [][]string{nil, {"tab"}, {"tab"}, {"/", "p", "enter"}, {"g", "space"}} {
			press(t, a, keys...)
			tuitest.CheckSize(t, content(a), sz[0], sz[1])
			pw, ph := sz[0], max(sz[1]-2, 1)
			tuitest.CheckSize(t, a.Top().View(), pw, ph)
			if n := strings.Count(a.Top().View(), "\n") + 1; n != ph {
				t.Errorf("%dx%d: the page drew %d rows, want exactly %d", sz[0], sz[1], n, ph)
			}
		}
	}
}

func (*traceSource) Name() string { return triage.SourceTempo }
