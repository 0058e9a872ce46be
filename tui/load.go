package tui

import (
	"context"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
)

// PageID names one page of a program's stack. The app gives each page its
// own when it pushes it, through the page's context.
type PageID uint64

type pageIDKey struct{}

func withPageID(ctx context.Context, id PageID) context.Context {
	return context.WithValue(ctx, pageIDKey{}, id)
}

// PageIDFrom is the id of the page built under ctx; 0 for a page built
// outside an app (a test driving one page).
func PageIDFrom(ctx context.Context) PageID {
	id, _ := ctx.Value(pageIDKey{}).(PageID)
	return id
}

// Routed is an async result addressed to one page: the app hands it to
// that page only, wherever it is in the stack, and drops it once the page
// is gone.
type Routed interface{ RoutedTo() PageID }

// Broadcast marks news every page of the stack is told (the daemon's
// incidents changed, a newer report): each takes what concerns it.
type Broadcast interface{ Broadcast() }

// SpinnerDelay keeps fast answers from flashing a spinner.
const SpinnerDelay = 100 * time.Millisecond

// Load is one async load of a page: each Start supersedes the last, whose
// results are then dropped; results reach the page that asked, and a
// spinner appears only once the load has lasted SpinnerDelay. A page
// holds one Load per independent thing it loads.
type Load struct {
	to       PageID
	req      int
	loading  bool
	spinning bool
	spin     spinner.Model
}

// loadedMsg is one result of a load.
type loadedMsg struct {
	to   PageID
	from *Load
	req  int
	v    any
}

// loadSpinMsg says a load has lasted SpinnerDelay; loadTickMsg is one
// frame of its spinner.
type loadSpinMsg struct {
	to   PageID
	from *Load
	req  int
}

type loadTickMsg struct {
	to   PageID
	from *Load
	tick spinner.TickMsg
}

func (m loadedMsg) RoutedTo() PageID   { return m.to }
func (m loadSpinMsg) RoutedTo() PageID { return m.to }
func (m loadTickMsg) RoutedTo() PageID { return m.to }

// NewLoad is a load for the page built under ctx.
func NewLoad(ctx context.Context, c *Common) *Load {
	return &Load{to: PageIDFrom(ctx), spin: spinner.New(spinner.WithSpinner(spinner.MiniDot), spinner.WithStyle(c.Styles.Accent))}
}

// Start runs fetch as a command, superseding any earlier load; its value
// comes back through Update.
func (l *Load) Start(fetch func() any) tea.Cmd {
	l.req++
	l.loading, l.spinning = true, false
	to, from, req := l.to, l, l.req
	due := tea.Tick(SpinnerDelay, func(time.Time) tea.Msg { return loadSpinMsg{to: to, from: from, req: req} })
	return tea.Batch(l.Next(fetch), due)
}

// Next runs fetch as a further result of the current load: a stream's
// next part. The load is loading again until that result arrives.
func (l *Load) Next(fetch func() any) tea.Cmd {
	l.loading = true
	to, from, req := l.to, l, l.req
	return func() tea.Msg {
		v := fetch()
		if v == nil {
			return nil
		}
		return loadedMsg{to: to, from: from, req: req, v: v}
	}
}

// Update takes msg when it is this load's: ok is set with the value of a
// current result (the load is then no longer loading, unless Next asks for
// more); older results and other pages' are ignored.
func (l *Load) Update(msg tea.Msg) (v any, ok bool, cmd tea.Cmd) {
	switch m := msg.(type) {
	case loadedMsg:
		if m.from != l || m.req != l.req {
			return nil, false, nil
		}
		l.loading, l.spinning = false, false
		return m.v, true, nil
	case loadSpinMsg:
		if m.from != l || m.req != l.req || !l.loading {
			return nil, false, nil
		}
		l.spinning = true
		return nil, false, l.tick(l.spin.Tick)
	case loadTickMsg:
		if m.from != l || !l.spinning || !l.loading {
			return nil, false, nil
		}
		var next tea.Cmd
		l.spin, next = l.spin.Update(m.tick)
		return nil, false, l.tick(next)
	}
	return nil, false, nil
}

// tick routes the spinner's next frame to this load.
func (l *Load) tick(next tea.Cmd) tea.Cmd {
	if next == nil {
		return nil
	}
	to, from := l.to, l
	return func() tea.Msg {
		t, ok := next().(spinner.TickMsg)
		if !ok {
			return nil
		}
		return loadTickMsg{to: to, from: from, tick: t}
	}
}

// Loading reports whether a result is awaited.
func (l *Load) Loading() bool { return l.loading }

// Stop ends the load: a pending result will be dropped.
func (l *Load) Stop() {
	l.req++
	l.loading, l.spinning = false, false
}

// Spinner is the spinner's frame and a space once it shows, else "".
func (l *Load) Spinner() string {
	if !l.spinning || !l.loading {
		return ""
	}
	return l.spin.View() + " "
}
