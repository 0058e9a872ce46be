package themes

import (
	"fmt"
	"image/color"
	"sort"
	"strings"

	"charm.land/lipgloss/v2"
)

// Theme is a set of semantic colour tokens. Components never pick colours
// themselves: the console's styles are built from one Theme, so a token
// means the same thing on every page.
//
// The built-in themes use the 16 ANSI colours only, so they stay readable
// on 16-colour terminals and follow the terminal's own palette. Colour is
// never the only signal: every state and severity also has a symbol.
//
// Default (no colour) in a coloured theme is the terminal's own
// foreground; the console draws the faint tokens (Faint, Border,
// LevelDebug) in it with the faint attribute. ANSI 8, bright black, is
// not used: Solarized-like palettes make it the background colour, and
// what was drawn in it vanishes.
type Theme struct {
	Name string
	// Mono themes carry no colour at all; emphasis is bold, underline and
	// reverse video only.
	Mono bool

	Text, Faint, Accent, Border color.Color
	// SelectedFg/SelectedBg mark the cursor row.
	SelectedFg, SelectedBg color.Color

	SevCritical, SevWarning, SevInfo color.Color

	// Source and section states.
	OK, Slow, Partial, Failed, Unknown color.Color

	// Waterfall highlights.
	ErrorPath, CriticalPath color.Color

	// Log levels.
	LevelError, LevelWarn, LevelInfo, LevelDebug color.Color
}

func ansi(n int) color.Color { return lipgloss.ANSIColor(n) }

// Default is the terminal's default colour.
var Default color.Color = lipgloss.NoColor{}

// IsDefault reports whether c is the terminal's default colour.
func IsDefault(c color.Color) bool {
	_, ok := c.(lipgloss.NoColor)
	return ok
}

// The 16 ANSI colour indexes.
const (
	black = iota
	red
	green
	yellow
	blue
	magenta
	cyan
	white
	brightBlack
	brightRed
	brightGreen
	brightYellow
	brightBlue
	brightMagenta
	brightCyan
	brightWhite
)

// Dark is for dark terminal backgrounds.
func Dark() Theme {
	return Theme{
		Name: "dark", Text: ansi(white), Faint: Default, Accent: ansi(brightCyan), Border: Default,
		SelectedFg: ansi(black), SelectedBg: ansi(cyan),
		SevCritical: ansi(brightRed), SevWarning: ansi(brightYellow), SevInfo: ansi(brightBlue),
		OK: ansi(brightGreen), Slow: ansi(brightYellow), Partial: ansi(yellow), Failed: ansi(brightRed), Unknown: ansi(brightMagenta),
		ErrorPath: ansi(brightRed), CriticalPath: ansi(brightYellow),
		LevelError: ansi(brightRed), LevelWarn: ansi(brightYellow), LevelInfo: ansi(white), LevelDebug: Default,
	}
}

// Light is for light terminal backgrounds: no bright yellows, which vanish
// on white.
func Light() Theme {
	return Theme{
		Name: "light", Text: ansi(black), Faint: Default, Accent: ansi(blue), Border: Default,
		SelectedFg: ansi(brightWhite), SelectedBg: ansi(blue),
		SevCritical: ansi(red), SevWarning: ansi(magenta), SevInfo: ansi(blue),
		OK: ansi(green), Slow: ansi(magenta), Partial: ansi(magenta), Failed: ansi(red), Unknown: ansi(magenta),
		ErrorPath: ansi(red), CriticalPath: ansi(magenta),
		LevelError: ansi(red), LevelWarn: ansi(magenta), LevelInfo: ansi(black), LevelDebug: Default,
	}
}

// HighContrast uses only the brightest colours on the default background.
func HighContrast() Theme {
	return Theme{
		Name: "high-contrast", Text: ansi(brightWhite), Faint: ansi(white), Accent: ansi(brightCyan), Border: ansi(brightWhite),
		SelectedFg: ansi(black), SelectedBg: ansi(brightWhite),
		SevCritical: ansi(brightRed), SevWarning: ansi(brightYellow), SevInfo: ansi(brightCyan),
		OK: ansi(brightGreen), Slow: ansi(brightYellow), Partial: ansi(brightYellow), Failed: ansi(brightRed), Unknown: ansi(brightMagenta),
		ErrorPath: ansi(brightRed), CriticalPath: ansi(brightYellow),
		LevelError: ansi(brightRed), LevelWarn: ansi(brightYellow), LevelInfo: ansi(brightWhite), LevelDebug: ansi(white),
	}
}

// Mono has no colour: NO_COLOR terminals, screen readers, and logs of a
// session. Every token is the terminal's default colour.
func Mono() Theme {
	none := lipgloss.NoColor{}
	return Theme{
		Name: "mono", Mono: true, Text: none, Faint: none, Accent: none, Border: none,
		SelectedFg: none, SelectedBg: none,
		SevCritical: none, SevWarning: none, SevInfo: none,
		OK: none, Slow: none, Partial: none, Failed: none, Unknown: none,
		ErrorPath: none, CriticalPath: none,
		LevelError: none, LevelWarn: none, LevelInfo: none, LevelDebug: none,
	}
}

var builtin = map[string]func() Theme{"dark": Dark, "light": Light, "high-contrast": HighContrast, "mono": Mono}

// Names lists the built-in themes.
func Names() []string {
	var n []string
	for k := range builtin {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// ByName returns a built-in theme.
func ByName(name string) (Theme, error) {
	f, ok := builtin[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		return Theme{}, fmt.Errorf("unknown theme %q: want one of %s", name, strings.Join(Names(), ", "))
	}
	return f(), nil
}

// Select picks the theme to use: NO_COLOR (any non-empty value, per
// no-color.org) forces mono whatever the configuration says.
func Select(name string, getenv func(string) string) (Theme, error) {
	if getenv != nil && getenv("NO_COLOR") != "" {
		return Mono(), nil
	}
	if name == "" {
		name = "dark"
	}
	return ByName(name)
}
