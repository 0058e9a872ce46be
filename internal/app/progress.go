package app

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/term"

	"github.com/triagectl/triage/internal/safe"
	"github.com/triagectl/triage/triage"
)

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}

// progress shows a running investigation on a terminal's stderr: how long
// it has run, which sources answered and the traces fetched, on one line
// redrawn in place and erased when it ends, so that nothing of it stays
// above the report. It draws nothing in the first moments (a fast answer
// does not flicker) and nothing at all when stderr is not a terminal. A nil
// progress does nothing.
type progress struct {
	w     io.Writer
	width int
	alert string
	now   func() time.Time
	start time.Time
	delay time.Duration

	mu          sync.Mutex
	order       []string
	states      map[string]triage.SourceState
	done, total int
	drawn       bool
	stop        chan struct{}
	stopped     sync.WaitGroup
}

// newProgress starts a progress line for alert on the app's stderr, when
// it is a terminal.
func (a *App) newProgress(alert string) *progress {
	if !isTerminal(a.Stderr) {
		return nil
	}
	width := 80
	if w, _, err := term.GetSize(a.Stderr.(*os.File).Fd()); err == nil && w > 0 {
		width = w
	}
	p := newProgressOn(a.Stderr, width, alert, time.Now, 200*time.Millisecond)
	p.stopped.Add(1)
	go p.tick(250 * time.Millisecond)
	return p
}

func newProgressOn(w io.Writer, width int, alert string, now func() time.Time, delay time.Duration) *progress {
	return &progress{w: w, width: width, alert: safe.Line(alert), now: now, start: now(), delay: delay,
		states: map[string]triage.SourceState{}, stop: make(chan struct{})}
}

// tick redraws the line while nothing changes, so the time keeps moving.
func (p *progress) tick(every time.Duration) {
	defer p.stopped.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			p.draw()
			p.mu.Unlock()
		}
	}
}

// emit is the engine's update hook; nil without a terminal, so that the
// engine does not copy its report for nothing.
func (p *progress) emit() func(triage.Update) {
	if p == nil {
		return nil
	}
	return p.update
}

// fetched is the engine's trace-fetch hook; nil without a terminal.
func (p *progress) fetched() func(done, total int) {
	if p == nil {
		return nil
	}
	return p.traces
}

func (p *progress) update(u triage.Update) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if u.Report != nil {
		for _, s := range u.Report.Sources {
			p.set(s.Name, s.State)
		}
	}
	if u.Status != nil {
		p.set(u.Status.Name, u.Status.State)
	}
	p.draw()
}

func (p *progress) set(name string, st triage.SourceState) {
	if _, ok := p.states[name]; !ok {
		p.order = append(p.order, name)
	}
	p.states[name] = st
}

func (p *progress) traces(done, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done, p.total = done, total
	p.draw()
}

// line is what the progress says now.
func (p *progress) line() string {
	var parts []string
	for _, name := range p.order {
		st := p.states[name]
		if st == triage.StateUnconfigured {
			continue
		}
		s := name + " " + string(st)
		if st == triage.StatePending {
			s = name + " …"
		}
		if triage.IsTraceSource(name) && p.total > 0 {
			s += fmt.Sprintf(" (traces fetched %d/%d)", p.done, p.total)
		}
		parts = append(parts, s)
	}
	elapsed := p.now().Sub(p.start).Round(100 * time.Millisecond)
	return fmt.Sprintf("investigating %s %s: %s", p.alert, elapsed, strings.Join(parts, " · "))
}

// draw rewrites the line in place, cut to the terminal's width so that it
// never wraps (a wrapped line cannot be redrawn).
func (p *progress) draw() {
	if p.now().Sub(p.start) < p.delay {
		return
	}
	p.drawn = true
	fmt.Fprint(p.w, "\r\x1b[2K"+ansi.Truncate(p.line(), max(p.width-1, 10), "…"))
}

// end erases the line, if one was drawn, and stops the redraws.
func (p *progress) end() {
	if p == nil {
		return
	}
	select {
	case <-p.stop:
		return
	default:
		close(p.stop)
	}
	p.stopped.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[2K")
	}
}
