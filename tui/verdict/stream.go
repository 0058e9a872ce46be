package verdict

import (
	"context"
	"errors"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/triagectl/triage/triage"
)

// spinnerDelay keeps fast answers from flickering a spinner.
const spinnerDelay = 100 * time.Millisecond

// event is what the investigation's goroutine hands the page: a streamed
// update, or the end of the run.
type event struct {
	update triage.Update
	final  bool
	rep    *triage.Report
	err    error
}

// streamMsg carries one event to the page that started the run. The app
// hands every page every message, so owner and gen tell the page its own
// from another page's or an earlier run's.
type streamMsg struct {
	owner *Page
	gen   int
	ev    event
	ch    <-chan event
}

type spinnerDelayMsg struct {
	owner *Page
	gen   int
}

// start (re)runs the investigation: any earlier run is cancelled and its
// messages are dropped by generation.
func (p *Page) start() tea.Cmd {
	if p.cancel != nil {
		p.cancel()
	}
	p.gen++
	ctx, cancel := context.WithCancel(p.ctx)
	p.cancel = cancel
	p.running, p.showSpinner, p.runErr = true, false, nil
	p.setReport(nil)
	ch := make(chan event, 8)
	iv := triage.NewInvestigation(p.c.Data.Sources, p.c.Data.Options, p.c.Data.RED)
	owner, alert, gen := p, p.alert, p.gen
	// The goroutine starts when the program runs the command, so a page
	// that is built but never run starts nothing.
	first := func() tea.Msg {
		go investigate(ctx, iv, alert, ch)
		return next(owner, ch, gen)
	}
	delay := tea.Tick(spinnerDelay, func(time.Time) tea.Msg { return spinnerDelayMsg{owner: owner, gen: gen} })
	return tea.Batch(first, delay)
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

func next(owner *Page, ch <-chan event, gen int) tea.Msg {
	ev, ok := <-ch
	if !ok {
		return nil
	}
	return streamMsg{owner: owner, gen: gen, ev: ev, ch: ch}
}

func waitCmd(owner *Page, ch <-chan event, gen int) tea.Cmd {
	return func() tea.Msg { return next(owner, ch, gen) }
}

// onStream applies one event and asks for the next while the run lasts.
func (p *Page) onStream(m streamMsg) tea.Cmd {
	if m.owner != p || m.gen != p.gen {
		return nil
	}
	if !m.ev.final {
		if m.ev.update.Report != nil {
			p.setReport(m.ev.update.Report)
		}
		return waitCmd(p, m.ch, m.gen)
	}
	p.running = false
	if m.ev.err != nil && !errors.Is(m.ev.err, triage.ErrAllSourcesFailed) {
		p.runErr = m.ev.err
	}
	if m.ev.rep != nil {
		p.setReport(m.ev.rep)
	} else {
		p.setReport(p.rep) // settle the sections now that the run is over
	}
	return nil
}

// onSpinner shows the spinner once loading has lasted spinnerDelay, and
// lets its ticks die once nothing is loading.
func (p *Page) onSpinner(msg tea.Msg) tea.Cmd {
	switch m := msg.(type) {
	case spinnerDelayMsg:
		if m.owner != p || m.gen != p.gen || !p.loading() {
			return nil
		}
		p.showSpinner = true
		return p.spin.Tick
	case spinner.TickMsg:
		if m.ID != p.spin.ID() || !p.showSpinner || !p.loading() {
			return nil
		}
		var cmd tea.Cmd
		p.spin, cmd = p.spin.Update(m)
		return cmd
	}
	return nil
}

// loading reports whether any part of the page still waits for a source.
func (p *Page) loading() bool {
	if p.running {
		return true
	}
	for _, s := range p.secs {
		if s.state == stateLoading {
			return true
		}
	}
	return false
}

// spinText is the spinner's frame and a space, once it shows.
func (p *Page) spinText() string {
	if !p.showSpinner || !p.loading() {
		return ""
	}
	return p.spin.View() + " "
}
