package tui

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/triagectl/triage/internal/keyspec"
	"github.com/triagectl/triage/themes"
)

func TestRemap(t *testing.T) {
	k := DefaultKeyMap()
	if err := k.Remap(map[string]string{"silence": "ctrl+s", "filter": "/, f"}); err != nil {
		t.Fatal(err)
	}
	ctrlS := tea.KeyPressMsg{Code: 's', Mod: tea.ModCtrl}
	if !key.Matches(ctrlS, k.Silence) || key.Matches(tea.KeyPressMsg{Code: 's', Text: "s"}, k.Silence) {
		t.Error("silence not moved to ctrl+s")
	}
	if !key.Matches(tea.KeyPressMsg{Code: 'f', Text: "f"}, k.Filter) || k.Silence.Help().Key != "ctrl+s" || k.Silence.Help().Desc != "silence" {
		t.Errorf("filter %v, silence help %+v", k.Filter.Keys(), k.Silence.Help())
	}
	for _, bad := range []map[string]string{{"nope": "x"}, {"quit": "ctrl+c"}, {"help": " , "}} {
		if err := DefaultKeyMap().Remap(bad); err == nil || !strings.Contains(err.Error(), "keys.") {
			t.Errorf("Remap(%v) = %v, want an error naming the key", bad, err)
		}
	}
}

// The filter prompt's own keys are remapped like any other: a list's
// filter applies on the remapped key, clears on the other, and the old
// keys are then text.
func TestRemapFilterKeys(t *testing.T) {
	c := NewCommon(t.Context(), themes.Mono(), Data{})
	if err := c.Keys.Remap(map[string]string{"filter_apply": "ctrl+j", "filter_clear": "ctrl+g", "filter_delete": "ctrl+d"}); err != nil {
		t.Fatal(err)
	}
	l := NewList(c, Column{Title: "name"})
	l.SetSize(40, 10)
	l.SetRows([]Row{{Cells: []string{"payments"}, Key: "p"}, {Cells: []string{"checkout"}, Key: "c"}})
	press := func(msgs ...tea.KeyPressMsg) {
		for _, m := range msgs {
			l.Update(m)
		}
	}
	text := func(s string) tea.KeyPressMsg { return tea.KeyPressMsg{Code: rune(s[0]), Text: s} }
	press(text("/"), text("p"), text("a"), text("y"), tea.KeyPressMsg{Code: 'd', Mod: tea.ModCtrl})
	if got := l.Filter(); got != "pa" {
		t.Fatalf("filter %q after p, a, y and the remapped delete; want pa", got)
	}
	press(tea.KeyPressMsg{Code: tea.KeyEnter})
	if !l.Filtering() || l.Filter() != "pa" {
		t.Fatalf("enter is no longer the apply key, yet it ended the prompt (filter %q)", l.Filter())
	}
	press(tea.KeyPressMsg{Code: 'j', Mod: tea.ModCtrl})
	if l.Filtering() || l.Len() != 1 {
		t.Fatalf("the remapped apply key: filtering %v, %d rows", l.Filtering(), l.Len())
	}
	press(text("/"), tea.KeyPressMsg{Code: 'g', Mod: tea.ModCtrl})
	if l.Filtering() || l.Filter() != "" || l.Len() != 2 {
		t.Fatalf("the remapped clear key: filtering %v, filter %q", l.Filtering(), l.Filter())
	}
}

// Config validation knows the actions and key syntax through keyspec; the
// keymap has exactly those actions, and its own keys pass the same check.
func TestKeymapMatchesKeyspec(t *testing.T) {
	k := DefaultKeyMap()
	if got := k.Actions(); !slices.Equal(got, keyspec.Actions) {
		t.Fatalf("keymap actions %v, keyspec %v", got, keyspec.Actions)
	}
	for name, b := range k.bindings() {
		for _, ks := range b.Keys() {
			if err := keyspec.CheckKey(ks); err != nil && ks != keyspec.ForceQuit {
				t.Errorf("%s: default key %q: %v", name, ks, err)
			}
		}
	}
}

// keyspec's key names, which config checks keys against without linking
// bubbletea, are exactly the names bubbletea gives its named keys.
func TestKeyspecNamesAreBubbleteas(t *testing.T) {
	got := map[string]bool{}
	for _, c := range []rune{tea.KeyEnter, tea.KeyTab, tea.KeyBackspace, tea.KeyEscape, tea.KeySpace} {
		got[tea.Key{Code: c}.String()] = true
	}
	for c := tea.KeyExtended + 1; c < tea.KeyExtended+512; c++ {
		if s := (tea.Key{Code: c}).String(); utf8.RuneCountInString(s) > 1 && !strings.ContainsRune(s, utf8.RuneError) {
			got[s] = true
		}
	}
	var names []string
	for n := range got {
		names = append(names, n)
	}
	slices.Sort(names)
	if !slices.Equal(names, keyspec.Named()) {
		t.Fatalf("bubbletea names keys %v\nkeyspec knows %v", names, keyspec.Named())
	}
}
