package logview_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/logview"
	"github.com/triagectl/triage/tui/tuitest"
)

// fakeLogs is a log source that answers from a fixed list, or fails; it
// records the queries it was asked.
type fakeLogs struct {
	lines []triage.LogLine
	err   error

	mu      sync.Mutex
	queries []triage.LogQuery
}

func (f *fakeLogs) Lines(ctx context.Context, q triage.LogQuery) ([]triage.LogLine, error) {
	f.mu.Lock()
	f.queries = append(f.queries, q)
	f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	return f.lines, nil
}

func (*fakeLogs) Volume(context.Context, string, time.Time, time.Time) (map[string]int, error) {
	return map[string]int{}, nil
}

func (*fakeLogs) Patterns(context.Context, string, time.Time, time.Time, time.Duration) ([]triage.LokiPattern, error) {
	return nil, triage.ErrPatternsUnavailable
}

func (*fakeLogs) ServiceLabel() string { return "service_name" }

func (f *fakeLogs) asked() []triage.LogQuery {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]triage.LogQuery(nil), f.queries...)
}

// sourceErr carries a reason, as the sources' typed error does.
type sourceErr struct{ reason string }

func (e sourceErr) Error() string  { return "timeout: " + e.reason }
func (e sourceErr) Reason() string { return e.reason }

const testTrace = "4bf92f3577b34da6a3ce929d0e0e4736"

var t0 = time.Date(2026, 11, 25, 3, 10, 5, 0, time.UTC)

// mixedLines is a small trace's lines across services and levels,
// newest first as Loki answers.
func mixedLines() []triage.LogLine {
	ls := []triage.LogLine{
		{Time: t0, Service: "storefront", Level: "info", Line: "level=info msg=\"request received\" route=/checkout", SpanID: "aaaa000000000001"},
		{Time: t0.Add(10 * time.Millisecond), Service: "checkout", Level: "debug", Line: "level=debug msg=\"cart loaded\" items=3", SpanID: "bbbb000000000002"},
		{Time: t0.Add(20 * time.Millisecond), Service: "payments", Level: "warn", Line: "level=warn msg=\"pool nearly exhausted\" active=48 idle=2", SpanID: "cccc000000000003"},
		{Time: t0.Add(30 * time.Millisecond), Service: "payments", Level: "error", Line: "level=error msg=\"timeout acquiring connection from pool after 2000ms\" pool=ledger " + strings.Repeat("detail ", 30), SpanID: "cccc000000000003"},
		{Time: t0.Add(40 * time.Millisecond), Service: "payments", Level: "ERROR", Line: "level=error msg=\"finished call\" grpc.code=DeadlineExceeded", SpanID: "cccc000000000003"},
		{Time: t0.Add(50 * time.Millisecond), Service: "checkout", Level: "error", Line: "level=error msg=\"request failed\" status=503", SpanID: "bbbb000000000002"},
		{Time: t0.Add(60 * time.Millisecond), Service: "storefront", Level: "", Line: "POST /checkout 502 2037ms", SpanID: "aaaa000000000001"},
	}
	out := make([]triage.LogLine, len(ls))
	for i, l := range ls {
		l.TraceID = testTrace
		out[len(ls)-1-i] = l
	}
	return out
}

// manyLines generates n lines over six services, newest first; one line
// in 16 carries wide runes.
func manyLines(n int) []triage.LogLine {
	svcs := []string{"storefront", "checkout", "payments", "inventory", "ledger-db", "recommendations"}
	levels := []string{"info", "info", "debug", "warn", "error"}
	out := make([]triage.LogLine, n)
	for i := range out {
		text := fmt.Sprintf("level=%s msg=\"handled request %d\" route=/api/v1/orders/%d user=u-%05d duration_ms=%d trace_sampled=true region=eu-west-1",
			levels[i%len(levels)], i, i%977, i%40000, i%3000)
		if i%16 == 0 {
			text += " 顧客の注文を処理しました 🚀 👩‍💻"
		}
		out[n-1-i] = triage.LogLine{
			Time: t0.Add(time.Duration(i) * time.Millisecond), Service: svcs[i%len(svcs)], Level: levels[i%len(levels)],
			Line: text, TraceID: testTrace, SpanID: fmt.Sprintf("%016x", i/8),
		}
	}
	return out
}

// common is a program's Common at w×h whose log source is ls (nil for an
// unconfigured one).
func common(t testing.TB, w, h int, ls triage.LogsSource) *tui.Common {
	t.Helper()
	c := tuitest.Common(t, w, h)
	c.Data.Sources.Logs = ls
	return c
}

func incident(t testing.TB) tui.IncidentRef {
	f := tuitest.Fixture(t)
	return tui.IncidentRef{Alert: f.Alert, Report: f.Report}
}

// openApp runs the logs page as the app's root and waits for its load.
func openApp(t testing.TB, c *tui.Common, traceID, spanID string, tr *triage.Trace) *tui.App {
	t.Helper()
	app := tui.NewApp(c, logview.New(c, incident(t), traceID, spanID, tr))
	return tuitest.Run(app, app.Init()).(*tui.App)
}

func view(m tea.Model) string { return m.View().Content }

func page(t testing.TB, app *tui.App) *logview.Page {
	t.Helper()
	p, ok := app.Top().(*logview.Page)
	if !ok {
		t.Fatalf("top page is %T", app.Top())
	}
	return p
}

// rootPage is a plain page to push the logs page onto.
type rootPage struct{}

func (rootPage) Init() tea.Cmd                        { return nil }
func (r rootPage) Update(tea.Msg) (tui.Page, tea.Cmd) { return r, nil }
func (rootPage) View() string                         { return "root" }
func (rootPage) SetSize(int, int)                     {}
func (rootPage) ShortHelp() []key.Binding             { return nil }
func (rootPage) FullHelp() [][]key.Binding            { return nil }
func (rootPage) Title() string                        { return "trace 4bf92f3…" }
