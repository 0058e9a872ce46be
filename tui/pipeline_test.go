package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/triagectl/triage/themes"
)

type blankPage struct{}

func (blankPage) Init() tea.Cmd                    { return nil }
func (p blankPage) Update(tea.Msg) (Page, tea.Cmd) { return p, nil }
func (blankPage) View() string                     { return "body" }
func (blankPage) SetSize(int, int)                 {}
func (blankPage) ShortHelp() []key.Binding         { return nil }
func (blankPage) FullHelp() [][]key.Binding        { return nil }
func (blankPage) Title() string                    { return "Incidents" }

// The dead man's switch reads as words and a symbol, not colour alone.
func TestPipelineHeader(t *testing.T) {
	now := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		h    PipelineHealth
		want string
	}{
		{"beating", PipelineHealth{LastBeat: now.Add(-40 * time.Second)}, "● alert pipeline ok · heartbeat 40s ago"},
		{"silent", PipelineHealth{LastBeat: now.Add(-12 * time.Minute), Silent: true}, "✖ ALERT PIPELINE SILENT 12m"},
		{"never beat", PipelineHealth{Silent: true}, "✖ ALERT PIPELINE SILENT: no heartbeat yet"},
		{"waiting", PipelineHealth{}, "○ alert pipeline: waiting for a heartbeat"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewCommon(context.Background(), themes.Mono(), Data{})
			c.Now = func() time.Time { return now }
			c.Pipeline = func() PipelineHealth { return tc.h }
			a := NewApp(c, func(context.Context) Page { return blankPage{} })
			first := strings.SplitN(ansi.Strip(a.View().Content), "\n", 2)[0]
			if !strings.Contains(first, tc.want) || !strings.Contains(first, "Incidents") {
				t.Errorf("header %q, want %q and the breadcrumbs", first, tc.want)
			}
		})
	}
}
