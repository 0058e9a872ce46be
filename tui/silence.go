package tui

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/prometheus/common/model"

	"github.com/triagectl/triage/triage"
)

// The silence prompt's steps.
const (
	stepDuration = iota
	stepComment
	stepConfirm
	stepPosting
)

// Defaults the prompt offers as placeholders: enter on an empty field
// takes them.
const (
	defaultSilenceFor     = "2h"
	defaultSilenceComment = "investigating in triage"
	maxSilence            = 30 * 24 * time.Hour
)

// silencePrompt asks for a duration, then a comment, then a confirmation
// whose default is No (enter alone never silences, as in k9s), before it
// posts a silence to Alertmanager.
type silencePrompt struct {
	c       *Common
	alert   triage.Alert
	step    int
	dur     FilterInput
	comment FilterInput
	yes     bool // the confirmation's choice; No until changed
	d       time.Duration
	err     string
}

type silenceDoneMsg struct {
	id  string
	err error
}

func (a *App) startSilence(inc Incident) tea.Cmd {
	switch {
	case a.c.Demo:
		return Status("silencing is not available in the demo: its alert is recorded, not live", true)
	case a.c.Recorded:
		return Status("silencing is not available in a bundle: it replays a recorded incident; open the alert live to silence it", true)
	case a.c.Data.Alerts == nil:
		return Status("cannot silence: no Alertmanager configured (sources.alertmanager.url)", true)
	}
	p := &silencePrompt{c: a.c, alert: inc.Alert(), dur: NewFilterInput(a.c.Keys), comment: NewFilterInput(a.c.Keys)}
	p.dur.SetPlaceholder(defaultSilenceFor)
	p.comment.SetPlaceholder(defaultSilenceComment)
	p.dur.Start()
	a.silence = p
	return nil
}

// ParseSilenceDuration reads a duration as amtool does (90m, 2h, 1d, 1w,
// 1h30m); it must be positive and at most 30 days.
func ParseSilenceDuration(s string) (time.Duration, error) {
	d, err := model.ParseDuration(strings.TrimSpace(s))
	if err != nil || d <= 0 || time.Duration(d) > maxSilence {
		return 0, errSilenceDuration
	}
	return time.Duration(d), nil
}

type silenceError string

func (e silenceError) Error() string { return string(e) }

const errSilenceDuration = silenceError("want a duration such as 90m, 2h, 1d or 1w (at most 30d)")

// value is a field's text, or its placeholder when nothing was typed.
func value(f *FilterInput) string {
	if v := strings.TrimSpace(f.Value()); v != "" {
		return v
	}
	return f.Placeholder()
}

func (a *App) silenceKey(k tea.KeyPressMsg) tea.Cmd {
	p, keys := a.silence, a.c.Keys
	if p.step == stepPosting {
		return nil // posting: only ctrl+c, handled before
	}
	if key.Matches(k, keys.Back) {
		a.silence = nil
		return Status("silence cancelled", false)
	}
	if p.step == stepConfirm {
		return a.confirmKey(k)
	}
	field := &p.dur
	if p.step == stepComment {
		field = &p.comment
	}
	if !key.Matches(k, keys.Enter) {
		p.input(k)
		return nil
	}
	switch p.step {
	case stepDuration:
		d, err := ParseSilenceDuration(value(field))
		if err != nil {
			p.err = err.Error()
			return nil
		}
		p.d, p.err, p.step = d, "", stepComment
		p.comment.Start()
	case stepComment:
		if value(field) == "" {
			p.err = "Alertmanager needs a comment"
			return nil
		}
		p.err, p.step, p.yes = "", stepConfirm, false
	}
	return nil
}

// input hands a key or a paste to the field being typed.
func (p *silencePrompt) input(msg tea.Msg) {
	f := &p.dur
	if p.step == stepComment {
		f = &p.comment
	}
	if p.step == stepDuration || p.step == stepComment {
		f.Update(msg)
		f.Start() // the filter's own apply and clear keys do not end a field
		p.err = ""
	}
}

// confirmKey answers the confirmation: y posts, n cancels, the arrows and
// tab move between No and Yes, enter takes the one selected (No at first).
func (a *App) confirmKey(k tea.KeyPressMsg) tea.Cmd {
	p, keys := a.silence, a.c.Keys
	switch {
	case k.String() == "y" || k.String() == "Y":
		return a.postSilence()
	case k.String() == "n" || k.String() == "N":
		a.silence = nil
		return Status("silence cancelled", false)
	case key.Matches(k, keys.Left, keys.Right, keys.Tab) || k.String() == "shift+tab":
		p.yes = !p.yes
	case key.Matches(k, keys.Enter):
		if p.yes {
			return a.postSilence()
		}
		a.silence = nil
		return Status("silence cancelled: No was selected", false)
	}
	return nil
}

func (a *App) postSilence() tea.Cmd {
	p := a.silence
	p.step = stepPosting
	alerts, alert, d, comment, ctx := a.c.Data.Alerts, p.alert, p.d, value(&p.comment), a.c.Ctx
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
	keys := p.c.Keys
	title := s.Title.Render("SILENCE ") + s.Text.Render(Fit(p.alert.Name, 30)) + s.Faint.Render(" "+Fit(labelsLine(p.alert.Labels), w-40))
	hint := func(h string) string { return s.Faint.Render("  " + h) }
	var line string
	switch p.step {
	case stepDuration:
		line = "for: " + p.dur.Field(s, 12) + hint("90m · 2h · 1d · 1w · "+keys.Enter.Help().Key+" next · "+keys.Back.Help().Key+" cancels")
	case stepComment:
		line = "comment: " + p.comment.Field(s, max(w-40, 12)) + hint(keys.Enter.Help().Key+" next · "+keys.Back.Help().Key+" cancels")
	case stepConfirm:
		no, yes := " No ", " Yes "
		if p.yes {
			no, yes = s.Faint.Render(no), s.Selected.Render("▸"+yes)
		} else {
			no, yes = s.Selected.Render("▸"+no), s.Faint.Render(yes)
		}
		tail := "? " + no + " " + yes + hint("y/n")
		head := "silence for " + Fit(value(&p.dur), 10) + ": "
		room := w - 2 - Width(head) - Width(tail) - 2
		line = head + strconv.Quote(Fit(value(&p.comment), max(room, 10))) + tail
	case stepPosting:
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
