// Package tui is the console: bubbletea pages stacked from the incident list
// down to a trace's logs, with keymaps and styles built from a theme.
package tui
