package waterfall

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/triagectl/triage/themes"
	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/tuitest"
)

// spanBytes is the size of one span in a fuzz input: parent, start, length,
// flags, and one rune of its name.
const spanBytes = 5

// decodeTrace reads a trace from fuzz bytes. A parent byte of 0 makes a
// root, past the last span a missing parent, else a span's index (itself
// or a later span included, so cycles come up).
func decodeTrace(data []byte) *triage.Trace {
	const id = "f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0"
	n := min(len(data)/spanBytes, 400)
	base := tuitest.Now.Add(-time.Minute)
	sid := func(i int) string { return fmt.Sprintf("%016x", i+1) }
	res := []*triage.Resource{{Service: "api"}, {Service: "db\x1b[2J"}, nil}
	t := &triage.Trace{ID: id, Spans: make([]triage.Span, n)}
	for i := range n {
		b := data[i*spanBytes : (i+1)*spanBytes]
		s := &t.Spans[i]
		s.TraceID, s.SpanID = id, sid(i)
		switch p := int(b[0]) % (n + 2); {
		case p == n+1:
			s.ParentID = "missing"
		case p > 0:
			s.ParentID = sid(p - 1)
		}
		s.Start = base.Add(time.Duration(int8(b[1])) * 10 * time.Millisecond)
		s.End = s.Start.Add(time.Duration(int8(b[2])) * time.Millisecond)
		s.Error = b[3]&1 != 0
		if b[3]&2 != 0 && i > 0 {
			s.SpanID = sid(i - 1)
		}
		if b[3]&4 != 0 {
			s.Links = []triage.Link{{TraceID: id, SpanID: sid(int(b[4]) % n)}, {TraceID: "other", SpanID: "x"}}
		}
		s.Resource = res[int(b[3]>>3)%len(res)]
		s.Name = "op" + string(rune(b[4]))
		s.Attrs = triage.Attrs{{Key: string(rune(b[4])), Value: string(b)}}
	}
	return t
}

// encodeTrace is decodeTrace's inverse, near enough for a seed: times are
// scaled to the byte's range, so the waterfall keeps its shape.
func encodeTrace(t *triage.Trace) []byte {
	index := map[string]int{}
	t0, t1 := t.Spans[0].Start, t.Spans[0].End
	for i := range t.Spans {
		index[t.Spans[i].SpanID] = i
		if t.Spans[i].Start.Before(t0) {
			t0 = t.Spans[i].Start
		}
		if t.Spans[i].End.After(t1) {
			t1 = t.Spans[i].End
		}
	}
	unit := max(t1.Sub(t0)/127, 1)
	var out []byte
	for i := range t.Spans {
		s := &t.Spans[i]
		p := byte(0)
		if k, ok := index[s.ParentID]; ok {
			p = byte(k + 1)
		}
		var flags byte
		if s.Error {
			flags = 1
		}
		out = append(out, p, byte(s.Start.Sub(t0)/unit), byte(s.Duration()/unit), flags, s.Name[0])
	}
	return out
}

// seedPath is the fuzz seed made of the fixture's first failing trace;
// `go test -run TestFuzzSeed -update` rewrites it. Keeping it on disk
// spares every fuzz worker the simulated investigation.
const seedFile = "testdata/fuzz/FuzzPage/fixture_first_failing_trace"

func TestFuzzSeed(t *testing.T) {
	seedPath := filepath.FromSlash(seedFile)
	d := tuitest.Fixture(t)
	tr, err := d.Sources().Traces.Trace(context.Background(), d.Report.Traces[0].TraceID)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n[]byte(%q)\nuint8(80)\nuint8(24)\n", encodeTrace(tr), "jjj kgG\tl/p\rh")
	if u := flag.Lookup("update"); u != nil && u.Value.String() == "true" {
		if err := os.MkdirAll(filepath.Dir(seedPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(seedPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(seedPath)
	if err != nil || string(got) != want {
		t.Fatalf("the fuzz seed is missing or stale (%v): run with -update", err)
	}
	if n := len(decodeTrace(encodeTrace(tr)).Spans); n != len(tr.Spans) {
		t.Fatalf("the seed decodes to %d spans, want %d", n, len(tr.Spans))
	}
}

func FuzzPage(f *testing.F) {
	f.Add([]byte{0, 0, 100, 1, 'r', 1, 1, 50, 1, 'a', 2, 2, 20, 1, 'b', 1, 3, 10, 0, 'c'}, []byte("\t\tG\tjjjjt"), uint8(120), uint8(40))
	f.Add([]byte{1, 0, 5, 1, 'a', 0, 0, 9, 0, 'b', 3, 0, 1, 2, 'c', 2, 0, 3, 4, 'd'}, []byte("gj jt/x"), uint8(40), uint8(10))
	f.Fuzz(func(t *testing.T, spans, presses []byte, w, h uint8) { runFuzzBody(t, spans, presses, w, h) })
}

func runFuzzBody(t *testing.T, spans, presses []byte, w, h uint8) {
	keys := []tea.KeyPressMsg{
		tuitest.Press("j"), tuitest.Press("k"), tuitest.Press("space"), tuitest.Press("left"), tuitest.Press("right"),
		tuitest.Press("g"), tuitest.Press("G"), tuitest.Press("tab"), {Code: tea.KeyPgDown}, {Code: tea.KeyPgUp},
		tuitest.Press("t"), tuitest.Press("/"), tuitest.Press("p"), tuitest.Press("enter"), tuitest.Press("esc"),
		tuitest.Press("backspace"), tuitest.Press("y"),
	}
	sgr := regexp.MustCompile("\x1b\\[[0-9;:]*m")
	{
		w, h = w%220+1, h%70+1
		c := tui.NewCommon(context.Background(), themes.Dark(), tui.Data{Options: triage.DefaultOptions()})
		c.Width, c.Height = int(w), int(h)
		tr := decodeTrace(spans)
		p := New(c, tui.IncidentRef{}, tr.ID)(context.Background()).(*page)
		p.SetSize(int(w), int(h))
		p.loaded(loadResult{d: newTraceData(tr, c.Data.Options)})
		for k := range min(len(presses), 24) {
			p.Update(keys[int(presses[k])%len(keys)])
			view := p.View()
			if rows := strings.Count(view, "\n") + 1; rows != int(h) {
				t.Fatalf("%d rows, want %d", rows, h)
			}
			for _, l := range strings.Split(view, "\n") {
				if ansi.StringWidth(l) > int(w) {
					t.Fatalf("row wider than %d: %q", w, l)
				}
			}
			if strings.ContainsAny(sgr.ReplaceAllString(view, ""), "\x1b\x07\u009b") {
				t.Fatalf("a control reached the view: %q", view)
			}
		}
	}
}
