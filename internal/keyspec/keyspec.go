// Package keyspec is what config and the console agree on about keys: the
// names of the console's remappable actions and the syntax of a key, so
// that config is checked at start-up without importing the console.
package keyspec

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Actions are the console's remappable actions, by the names config's
// keys: section uses, sorted. The console's keymap has one binding per
// name (checked by its tests).
var Actions = []string{
	"back", "bottom", "command", "compare", "copy", "down", "enter", "export", "filter", "filter_apply", "filter_clear",
	"filter_delete", "help", "left", "logs", "open", "page_down", "page_up", "quit", "refresh", "right",
	"services", "silence", "sources", "tab", "toggle", "top", "traces", "up", "users", "wrap",
}

// ForceQuit always quits and gives the terminal back; no action may take
// it.
const ForceQuit = "ctrl+c"

// modifiers in the order the console writes them: a key written in another
// order would never match.
var modifiers = []string{"ctrl", "alt", "shift", "meta", "hyper", "super"}

// named are the keys with a name, as the console's key events write them
// (bubbletea's Key.String; the console's tests check each one against it).
// Kept here rather than read from bubbletea, so that config, which the
// daemon links, links no UI.
var named = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range strings.Fields(`backspace begin capslock comma delete div down end enter equal esc
		find home insert isolevel3shift isolevel5shift left leftalt leftctrl lefthyper leftmeta leftshift
		leftsuper lowervol mediafastforward medianext mediapause mediaplay mediaplaypause mediaprev
		mediarecord mediareverse mediarewind mediastop menu minus mul mute numlock pause period pgdown pgup
		plus printscreen raisevol right rightalt rightctrl righthyper rightmeta rightshift rightsuper
		scrolllock select sep space tab up`) {
		m[k] = true
	}
	for i := 1; i <= 63; i++ {
		m[fmt.Sprintf("f%d", i)] = true
	}
	return m
}()

// Named lists the key names, sorted.
func Named() []string {
	out := make([]string, 0, len(named))
	for k := range named {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Expected says what a key binding looks like, for error messages.
const Expected = `keys such as "s", "ctrl+s" or "/,f" (comma-separated; ctrl+c is reserved)`

// Parse reads one action's config value, a comma-separated list of keys,
// and says what is wrong with it.
func Parse(value string) ([]string, error) {
	var keys []string
	for _, k := range strings.Split(value, ",") {
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		if err := CheckKey(k); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("names no key")
	}
	return keys, nil
}

// CheckKey says what is wrong with one key name, or nil.
func CheckKey(k string) error {
	if k == ForceQuit {
		return fmt.Errorf("%s is reserved: it always quits", ForceQuit)
	}
	parts := strings.Split(k, "+")
	base, mods := parts[len(parts)-1], parts[:len(parts)-1]
	if base == "" && len(mods) > 0 {
		// "ctrl++" binds ctrl and the plus key.
		base, mods = "+", mods[:len(mods)-1]
	}
	last := -1
	for _, m := range mods {
		i := slices.Index(modifiers, m)
		if i < 0 {
			return fmt.Errorf("%q: unknown modifier %q (want %s)", k, m, strings.Join(modifiers, ", "))
		}
		if i <= last {
			return fmt.Errorf("%q: write the modifiers in the order %s", k, strings.Join(modifiers, "+"))
		}
		last = i
	}
	if named[base] {
		return nil
	}
	if r, size := utf8.DecodeRuneInString(base); size == len(base) && r != utf8.RuneError && unicode.IsGraphic(r) && !unicode.IsSpace(r) {
		return nil
	}
	return fmt.Errorf("%q: %q is neither one character nor a key name such as enter, esc, tab, space, up, pgdown, f1", k, base)
}
