package logview_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/logview"
	"github.com/triagectl/triage/tui/tuitest"
)

var sizes = []struct{ w, h int }{{80, 24}, {120, 40}}

// TestGoldenFixture draws the fixture trace's lines through the app, on
// the simulated incident's own log source.
func TestGoldenFixture(t *testing.T) {
	f := tuitest.Fixture(t)
	tr := f.Report.Traces[0]
	full, err := f.Sources().Traces.Trace(t.Context(), tr.TraceID)
	if err != nil {
		t.Fatal(err)
	}
	// The checkout server span: its line is not the trace's first.
	origin := spanOf(t, full, "checkout")
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			app := openApp(t, tuitest.Common(t, sz.w, sz.h), tr.TraceID, "", nil)
			v := view(app)
			tuitest.CheckSize(t, v, sz.w, sz.h)
			tuitest.Golden(t, fmt.Sprintf("trace_%dx%d", sz.w, sz.h), v)
			p := page(t, app)
			if p.Viewer() == nil || p.Viewer().Total() == 0 {
				t.Fatalf("no lines for the fixture's first trace: %q", ansi.Strip(v))
			}
			// The page view alone fills the app's page area exactly.
			pv := p.View()
			if n := strings.Count(pv, "\n") + 1; n != sz.h-2 {
				t.Errorf("page view has %d rows, want %d", n, sz.h-2)
			}
			tuitest.CheckSize(t, pv, sz.w, sz.h-2)

			// Opened from the waterfall at the error origin's span.
			app = openApp(t, tuitest.Common(t, sz.w, sz.h), tr.TraceID, origin.SpanID, full)
			tuitest.Golden(t, fmt.Sprintf("span_%dx%d", sz.w, sz.h), view(app))
			text, idx, ok := page(t, app).Viewer().Selected()
			if !ok || idx == 0 || !strings.Contains(text, "route=/api/v1/checkout") {
				t.Errorf("cursor is on line %d %q, want the checkout span's first line", idx, text)
			}
		})
	}
}

func spanOf(t *testing.T, tr *triage.Trace, service string) triage.Span {
	t.Helper()
	for _, sp := range tr.Spans {
		if sp.Service() == service && sp.Error && sp.Kind == triage.KindServer {
			return sp
		}
	}
	t.Fatalf("no erroring %s span in %s", service, tr.ID)
	return triage.Span{}
}

func TestPositionedAtSpan(t *testing.T) {
	src := &fakeLogs{lines: mixedLines()}
	app := openApp(t, common(t, 100, 24, src), testTrace, "cccc000000000003", nil)
	p := page(t, app)
	text, idx, ok := p.Viewer().Selected()
	if !ok || idx != 2 || !strings.Contains(text, "pool nearly exhausted") {
		t.Fatalf("selected %d %q, want line 2 (the span's first)", idx, text)
	}
	v := ansi.Strip(view(app))
	if !strings.Contains(v, "span cccc0000…: 3 lines") {
		t.Errorf("header does not count the span's lines:\n%s", v)
	}
	marked := 0
	for _, row := range strings.Split(v, "\n") {
		if strings.HasPrefix(row, "▸◆") || strings.HasPrefix(row, " ◆") {
			marked++
			if !strings.Contains(row, "payments") {
				t.Errorf("marked row is not the span's: %q", row)
			}
		}
	}
	if marked != 3 {
		t.Errorf("%d rows marked, want 3:\n%s", marked, v)
	}

	// A span without lines says so and leaves the cursor at the top.
	app = openApp(t, common(t, 100, 24, src), testTrace, "ffff000000000009", nil)
	if _, idx, _ := page(t, app).Viewer().Selected(); idx != 0 {
		t.Errorf("cursor at %d, want 0", idx)
	}
	if v := ansi.Strip(view(app)); !strings.Contains(v, "span ffff0000…: no lines") {
		t.Errorf("missing the span's note:\n%s", v)
	}
}

