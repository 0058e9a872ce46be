package themes

import (
	"image/color"
	"math"
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
			if IsDefault(c) {
				continue // the terminal's own foreground
			}
			idx, ok := c.(lipgloss.ANSIColor)
			if !ok || idx > 15 {
				t.Errorf("%s.%s = %#v, want one of the 16 ANSI colours", name, field, c)
			}
		}
	}
}

// palette is a terminal's 16 colours and its background.
type palette struct {
	name   string
	bg     uint32
	colors [16]uint32
}

var (
	xtermColors = [16]uint32{0x000000, 0xcd0000, 0x00cd00, 0xcdcd00, 0x0000ee, 0xcd00cd, 0x00cdcd, 0xe5e5e5,
		0x7f7f7f, 0xff0000, 0x00ff00, 0xffff00, 0x5c5cff, 0xff00ff, 0x00ffff, 0xffffff}
	// Solarized maps its base tones onto the bright colours: bright black
	// is the dark variant's background.
	solarized = [16]uint32{0x073642, 0xdc322f, 0x859900, 0xb58900, 0x268bd2, 0xd33682, 0x2aa198, 0xeee8d5,
		0x002b36, 0xcb4b16, 0x586e75, 0x657b83, 0x839496, 0x6c71c4, 0x93a1a1, 0xfdf6e3}
	darkPalettes = []palette{
		{"xterm on black", 0x000000, xtermColors},
		{"Solarized dark", 0x002b36, solarized},
	}
	lightPalettes = []palette{
		{"xterm on white", 0xffffff, xtermColors},
		{"Solarized light", 0xfdf6e3, solarized},
	}
)

// luminance is a colour's relative luminance (WCAG 2).
func luminance(rgb uint32) float64 {
	lin := func(c uint32) float64 {
		v := float64(c) / 255
		if v <= 0.03928 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(rgb>>16&0xff) + 0.7152*lin(rgb>>8&0xff) + 0.0722*lin(rgb&0xff)
}

func contrast(a, b uint32) float64 {
	la, lb := luminance(a), luminance(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// Every token drawn as text stands out from the background on the
// palettes its theme is meant for, Solarized's among them (where bright
// black is the background itself), and the cursor row's text from its
// bar. Default tokens are the terminal's own foreground: always readable.
func TestThemesReadOnCommonPalettes(t *testing.T) {
	const minContrast = 2.0
	for name, pals := range map[string][]palette{"dark": darkPalettes, "high-contrast": darkPalettes, "light": lightPalettes} {
		th, _ := ByName(name)
		v := reflect.ValueOf(th)
		for _, pal := range pals {
			rgb := func(c color.Color) (uint32, bool) {
				idx, ok := c.(lipgloss.ANSIColor)
				if !ok {
					return 0, false
				}
				return pal.colors[idx], true
			}
			for i := 0; i < v.NumField(); i++ {
				field := v.Type().Field(i).Name
				c, ok := v.Field(i).Interface().(color.Color)
				if !ok || field == "SelectedBg" || field == "SelectedFg" {
					continue
				}
				if fg, ok := rgb(c); ok && contrast(fg, pal.bg) < minContrast {
					t.Errorf("%s on %s: %s (colour %v) has contrast %.2f with the background, want at least %.1f",
						name, pal.name, field, c, contrast(fg, pal.bg), minContrast)
				}
			}
			fg, okf := rgb(th.SelectedFg)
			bg, okb := rgb(th.SelectedBg)
			if okf && okb && contrast(fg, bg) < minContrast {
				t.Errorf("%s on %s: the cursor row's text has contrast %.2f with its bar", name, pal.name, contrast(fg, bg))
			}
		}
	}
}
