package tui

import (
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
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
