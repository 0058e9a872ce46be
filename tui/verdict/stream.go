package verdict

import (
	"context"
	"errors"

	tea "charm.land/bubbletea/v2"

	"github.com/triagectl/triage/triage"
)

// event is what the investigation's goroutine hands the page: a streamed
// update, or the end of the run.
type event struct {
	update triage.Update
	final  bool
	rep    *triage.Report
	err    error
	ch     <-chan event // where the next event comes from
}

// start (re)runs the investigation: any earlier run is cancelled and its
// events are dropped.
func (p *Page) start() tea.Cmd {
	p.prev = nil
	p.setReport(nil)
	return p.run()
}

// refresh runs the investigation again keeping the report shown: each
// section keeps its old rows until its source has answered anew.
func (p *Page) refresh() tea.Cmd {
	p.prev = p.rep
	return p.run()
}

func (p *Page) run() tea.Cmd {
	if p.cancel != nil {
		p.cancel()
	}
	ctx, cancel := context.WithCancel(p.ctx)
	p.cancel = cancel
	p.running, p.runErr = true, nil
	ch := make(chan event, 8)
	iv := triage.NewInvestigation(p.c.Data.Sources, p.c.Data.Options, p.c.Data.RED)
	alert := p.alert
	// The goroutine starts when the program runs the command, so a page
	// that is built but never run starts nothing.
	return p.load.Start(func() any {
		go investigate(ctx, iv, alert, ch)
		return next(ch)
	})
}

// stop cancels a running investigation and drops what it still sends.
func (p *Page) stop() {
	if p.cancel != nil {
		p.cancel()
	}
	p.load.Stop()
	p.running = false
}

// investigate runs the investigation and always closes ch, so a waiting
// command never blocks forever.
func investigate(ctx context.Context, iv *triage.Investigation, a triage.Alert, ch chan event) {
	defer close(ch)
	rep, err := iv.Run(ctx, a, func(u triage.Update) { offer(ch, event{update: u}) })
	select {
	case ch <- event{final: true, rep: rep, err: err}:
	case <-ctx.Done():
	}
}

// offer hands an update over without blocking the engine: when the page
// lags, the oldest snapshot gives way, each snapshot holding all before it.
// The engine serialises its calls, so there is a single sender.
func offer(ch chan event, ev event) {
	select {
	case ch <- ev:
		return
	default:
	}
	select {
	case <-ch:
	default:
	}
	select {
	case ch <- ev:
	default:
	}
}

// next waits for the stream's next event; nil once it has closed.
func next(ch <-chan event) any {
	ev, ok := <-ch
	if !ok {
		return nil
	}
	ev.ch = ch
	return ev
}

// onEvent applies one event and asks for the next while the run lasts.
func (p *Page) onEvent(ev event) tea.Cmd {
	if !ev.final {
		if ev.update.Report != nil {
			p.setReport(keepPending(ev.update.Report, p.prev))
		}
		ch := ev.ch
		return p.load.Next(func() any { return next(ch) })
	}
	p.running, p.prev, p.given = false, nil, false
	if ev.err != nil && !errors.Is(ev.err, triage.ErrAllSourcesFailed) {
		p.runErr = ev.err
	}
	if ev.rep != nil {
		p.setReport(ev.rep)
	} else {
		p.setReport(p.rep) // settle the sections now that the run is over
	}
	return nil
}

// spinText is the spinner's frame and a space, once it shows.
func (p *Page) spinText() string { return p.load.Spinner() }

// keepPending is a running refresh's snapshot with the old report's
// sections wherever their source has not answered yet, so a refresh
// streams into the figures shown instead of blanking them.
func keepPending(r, old *triage.Report) *triage.Report {
	if old == nil || r == nil {
		return r
	}
	pending := func(name string) bool {
		st, ok := sourceStatus(r, name)
		return !ok || st.State == triage.StatePending
	}
	m := *r
	traces := triage.TraceSource(r)
	if pending(traces) {
		m.Services, m.Users, m.Differences, m.Traces = old.Services, old.Users, old.Differences, old.Traces
	}
	if pending(triage.SourceLoki) {
		m.LogPatterns = old.LogPatterns
	}
	if m.Impact == nil || pending(traces) || pending(triage.SourcePrometheus) {
		m.Impact, m.Timeline = old.Impact, old.Timeline
	}
	return &m
}
