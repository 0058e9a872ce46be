package console

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/tuitest"
)

// panicPage fails on its first key, as a page bug would.
type panicPage struct{}

func (panicPage) Init() tea.Cmd { return nil }
func (p panicPage) Update(msg tea.Msg) (tui.Page, tea.Cmd) {
	if _, ok := msg.(tea.KeyPressMsg); ok {
		panic("page bug")
	}
	return p, nil
}
func (panicPage) View() string              { return "ALIVE" }
func (panicPage) SetSize(int, int)          {}
func (panicPage) ShortHelp() []key.Binding  { return nil }
func (panicPage) FullHelp() [][]key.Binding { return nil }
func (panicPage) Title() string             { return "panics" }

// A panic in a page ends the program with an error and gives the terminal
// back: the alternate screen is left and the cursor shown again. And
// ctrl+c quits from anywhere, even with a prompt open.
func TestTerminalRestored(t *testing.T) {
	t.Run("after a panic", func(t *testing.T) {
		c := testCommon(t, 80, 24)
		var out syncBuffer
		p := Program(context.Background(), c, func(context.Context) tui.Page { return panicPage{} }, strings.NewReader(""), &out,
			tea.WithWindowSize(80, 24), tea.WithoutSignals())
		done := make(chan error, 1)
		go func() { _, err := p.Run(); done <- err }()
		waitOutput(t, &out, "ALIVE")
		p.Send(tuitest.Press("j"))
		select {
		case err := <-done:
			if !errors.Is(err, tea.ErrProgramPanic) {
				t.Fatalf("Run = %v, want a recovered panic", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the program did not end after the panic")
		}
		raw := out.String()
		if i := strings.LastIndex(raw, "\x1b[?1049l"); i < strings.LastIndex(raw, "\x1b[?1049h") {
			t.Error("the alternate screen was not left")
		}
		if !strings.Contains(raw, "\x1b[?25h") {
			t.Error("the cursor was not shown again")
		}
	})
	t.Run("ctrl+c in a prompt", func(t *testing.T) {
		d := tuitest.Fixture(t)
		c := testCommon(t, 80, 24)
		m := tuitest.Drive(t, tui.NewApp(c, Incident(c, d.Alert, d.Report)), ":", "t")
		_, cmd := m.Update(tuitest.Press("ctrl+c"))
		if cmd == nil {
			t.Fatal("ctrl+c in the palette did nothing")
		}
		if _, ok := cmd().(tea.QuitMsg); !ok {
			t.Error("ctrl+c in the palette does not quit")
		}
	})
}

// waitOutput polls the program's output for want, within a bound.
func waitOutput(t *testing.T, out *syncBuffer, want string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), want); {
		if time.Now().After(deadline) {
			t.Fatalf("the program never drew %q", want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
