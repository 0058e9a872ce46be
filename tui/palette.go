package tui

import (
	"sort"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// palette is the `:` command line, with completion from the commands the
// stack's pages know.
type palette struct {
	c        *Common
	input    string
	commands []string
	choice   int
}

func newPalette(c *Common, commands []string) *palette {
	return &palette{c: c, commands: commands}
}

// matches lists the commands that start with the input, then those that
// contain it.
func (p *palette) matches() []string {
	in := strings.ToLower(strings.TrimSpace(p.input))
	var pre, sub []string
	for _, c := range p.commands {
		switch {
		case strings.HasPrefix(c, in):
			pre = append(pre, c)
		case strings.Contains(c, in):
			sub = append(sub, c)
		}
	}
	return append(pre, sub...)
}

func (p *palette) View(w int) string {
	s := p.c.Styles
	m := p.matches()
	var hints []string
	for i, c := range m {
		if i == p.choice {
			hints = append(hints, s.Selected.Render(c))
		} else {
			hints = append(hints, s.Faint.Render(c))
		}
	}
	line1 := " " + strings.Join(hints, " ")
	if len(m) == 0 {
		line1 = s.Unknown.Render(" no such command")
	}
	line2 := s.Accent.Render(":") + Fit(p.input, w-3) + "█" + s.Faint.Render("  tab completes · enter runs · esc closes")
	return ansi.Truncate(line1, w, "…") + "\n" + ansi.Truncate(line2, w, "…")
}

// commands are the console's own plus those of every page in the stack.
func (a *App) commands() []string {
	set := map[string]bool{"help": true, "quit": true, "back": true}
	if inc, _ := a.nearestIncident(); inc != nil {
		set["sources"], set["silence"] = true, true
	}
	for _, p := range a.stack {
		if c, ok := p.(Commander); ok {
			for _, n := range c.Commands() {
				set[n] = true
			}
		}
	}
	var out []string
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (a *App) paletteKey(k tea.KeyPressMsg) tea.Cmd {
	p := a.palette
	switch k.String() {
	case "esc":
		a.palette = nil
	case "tab":
		if m := p.matches(); len(m) > 0 {
			p.input, p.choice = m[min(p.choice, len(m)-1)], 0
		}
	case "up", "shift+tab":
		p.choice = max(p.choice-1, 0)
	case "down":
		p.choice = min(p.choice+1, max(len(p.matches())-1, 0))
	case "backspace":
		if r := []rune(p.input); len(r) > 0 {
			p.input, p.choice = string(r[:len(r)-1]), 0
		}
	case "enter":
		m := p.matches()
		a.palette = nil
		name := strings.TrimSpace(p.input)
		if len(m) > 0 && !contains(m, name) {
			name = m[min(p.choice, len(m)-1)]
		}
		return a.runCommand(name)
	default:
		if k.Text != "" {
			p.input += k.Text
			p.choice = 0
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// runCommand runs a palette command: the console's own, or the nearest
// page that knows it, after popping the pages above that page (k9s: a
// command switches view).
func (a *App) runCommand(name string) tea.Cmd {
	switch name {
	case "":
		return nil
	case "quit":
		a.quitting = true
		return tea.Quit
	case "help":
		a.help = true
		return nil
	case "back":
		a.pop()
		return nil
	case "sources":
		if inc, _ := a.nearestIncident(); inc != nil {
			a.sources = true
		}
		return nil
	case "silence":
		if inc, _ := a.nearestIncident(); inc != nil {
			return a.startSilence(inc)
		}
		return nil
	}
	for i := len(a.stack) - 1; i >= 0; i-- {
		c, ok := a.stack[i].(Commander)
		if !ok || !contains(c.Commands(), name) {
			continue
		}
		for len(a.stack) > i+1 {
			a.pop()
		}
		cmd, _ := c.RunCommand(name)
		return cmd
	}
	return Status("unknown command :"+Fit(name, 30), true)
}
