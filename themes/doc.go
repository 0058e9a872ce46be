// Package themes defines the semantic colour tokens and the built-in themes
// (dark, light, high-contrast, mono) that the console's styles are built from.
package themes
