package waterfall_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/tuitest"
	"github.com/triagectl/triage/tui/waterfall"
)

// corpus is what a hostile or broken service can put in its spans:
// clipboard writes, title changes, screen clears, C1 controls, bidi
// overrides, and line breaks that would forge rows.
func corpus() []string {
	return []string{
		"\x1b]52;c;ZXZpbA==\x07", "\x1b]0;pwned\x07", "\x1b[2J\x1b[H", "\u009b31m", "\u202eevil",
		"two\nlines", "tab\there", "\x1bP+q\x1b\\", "\u2066iso\u2069", "wide 漢字漢字漢字漢字漢字漢字漢字漢字",
	}
}

const evilID = "e11e11e11e11e11e11e11e11e11e11e1"

func evilTrace() *triage.Trace {
	base := tuitest.Now.Add(-time.Minute)
	attrs := func() triage.Attrs {
		var a triage.Attrs
		for _, c := range corpus() {
			a = append(a, triage.Attr{Key: "k" + c, Value: "v" + c})
		}
		return a
	}
	var spans []triage.Span
	for k, c := range corpus() {
		res := &triage.Resource{Service: "svc" + c, Attrs: attrs()}
		s := triage.Span{
			TraceID: evilID, SpanID: "00000000000000" + string(rune('a'+k)) + "0", Name: "name" + c,
			Kind: triage.KindServer, Start: base.Add(time.Duration(k) * time.Millisecond), End: base.Add(time.Second),
			Error: true, StatusMessage: "status" + c, Resource: res, Attrs: attrs(),
			Events: []triage.Event{{Time: base, Name: "event" + c, Attrs: attrs()}},
			Links:  []triage.Link{{TraceID: "t" + c, SpanID: "s" + c, Attrs: attrs()}, {TraceID: evilID, SpanID: "x" + c}},
		}
		if k > 0 {
			s.ParentID = spans[k-1].SpanID
		}
		spans = append(spans, s)
	}
	return &triage.Trace{ID: evilID, Spans: spans, Partial: true, Message: "partial" + corpus()[0]}
}

// assertHarmless fails when the view holds a control other than the
// console's own SGR styling: anything else came from the data.
func assertHarmless(t *testing.T, where, view string) {
	t.Helper()
	ownStyling := regexp.MustCompile("\x1b\\[[0-9;:]*m")
	for _, r := range ownStyling.ReplaceAllString(view, "") {
		switch {
		case r == 0x1b, r == 0x07, r >= 0x80 && r <= 0x9f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069,
			r == 0x200e, r == 0x200f, r == 0x061c, r < 0x20 && r != '\n':
			t.Fatalf("%s: the view carries control %U:\n%q", where, r, view)
		}
	}
}

func TestInjection(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {120, 40}, {200, 60}} {
		c := tuitest.Common(t, sz[0], sz[1])
		c.Data.Sources.Traces = &traceSource{traces: map[string]*triage.Trace{evilID: evilTrace()}}
		recordNav(c)
		a := tui.NewApp(c, waterfall.New(c, tui.IncidentRef{}, evilID))
		tuitest.Run(a, a.Init())
		steps := [][]string{nil, {"g"}, {"j", "j"}, {"tab"}, {"G", "G", "G"}, {"pgdown"}, {"tab"}, {"/", "n", "a", "m", "e"}, {"enter"},
			{"g", "space"}, {"space", "t"}, {"j"}, {"?"}, {"esc", "esc"}}
		for _, keys := range steps {
			press(t, a, keys...)
			where := strings.Join(keys, " ")
			assertHarmless(t, where, content(a))
			tuitest.CheckSize(t, content(a), sz[0], sz[1])
		}
		if a.Top().Title() == "" {
			t.Fatal("no title")
		}
	}
	// The page's own id may be hostile too: it comes from a report.
	c := tuitest.Common(t, 80, 24)
	a := tui.NewApp(c, waterfall.New(c, tui.IncidentRef{}, corpus()[0]+corpus()[2]))
	tuitest.Run(a, a.Init())
	assertHarmless(t, "hostile id", content(a))
}
