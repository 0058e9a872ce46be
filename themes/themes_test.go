package themes

import (
	"image/color"
	"reflect"
	"testing"

	"charm.land/lipgloss/v2"
)

func TestSelect(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, tc := range []struct {
		name, theme string
		env         map[string]string
		want        string
		err         bool
	}{
		{"default", "", nil, "dark", false},
		{"configured", "light", nil, "light", false},
		{"case and spaces", " High-Contrast ", nil, "high-contrast", false},
		{"NO_COLOR forces mono", "light", map[string]string{"NO_COLOR": "1"}, "mono", false},
		{"NO_COLOR empty is unset", "light", map[string]string{"NO_COLOR": ""}, "light", false},
		{"unknown", "neon", nil, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			th, err := Select(tc.theme, env(tc.env))
			if (err != nil) != tc.err || (err == nil && th.Name != tc.want) {
				t.Fatalf("Select(%q) = %s, %v; want %s (error %v)", tc.theme, th.Name, err, tc.want, tc.err)
			}
		})
	}
}

// Every token of the coloured themes is one of the 16 ANSI colours, so
// they read on 16-colour terminals; mono has no colour at all.
func TestThemesUseOnlyTheSixteenColours(t *testing.T) {
	for _, name := range Names() {
		th, _ := ByName(name)
		v := reflect.ValueOf(th)
		for i := 0; i < v.NumField(); i++ {
			c, ok := v.Field(i).Interface().(color.Color)
			if !ok {
				continue
			}
			field := v.Type().Field(i).Name
			if th.Mono {
				if _, none := c.(lipgloss.NoColor); !none {
					t.Errorf("mono.%s has a colour %v", field, c)
				}
				continue
			}
			idx, ok := c.(lipgloss.ANSIColor)
			if !ok || idx > 15 {
				t.Errorf("%s.%s = %#v, want one of the 16 ANSI colours", name, field, c)
			}
		}
	}
}
