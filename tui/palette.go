package tui

import (
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// palette is the `:` command line, with completion from the commands the
// stack's pages know.
type palette struct {
	c        *Common
	input    FilterInput
	commands []string
	choice   int
}

func newPalette(c *Common, commands []string) *palette {
	p := &palette{c: c, commands: commands, input: NewFilterInput(c.Keys)}
	p.input.Start()
	return p
}

// matches lists the commands that start with the input, then those that
// contain it.
func (p *palette) matches() []string {
	in := strings.ToLower(strings.TrimSpace(p.input.Value()))
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
	switch id, arg, ok := p.traceArg(); {
	case ok && id != "":
		line1 = " " + s.Accent.Render(p.c.Keys.FilterApply.Help().Key) + s.Text.Render(" opens trace "+id)
	case ok:
		line1 = s.Unknown.Render(" not a trace id: " + Fit(arg, 40) + " (want up to 32 hex digits)")
	case len(m) == 0:
		line1 = s.Unknown.Render(" no such command")
	}
	keys := p.c.Keys
	line2 := s.Accent.Render(":") + strings.TrimPrefix(ansi.Strip(p.input.Prompt(s, w-3)), "/") +
		s.Faint.Render("  "+keys.Tab.Help().Key+" completes · "+keys.FilterApply.Help().Key+" runs · "+keys.FilterClear.Help().Key+" closes")
	return Truncate(line1, w, "…") + "\n" + Truncate(line2, w, "…")
}

// traceArg reads the input as a trace to open: ":trace <id>", or an id
// pasted alone. ok says the input is one of those; id is empty when its
// argument is no trace id.
func (p *palette) traceArg() (id, arg string, ok bool) {
	in := strings.TrimSpace(p.input.Value())
	if cmd, rest, found := strings.Cut(in, " "); found && strings.EqualFold(cmd, "trace") {
		arg = strings.TrimSpace(rest)
		id, _ = ParseTraceID(arg, true)
		return id, arg, true
	}
	if id, found := ParseTraceID(in, false); found {
		return id, in, true
	}
	return "", in, false
}

// commands are the console's own plus those of every page in the stack.
func (a *App) commands() []string {
	set := map[string]bool{"help": true, "quit": true, "back": true}
	if a.c.Nav.Trace != nil {
		set["trace"] = true
	}
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
	p, keys := a.palette, a.c.Keys
	switch {
	case key.Matches(k, keys.FilterClear):
		a.palette = nil
	case key.Matches(k, keys.Tab):
		if m := p.matches(); len(m) > 0 {
			p.input.Set(m[min(p.choice, len(m)-1)])
			p.input.Start()
			p.choice = 0
		}
	case k.String() == "up" || k.String() == "shift+tab":
		p.choice = max(p.choice-1, 0)
	case k.String() == "down":
		p.choice = min(p.choice+1, max(len(p.matches())-1, 0))
	case key.Matches(k, keys.FilterApply):
		if id, arg, ok := p.traceArg(); ok {
			if id == "" {
				return Status("not a trace id: "+Fit(arg, 40)+" (want up to 32 hex digits)", true)
			}
			a.palette = nil
			return a.openTrace(id)
		}
		m := p.matches()
		a.palette = nil
		name := strings.TrimSpace(p.input.Value())
		if len(m) > 0 && !contains(m, name) {
			name = m[min(p.choice, len(m)-1)]
		}
		return a.runCommand(name)
	default:
		if _, changed := p.input.Update(k); changed {
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
		a.openPanel(panelHelp)
		return nil
	case "back":
		a.pop()
		return nil
	case "sources":
		if inc, _ := a.nearestIncident(); inc != nil {
			a.openPanel(panelSources)
		}
		return nil
	case "silence":
		if inc, _ := a.nearestIncident(); inc != nil {
			return a.startSilence(inc)
		}
		return nil
	case "trace":
		return Status("which trace? :trace <id>, or paste an id", true)
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
