package tui

import (
	"image/color"
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/triagectl/triage/themes"
	"github.com/triagectl/triage/triage"
)

// Styles are every style the console draws with, built once from a theme.
// Components take their looks from here and never pick colours themselves.
type Styles struct {
	Theme themes.Theme

	Text, Faint, Accent, Bold lipgloss.Style
	// Title is a section title (SERVICES, USERS…); Header the first row.
	Title, Header, Breadcrumb lipgloss.Style
	// Selected is the cursor row; it reverses video in mono so the cursor
	// never depends on colour.
	Selected lipgloss.Style
	// FooterKey and FooterDesc draw the key hints.
	FooterKey, FooterDesc lipgloss.Style
	// Unknown is a section whose source failed: it must stand out.
	Unknown lipgloss.Style
	// Estimate marks estimated numbers.
	Estimate lipgloss.Style

	ErrorPath, CriticalPath lipgloss.Style
	Border                  lipgloss.Style

	state    map[triage.SourceState]lipgloss.Style
	severity map[string]lipgloss.Style
	level    map[string]lipgloss.Style
	role     map[triage.Role]lipgloss.Style
}

// NewStyles builds the styles of one theme.
func NewStyles(t themes.Theme) *Styles {
	fg := func(c color.Color) lipgloss.Style { return lipgloss.NewStyle().Foreground(c) }
	// dim is a faint token: the terminal's own foreground, faint, in a
	// coloured theme (no palette hides it); a colour, when the theme
	// gives one.
	dim := func(c color.Color) lipgloss.Style {
		if themes.IsDefault(c) && !t.Mono {
			return lipgloss.NewStyle().Faint(true)
		}
		return fg(c)
	}
	s := &Styles{
		Theme:      t,
		Text:       fg(t.Text),
		Faint:      dim(t.Faint),
		Accent:     fg(t.Accent).Bold(true),
		Bold:       lipgloss.NewStyle().Bold(true),
		Title:      fg(t.Accent).Bold(true),
		Header:     fg(t.Text).Bold(true),
		Breadcrumb: dim(t.Faint),
		Selected:   lipgloss.NewStyle().Foreground(t.SelectedFg).Background(t.SelectedBg).Bold(true),
		FooterKey:  fg(t.Accent).Bold(true),
		FooterDesc: dim(t.Faint),
		Unknown:    fg(t.Unknown).Bold(true),
		Estimate:   fg(t.Text).Italic(true),
		ErrorPath:  fg(t.ErrorPath).Bold(true),
		// Colour only: an underline reads as a link. The ┃ beside each
		// span on the path is what carries it in mono.
		CriticalPath: fg(t.CriticalPath),
		Border:       dim(t.Border),
		state: map[triage.SourceState]lipgloss.Style{
			triage.StateOK: fg(t.OK), triage.StateSlow: fg(t.Slow), triage.StatePartial: fg(t.Partial),
			triage.StateFailed: fg(t.Failed).Bold(true), triage.StateUnconfigured: dim(t.Faint), triage.StatePending: dim(t.Faint),
		},
		severity: map[string]lipgloss.Style{
			"critical": fg(t.SevCritical).Bold(true), "warning": fg(t.SevWarning).Bold(true), "info": fg(t.SevInfo),
		},
		level: map[string]lipgloss.Style{
			"error": fg(t.LevelError).Bold(true), "warn": fg(t.LevelWarn), "info": fg(t.LevelInfo), "debug": dim(t.LevelDebug),
		},
		role: map[triage.Role]lipgloss.Style{
			triage.RoleCulprit: fg(t.SevCritical).Bold(true), triage.RolePropagating: fg(t.SevWarning),
			triage.RoleEntry: fg(t.Accent), triage.RoleImpacted: dim(t.Faint),
		},
	}
	if t.Mono {
		s.Selected = lipgloss.NewStyle().Reverse(true)
	}
	return s
}

// State symbols: each source state has its own shape, so the header's dots
// read without colour.
var stateSymbols = map[triage.SourceState]string{
	triage.StateOK: "●", triage.StateSlow: "◔", triage.StatePartial: "◐",
	triage.StateFailed: "✖", triage.StateUnconfigured: "○", triage.StatePending: "…",
}

// StateSymbol returns a source state's symbol.
func StateSymbol(st triage.SourceState) string {
	if s, ok := stateSymbols[st]; ok {
		return s
	}
	return "?"
}

// State draws a source state's symbol in its colour.
func (s *Styles) State(st triage.SourceState) string {
	return s.state[st].Render(StateSymbol(st))
}

// StateStyle is the style of a source state.
func (s *Styles) StateStyle(st triage.SourceState) lipgloss.Style { return s.state[st] }

// severity symbols, for the same reason as the state symbols.
var sevSymbols = map[string]string{"critical": "▲▲", "warning": "▲", "info": "ℹ"}

// Severity draws an alert severity as symbol plus word.
func (s *Styles) Severity(sev string) string {
	key := strings.ToLower(sev)
	switch key {
	case "page", "error", "high", "p1":
		key = "critical"
	case "warn", "medium", "p2", "p3":
		key = "warning"
	}
	sym, ok := sevSymbols[key]
	if !ok {
		return s.Text.Render(sev)
	}
	return s.severity[key].Render(sym + " " + sev)
}

// Level is the style of a log level (error, warn, info, debug); unknown
// levels get the text style.
func (s *Styles) Level(level string) lipgloss.Style {
	if st, ok := s.level[normalLevel(level)]; ok {
		return st
	}
	return s.Text
}

func normalLevel(l string) string {
	switch strings.ToLower(l) {
	case "error", "err", "fatal", "critical", "crit", "panic", "emerg", "alert":
		return "error"
	case "warn", "warning":
		return "warn"
	case "info", "notice":
		return "info"
	case "debug", "trace":
		return "debug"
	}
	return ""
}

// Role is the style of a service role.
func (s *Styles) Role(r triage.Role) lipgloss.Style {
	if st, ok := s.role[r]; ok {
		return st
	}
	return s.Text
}