func TestStates(t *testing.T) {
	cases := []struct {
		name    string
		src     triage.LogsSource
		want    string
		notWant []string
	}{
		{"unconfigured", nil, "loki is not configured", []string{"unknown", "no log lines"}},
		{"failed", &fakeLogs{err: sourceErr{"context deadline exceeded after 10s"}}, "unknown — loki: context deadline exceeded after 10s", []string{"no log lines"}},
		{"failed_plain", &fakeLogs{err: fmt.Errorf("dial tcp 127.0.0.1:3100: connection refused")}, "unknown — loki: dial tcp 127.0.0.1:3100: connection refused", nil},
		{"empty", &fakeLogs{lines: []triage.LogLine{}}, "no log lines for trace " + testTrace + " in 03:", []string{"unknown", "0 lines"}},
		// Lines of other traces are not this trace's, whatever the source.
		{"other_trace", &fakeLogs{lines: []triage.LogLine{{Time: t0, Service: "a", Line: "x", TraceID: "0123"}, {Time: t0, Service: "a", Line: "no id"}}}, "no log lines for trace", nil},
	}
	for _, tc := range cases {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%s/%dx%d", tc.name, sz.w, sz.h), func(t *testing.T) {
				app := openApp(t, common(t, sz.w, sz.h, tc.src), testTrace, "", nil)
				raw := view(app)
				v := ansi.Strip(raw)
				tuitest.CheckSize(t, raw, sz.w, sz.h)
				if !strings.Contains(v, tc.want) {
					t.Errorf("view lacks %q:\n%s", tc.want, v)
				}
				for _, nw := range tc.notWant {
					if strings.Contains(v, nw) {
						t.Errorf("view has %q:\n%s", nw, v)
					}
				}
				if sz.w == 80 && tc.name != "other_trace" && tc.name != "failed_plain" {
					tuitest.Golden(t, tc.name+"_80x24", raw)
				}
			})
		}
	}
	// The unknown line is drawn in the Unknown style.
	c := common(t, 80, 24, &fakeLogs{err: sourceErr{"boom"}})
	app := openApp(t, c, testTrace, "", nil)
	if !strings.Contains(view(app), c.Styles.Unknown.Render("  unknown — loki: boom")) {
		t.Error("the failure is not drawn in the Unknown style")
	}
}

// TestEmptyTriesLineText: without trace_id metadata, the id is looked for
// in the line text; the query shown and copied is the last one run.
func TestEmptyTriesLineText(t *testing.T) {
	src := &fakeLogs{lines: []triage.LogLine{}}
	app := openApp(t, common(t, 120, 40, src), testTrace, "", nil)
	q := src.asked()
	if len(q) != 2 || !strings.HasSuffix(q[0].Query, `| trace_id="`+testTrace+`"`) || !strings.HasSuffix(q[1].Query, `|= "`+testTrace+`"`) {
		t.Fatalf("queries %+v", q)
	}
	if got := page(t, app).Query(); got != q[1].Query {
		t.Errorf("Query() = %q, want %q", got, q[1].Query)
	}
	if _, text, _ := page(t, app).CopyTarget(); text != q[1].Query {
		t.Errorf("y copies %q with no line, want the query", text)
	}
}

func TestQueryPlan(t *testing.T) {
	f := tuitest.Fixture(t)
	row := f.Report.Traces[0]
	full, err := f.Sources().Traces.Trace(t.Context(), row.TraceID)
	if err != nil {
		t.Fatal(err)
	}
	first, last := full.Spans[0].Start, full.Spans[0].End
	for _, sp := range full.Spans {
		if sp.Start.Before(first) {
			first = sp.Start
		}
		if sp.End.After(last) {
			last = sp.End
		}
	}
	var reportSvcs []string
	for _, s := range f.Report.Services {
		reportSvcs = append(reportSvcs, s.Name)
	}
	traceSvcs := `{service_name=~"auth|cart|checkout|inventory|payments|storefront"}`
	cases := []struct {
		name       string
		traceID    string
		tr         *triage.Trace
		report     *triage.Report
		noTraces   bool // no trace source: the page cannot fetch the trace
		selector   string
		start, end time.Time
	}{
		{"from the trace", row.TraceID, full, f.Report, false, traceSvcs, first.Add(-time.Minute), last.Add(time.Minute)},
		// Opened without the trace (l on the verdict, a pattern): the page
		// fetches it and asks exactly what the waterfall's path asks.
		{"from the verdict, trace fetched", row.TraceID, nil, f.Report, false, traceSvcs, first.Add(-time.Minute), last.Add(time.Minute)},
		{"from the report's row", row.TraceID, nil, f.Report, true,
			`{service_name=~"` + strings.Join(reportSvcs, "|") + `"}`, row.Start.Add(-time.Minute), row.Start.Add(time.Duration(row.DurationMS*float64(time.Millisecond)) + time.Minute)},
		{"from the report window", testTrace, nil, f.Report, true,
			`{service_name=~"` + strings.Join(reportSvcs, "|") + `"}`, f.Report.Window.Start, f.Report.Window.End},
		{"no report", testTrace, nil, nil, true, `{service_name=~".+"}`, tuitest.Now.Add(-time.Hour), tuitest.Now},
		{"one service, quoted id", `x" or "y`, &triage.Trace{Spans: []triage.Span{{Resource: &triage.Resource{Service: `we"ird`}, Start: t0, End: t0.Add(time.Second)}}}, nil, false,
			`{service_name="we\"ird"}`, t0.Add(-time.Minute), t0.Add(time.Second + time.Minute)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := &fakeLogs{lines: []triage.LogLine{}}
			c := common(t, 80, 24, src)
			if tc.noTraces {
				c.Data.Sources.Traces = nil
			}
			app := tui.NewApp(c, logview.New(c, tui.IncidentRef{Alert: f.Alert, Report: tc.report}, tc.traceID, "", tc.tr))
			tuitest.Run(app, app.Init())
			q := src.asked()
			if len(q) == 0 {
				t.Fatal("no query")
			}
			want := tc.selector + " | trace_id=" + fmt.Sprintf("%q", tc.traceID)
			if q[0].Query != want {
				t.Errorf("query %s, want %s", q[0].Query, want)
			}
			if !q[0].Start.Equal(tc.start) || !q[0].End.Equal(tc.end) {
				t.Errorf("range %v–%v, want %v–%v", q[0].Start, q[0].End, tc.start, tc.end)
			}
			if q[0].Limit < 1000 {
				t.Errorf("limit %d is not generous", q[0].Limit)
			}
		})
	}
}

