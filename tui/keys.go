package tui

import (
	"fmt"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"

	"github.com/triagectl/triage/internal/keyspec"
)

// KeyMap holds every key of the console. Pages show the bindings they use
// in the footer and in help; config can remap any of them by action name.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Left, Right                             key.Binding
	Enter, Back, Quit, ForceQuit            key.Binding
	Help, Filter, Command, Sources          key.Binding
	Traces, Logs, Users, Services           key.Binding
	Silence, Copy, Open, Refresh, Export    key.Binding
	Tab, Wrap, Toggle                       key.Binding
	// Compare sets a trace beside a healthy one of its route.
	Compare key.Binding
	// The filter prompt's own keys: apply, clear, delete a character.
	FilterApply, FilterClear, FilterDelete key.Binding
}

// DefaultKeyMap follows k9s habits.
func DefaultKeyMap() *KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return &KeyMap{
		Up:        b("↑/k", "up", "up", "k"),
		Down:      b("↓/j", "down", "down", "j"),
		PageUp:    b("pgup", "page up", "pgup", "ctrl+b"),
		PageDown:  b("pgdn", "page down", "pgdown", "ctrl+f"),
		Top:       b("g", "top", "g", "home"),
		Bottom:    b("G", "bottom", "G", "end"),
		Left:      b("←/h", "collapse", "left", "h"),
		Right:     b("→/l", "expand", "right"),
		Enter:     b("enter", "drill", "enter"),
		Back:      b("esc", "back", "esc"),
		Quit:      b("q", "quit", "q"),
		ForceQuit: b("ctrl+c", "quit", "ctrl+c"),
		Help:      b("?", "help", "?"),
		Filter:    b("/", "filter", "/"),
		Command:   b(":", "command", ":"),
		Sources:   b("S", "sources", "S"),
		Traces:    b("t", "traces", "t"),
		Logs:      b("l", "logs", "l"),
		Users:     b("u", "users", "u"),
		Services:  b("v", "services", "v"),
		Silence:   b("s", "silence", "s"),
		Copy:      b("y", "copy", "y"),
		Open:      b("o", "grafana link", "o"),
		Refresh:   b("r", "refresh", "r"),
		Export:    b("e", "export report", "e"),
		Tab:       b("tab", "next section", "tab"),
		Wrap:      b("w", "wrap", "w"),
		Toggle:    b("space", "fold", "space"),
		Compare:   b("c", "compare with a healthy trace", "c"),

		FilterApply:  b("enter", "apply the filter", "enter"),
		FilterClear:  b("esc", "clear the filter", "esc"),
		FilterDelete: b("backspace", "delete a character", "backspace", "ctrl+h"),
	}
}

// bindings names each binding for config remapping.
func (k *KeyMap) bindings() map[string]*key.Binding {
	return map[string]*key.Binding{
		"up": &k.Up, "down": &k.Down, "page_up": &k.PageUp, "page_down": &k.PageDown, "top": &k.Top, "bottom": &k.Bottom,
		"left": &k.Left, "right": &k.Right, "enter": &k.Enter, "back": &k.Back, "quit": &k.Quit,
		"help": &k.Help, "filter": &k.Filter, "command": &k.Command, "sources": &k.Sources,
		"traces": &k.Traces, "logs": &k.Logs, "users": &k.Users, "services": &k.Services,
		"silence": &k.Silence, "copy": &k.Copy, "open": &k.Open, "refresh": &k.Refresh, "export": &k.Export,
		"tab": &k.Tab, "wrap": &k.Wrap, "toggle": &k.Toggle, "compare": &k.Compare,
		"filter_apply": &k.FilterApply, "filter_clear": &k.FilterClear, "filter_delete": &k.FilterDelete,
	}
}

// Actions lists the names config can remap.
func (k *KeyMap) Actions() []string {
	var out []string
	for n := range k.bindings() {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Remap applies config's `keys:` section: action name to a comma-separated
// list of keys. ctrl+c is not remappable: it must always quit. Config
// validation has checked the same with keyspec before the console starts.
func (k *KeyMap) Remap(m map[string]string) error {
	all := k.bindings()
	for action, keys := range m {
		b, ok := all[strings.ToLower(action)]
		if !ok {
			return fmt.Errorf("keys.%s: unknown action; want one of %s", action, strings.Join(keyspec.Actions, ", "))
		}
		ks, err := keyspec.Parse(keys)
		if err != nil {
			return fmt.Errorf("keys.%s = %q: %w", action, keys, err)
		}
		b.SetKeys(ks...)
		b.SetHelp(strings.Join(ks, "/"), b.Help().Desc)
	}
	return nil
}
