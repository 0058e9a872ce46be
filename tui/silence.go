package tui

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/triagectl/triage/triage"
)

// silencePrompt asks for a duration, then a comment, then a confirmation,
// before it posts a silence to Alertmanager.
type silencePrompt struct {
	c       *Common
	alert   triage.Alert
	step    int // 0 duration, 1 comment, 2 confirm, 3 posting
	dur     string
	comment string
	err     string
}

type silenceDoneMsg struct {
	id  string
	err error
}

func (a *App) startSilence(inc Incident) tea.Cmd {
	if a.c.Data.Alerts == nil {
		return Status("cannot silence: no Alertmanager configured (sources.alertmanager.url)", true)
	}
	a.silence = &silencePrompt{c: a.c, alert: inc.Alert(), dur: "2h", comment: "investigating in triage"}
	return nil
}

func (a *App) silenceKey(k tea.KeyPressMsg) tea.Cmd {
	p := a.silence
	if p.step == 3 {
		return nil // posting: only ctrl+c, handled before
	}
	field := &p.dur
	if p.step == 1 {
		field = &p.comment
	}
	switch k.String() {
	case "esc":
		a.silence = nil
		return Status("silence cancelled", false)
	case "enter":
		switch p.step {
		case 0:
			d, err := time.ParseDuration(strings.TrimSpace(p.dur))
			if err != nil || d <= 0 || d > 30*24*time.Hour {
				p.err = "want a duration such as 30m, 2h or 24h (at most 720h)"
				return nil
			}
			p.err, p.step = "", 1
		case 1:
			if strings.TrimSpace(p.comment) == "" {
				p.err = "Alertmanager needs a comment"
				return nil
			}
			p.err, p.step = "", 2
		case 2:
			return a.postSilence()
		}
	case "y", "Y":
		if p.step == 2 {
			return a.postSilence()
		}
		*field += k.Text
	case "n", "N":
		if p.step == 2 {
			a.silence = nil
			return Status("silence cancelled", false)
		}
		*field += k.Text
	case "backspace":
		if p.step < 2 {
			if r := []rune(*field); len(r) > 0 {
				*field = string(r[:len(r)-1])
			}
		}
	default:
		if p.step < 2 && k.Text != "" {
			*field += k.Text
		}
	}
	return nil
}

func (a *App) postSilence() tea.Cmd {
	p := a.silence
	p.step = 3
	d, _ := time.ParseDuration(strings.TrimSpace(p.dur))
	alerts, alert, comment, ctx := a.c.Data.Alerts, p.alert, strings.TrimSpace(p.comment), a.c.Ctx
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		id, err := alerts.Silence(ctx, alert, d, comment)
		return silenceDoneMsg{id: id, err: err}
	}
}

func (a *App) silenceDone(m silenceDoneMsg) tea.Cmd {
	a.silence = nil
	if m.err != nil {
		return Status("silence failed: "+Fit(m.err.Error(), 100), true)
	}
	return tea.Batch(tea.SetClipboard(m.id), Status("silenced · id "+Fit(m.id, 40)+" (copied)", false))
}

func (p *silencePrompt) View(w int) string {
	s := p.c.Styles
	title := s.Title.Render("SILENCE ") + s.Text.Render(Fit(p.alert.Name, 30)) + s.Faint.Render(" "+Fit(labelsLine(p.alert.Labels), w-40))
	var line string
	switch p.step {
	case 0:
		line = "duration: " + Fit(p.dur, 20) + "█" + s.Faint.Render("  enter next · esc cancel")
	case 1:
		line = "comment: " + Fit(p.comment, w-30) + "█" + s.Faint.Render("  enter next")
	case 2:
		line = fmt.Sprintf("silence for %s: %q? ", Fit(p.dur, 10), Fit(p.comment, w-40)) + s.Accent.Render("y") + "/" + s.Accent.Render("n")
	case 3:
		line = s.Faint.Render("posting the silence to Alertmanager…")
	}
	out := Truncate(title, w, "…") + "\n" + Truncate(" "+line, w, "…")
	if p.err != "" {
		out += "\n" + s.Unknown.Render(Truncate(" ✖ "+p.err, w, "…"))
	}
	return out
}

// labelsLine renders labels as {k="v", …} in key order.
func labelsLine(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + strconv.Quote(l[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