func TestCopy(t *testing.T) {
	src := &fakeLogs{lines: mixedLines()}
	app := openApp(t, common(t, 100, 24, src), testTrace, "", nil)
	m := tuitest.Drive(t, app, "j", "y")
	if foot := lastRow(view(m)); !strings.Contains(foot, `copied log line: level=debug msg="cart loaded" items=3`) {
		t.Errorf("footer after y: %q", foot)
	}
	m = tuitest.Drive(t, m, "Y")
	if foot := lastRow(view(m)); !strings.Contains(foot, `copied LogQL: {service_name=~"`) {
		t.Errorf("footer after Y: %q", foot)
	}
	// Help names both copy keys.
	m = tuitest.Drive(t, m, "?")
	h := ansi.Strip(view(m))
	for _, want := range []string{"copy the line (the LogQL when there is none)", "copy LogQL", "wrap", "filter"} {
		if !strings.Contains(h, want) {
			t.Errorf("help lacks %q:\n%s", want, h)
		}
	}
}

func lastRow(v string) string {
	rows := strings.Split(ansi.Strip(v), "\n")
	return rows[len(rows)-1]
}

// TestRefresh reloads; the footer offers retry when the query failed.
func TestRefresh(t *testing.T) {
	src := &fakeLogs{err: sourceErr{"connection refused"}}
	app := openApp(t, common(t, 80, 24, src), testTrace, "", nil)
	if foot := lastRow(view(app)); !strings.Contains(foot, "r retry") {
		t.Errorf("footer: %q", foot)
	}
	src.mu.Lock()
	src.err, src.lines = nil, mixedLines()
	src.mu.Unlock()
	m := tuitest.Drive(t, app, "r")
	if p := page(t, m.(*tui.App)); p.Viewer() == nil || p.Viewer().Total() != 7 {
		t.Fatalf("refresh did not load the lines:\n%s", ansi.Strip(view(m)))
	}
}

func TestExploreLink(t *testing.T) {
	src := &fakeLogs{lines: mixedLines()}
	c := common(t, 100, 24, src)
	app := openApp(t, c, testTrace, "", nil)
	if _, ok := page(t, app).ExploreLink(); ok {
		t.Error("a link without Grafana")
	}
	m := tuitest.Drive(t, app, "o")
	if foot := lastRow(view(m)); !strings.Contains(foot, "no Grafana link") {
		t.Errorf("footer: %q", foot)
	}
	c.Grafana = tui.Grafana{URL: "https://grafana.example/g/", Datasources: map[string]string{"loki": "loki-uid"}}
	link, ok := page(t, app).ExploreLink()
	if !ok {
		t.Fatal("no link with Grafana configured")
	}
	u, err := url.Parse(link)
	if err != nil || u.Host != "grafana.example" || u.Path != "/g/explore" {
		t.Fatalf("link %q: %v", link, err)
	}
	var panes map[string]struct {
		Datasource string
		Queries    []struct{ Expr string }
		Range      struct{ From, To string }
	}
	if err := json.Unmarshal([]byte(u.Query().Get("panes")), &panes); err != nil {
		t.Fatal(err)
	}
	pn := panes["triage"]
	q := src.asked()[0]
	if pn.Datasource != "loki-uid" || len(pn.Queries) != 1 || pn.Queries[0].Expr != q.Query ||
		pn.Range.From != fmt.Sprint(q.Start.UnixMilli()) || pn.Range.To != fmt.Sprint(q.End.UnixMilli()) {
		t.Errorf("pane %+v, want %s over %v–%v", pn, q.Query, q.Start, q.End)
	}
}

// TestPasteIntoFilter: a paste arrives as one message, not as keys.
func TestPasteIntoFilter(t *testing.T) {
	v := newViewer(t, 100, 12, mixedLines())
	press(v, "/")
	v.Update(tea.PasteMsg{Content: "pool"})
	if v.Filter() != "pool" || v.Len() != 2 {
		t.Errorf("filter %q len %d", v.Filter(), v.Len())
	}
	press(v, "enter")
	if cmd, used := v.Update(tea.PasteMsg{Content: "x"}); used || cmd != nil || v.Filter() != "pool" {
		t.Error("a paste outside the prompt changed the filter")
	}
}
