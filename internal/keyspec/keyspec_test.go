package keyspec

import (
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in      string
		want    []string
		wantErr string
	}{
		{"s", []string{"s"}, ""},
		{"ctrl+s", []string{"ctrl+s"}, ""},
		{"/, f", []string{"/", "f"}, ""},
		{"G", []string{"G"}, ""},
		{"?", []string{"?"}, ""},
		{"enter", []string{"enter"}, ""},
		{"pgdown,ctrl+f", []string{"pgdown", "ctrl+f"}, ""},
		{"shift+tab", []string{"shift+tab"}, ""},
		{"f5", []string{"f5"}, ""},
		{"ctrl+alt+x", []string{"ctrl+alt+x"}, ""},
		{"ctrl++", []string{"ctrl++"}, ""},
		{"ctrl+c", nil, "reserved"},
		{"s,ctrl+c", nil, "reserved"},
		{"", nil, "names no key"},
		{" , ", nil, "names no key"},
		{"ctlr+s", nil, `unknown modifier "ctlr"`},
		{"alt+ctrl+s", nil, "order ctrl+alt"},
		{"pagedown", nil, `"pagedown" is neither`},
		{"ab", nil, "neither one character"},
	} {
		got, err := Parse(c.in)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("Parse(%q) = %v, %v; want an error with %q", c.in, got, err, c.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("Parse(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

func TestActionsSorted(t *testing.T) {
	if !slices.IsSorted(Actions) {
		t.Fatal("Actions are not sorted")
	}
}
