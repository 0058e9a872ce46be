package tui

import (
	"context"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/triagectl/triage/triage"
)

// Page is one screen of the drill-down stack: a model, the keys it uses
// (the footer and help render from them), and its size. Only the top page
// gets keys.
type Page interface {
	Init() tea.Cmd
	Update(tea.Msg) (Page, tea.Cmd)
	// View renders exactly the page's area, SetSize's width and height.
	View() string
	SetSize(width, height int)
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
	// Title is the page's breadcrumb.
	Title() string
}

// PageFunc builds a page under ctx, which is cancelled when the page is
// popped: its pending requests die with it.
type PageFunc func(ctx context.Context) Page

// PushMsg asks the app to push a page.
type PushMsg struct{ New PageFunc }

// Push returns the command that pushes a page.
func Push(f PageFunc) tea.Cmd { return func() tea.Msg { return PushMsg{New: f} } }

// PopMsg asks the app to pop the top page.
type PopMsg struct{}

// StatusMsg shows a one-line message in the footer until the next key.
type StatusMsg struct {
	Text string
	Err  bool
}

// Status returns the command that shows a status message.
func Status(text string, isErr bool) tea.Cmd {
	return func() tea.Msg { return StatusMsg{Text: text, Err: isErr} }
}

// Optional page abilities, found by type assertion.

// Filterer is a page with a filter. While Filtering, the page takes every
// key (except ctrl+c) as text. ClearFilter clears an applied filter and
// reports whether there was one, so esc clears before it goes back.
type Filterer interface {
	Filtering() bool
	ClearFilter() bool
}

// Copier names what `y` copies on the page: the query or id behind the
// selected row, and a label for the status line.
type Copier interface {
	CopyTarget() (label, text string, ok bool)
}

// Linker gives the Grafana Explore link behind the selected row.
type Linker interface {
	ExploreLink() (string, bool)
}

// Incident is a page that holds an investigation: the sources panel, the
// silence prompt and the command palette find the nearest one in the stack.
type Incident interface {
	Report() *triage.Report
	Alert() triage.Alert
}

// Commander runs palette commands (":traces"…). Commands lists those it
// knows, for completion.
type Commander interface {
	Commands() []string
	RunCommand(name string) (tea.Cmd, bool)
}

// IncidentsChangedMsg is news from the daemon: its incidents changed (a
// pre-warm finished, an alert arrived or resolved). It carries no data:
// pages read the store again, so a session that missed some news still
// converges.
type IncidentsChangedMsg struct {
	// IDs are the incidents that changed, sorted.
	IDs []string
	// Heartbeat is set when the alert pipeline's heartbeat changed.
	Heartbeat bool
}

// Broadcast marks the news for every page of the stack.
func (IncidentsChangedMsg) Broadcast() {}

// ReportMsg is news of a newer report for an incident: the verdict page
// showing that alert (its fingerprint and start) swaps it in.
type ReportMsg struct {
	Fingerprint string
	StartsAt    time.Time
	Report      *triage.Report
}

// Broadcast marks the news for every page of the stack.
func (ReportMsg) Broadcast() {}
