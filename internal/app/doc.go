// Package app is the composition root: it builds the sources, the engine's
// options, the console, the daemon and its servers from the config, and
// owns their start-up and shutdown. Every command goes through it.
package app
