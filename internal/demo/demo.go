// Package demo holds the demo incident that `triage demo` opens with no
// backend: a bundle recorded from the simulator's default scenario against
// real Prometheus, Loki and Tempo, embedded in the binary.
package demo

import (
	_ "embed"
	"fmt"

	"github.com/triagectl/triage/sources/bundle"
)

// MaxBytes bounds the embedded bundle, compressed.
const MaxBytes = 5 << 20

// data is a string, not a []byte, so no caller can change it.
//
//go:embed demo.bundle
var data string

// Bundle returns the demo bundle's bytes, a copy.
func Bundle() []byte { return []byte(data) }

// Open reads the demo bundle.
func Open() (*bundle.Bundle, error) {
	b, err := bundle.Parse([]byte(data))
	if err != nil {
		return nil, fmt.Errorf("demo bundle: %w", err)
	}
	return b, nil
}
