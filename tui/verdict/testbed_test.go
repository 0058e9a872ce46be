package verdict

import (
	"context"
	"fmt"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/triagectl/triage/internal/simsource"
	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/tuitest"
)

// stub is the page a recorded drill-down pushes: it only has a title.
type stub struct{ title string }

func (s stub) Init() tea.Cmd                      { return nil }
func (s stub) Update(tea.Msg) (tui.Page, tea.Cmd) { return s, nil }
func (s stub) View() string                       { return "stub " + s.title }
func (s stub) SetSize(int, int)                   {}
func (s stub) ShortHelp() []key.Binding           { return nil }
func (s stub) FullHelp() [][]key.Binding          { return nil }
func (s stub) Title() string                      { return s.title }

// recorder stands in for the other pages: every drill-down is written
// down as "Logs <trace>", "Service <name>"… and pushes a stub.
type recorder struct {
	pushes []string
	ref    tui.IncidentRef
}

func (r *recorder) note(in tui.IncidentRef, s string) tui.PageFunc {
	r.pushes, r.ref = append(r.pushes, s), in
	return func(context.Context) tui.Page { return stub{s} }
}

func (r *recorder) last() string {
	if len(r.pushes) == 0 {
		return "(nothing pushed)"
	}
	return r.pushes[len(r.pushes)-1]
}

func record(c *tui.Common) *recorder {
	r := &recorder{}
	c.Nav = tui.Nav{
		Service: func(in tui.IncidentRef, name string) tui.PageFunc { return r.note(in, "Service "+name) },
		Traces: func(in tui.IncidentRef, f tui.TraceFilter) tui.PageFunc {
			return r.note(in, fmt.Sprintf("Traces service=%q user=%q failing=%v", f.Service, f.User, f.Failing))
		},
		Trace: func(in tui.IncidentRef, id string) tui.PageFunc { return r.note(in, "Trace "+id) },
		Logs: func(in tui.IncidentRef, id, span string, tr *triage.Trace) tui.PageFunc {
			return r.note(in, "Logs "+id+" span="+span)
		},
		Users: func(in tui.IncidentRef) tui.PageFunc { return r.note(in, "Users") },
		PatternLines: func(in tui.IncidentRef, p triage.LogPattern) tui.PageFunc {
			return r.note(in, "Pattern "+p.Pattern)
		},
		Compare: func(in tui.IncidentRef, id string) tui.PageFunc { return r.note(in, "Compare "+id) },
	}
	return r
}

// finished is the verdict of the fixture's finished report, in an app.
func finished(t testing.TB, w, h int) (*tui.App, *tui.Common, *recorder) {
	t.Helper()
	f := tuitest.Fixture(t)
	c := tuitest.Common(t, w, h)
	r := record(c)
	return tui.NewApp(c, New(c, f.Alert, f.Report)), c, r
}

func view(m tea.Model) string { return m.View().Content }

// page is the verdict at the top of the app.
func page(t testing.TB, a *tui.App) *Page {
	t.Helper()
	p, ok := a.Top().(*Page)
	if !ok {
		t.Fatalf("top page is %T, want the verdict", a.Top())
	}
	return p
}

// culpritTrace finds, apart from the page, the first failing trace whose
// error began at or called the report's culprit.
func culpritTrace(t testing.TB, r *triage.Report) string {
	t.Helper()
	if r.Impact == nil || r.Impact.Culprit == "" {
		t.Fatal("the fixture has no culprit")
	}
	for _, tr := range r.Traces {
		if tr.Failing && tr.ErrorOrigin != nil && (tr.ErrorOrigin.Service == r.Impact.Culprit || tr.ErrorOrigin.Peer == r.Impact.Culprit) {
			return tr.TraceID
		}
	}
	t.Fatal("no failing trace of the culprit in the fixture")
	return ""
}

// Fault injection: sources that fail every call, and a trace source that
// waits for a gate before it answers.

type deadMetrics struct{ err error }

func (d deadMetrics) Query(context.Context, string, time.Time) ([]triage.Sample, error) {
	return nil, d.err
}
func (d deadMetrics) QueryRange(context.Context, string, time.Time, time.Time, time.Duration) ([]triage.Series, error) {
	return nil, d.err
}
func (d deadMetrics) Exemplars(context.Context, string, time.Time, time.Time) ([]triage.Exemplar, error) {
	return nil, d.err
}

type deadLogs struct{ err error }

func (d deadLogs) Lines(context.Context, triage.LogQuery) ([]triage.LogLine, error) {
	return nil, d.err
}
func (d deadLogs) Volume(context.Context, string, time.Time, time.Time) (map[string]int, error) {
	return nil, d.err
}
func (d deadLogs) Patterns(context.Context, string, time.Time, time.Time, time.Duration) ([]triage.LokiPattern, error) {
	return nil, d.err
}
func (deadLogs) ServiceLabel() string { return "service_name" }

type deadTraces struct{ err error }

func (d deadTraces) Search(context.Context, triage.TraceSearch) (triage.TraceHits, error) {
	return triage.TraceHits{}, d.err
}
func (d deadTraces) Trace(context.Context, string) (*triage.Trace, error) { return nil, d.err }

type gatedTraces struct {
	triage.TracesSource
	gate chan struct{}
}

func (g gatedTraces) Search(ctx context.Context, q triage.TraceSearch) (triage.TraceHits, error) {
	select {
	case <-g.gate:
	case <-ctx.Done():
		return triage.TraceHits{}, ctx.Err()
	}
	return g.TracesSource.Search(ctx, q)
}

func refused(name string) error {
	return simsource.Err("unreachable", "dial tcp 127.0.0.1:3100: connect: connection refused ("+name+")")
}

// exec runs one command as the program would, failing the test when it
// does not answer within the deadline.
func exec(t testing.TB, cmd tea.Cmd) tea.Msg {
	t.Helper()
	if cmd == nil {
		t.Fatal("no command to run")
	}
	ch := make(chan tea.Msg, 1)
	go func() { ch <- cmd() }()
	select {
	case m := <-ch:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("command did not answer within 10s")
	}
	return nil
}

// startStream runs cmd (Init, or `r`'s) and returns the stream's first
// command and the spinner's delay, which tests run themselves.
func startStream(t testing.TB, cmd tea.Cmd) (stream, due tea.Cmd) {
	t.Helper()
	batch, ok := exec(t, cmd).(tea.BatchMsg)
	if !ok || len(batch) != 2 {
		t.Fatalf("the run started with %T, want the stream and the spinner delay", batch)
	}
	return batch[0], batch[1]
}

// step feeds the stream's next message to the page and returns the
// command that waits for the one after.
func step(t testing.TB, p *Page, cmd tea.Cmd) tea.Cmd {
	t.Helper()
	msg := exec(t, cmd)
	if msg == nil {
		t.Fatal("the stream ended without its final event")
	}
	_, next := p.Update(msg)
	return next
}

func (deadTraces) Name() string { return triage.SourceTempo }
