package app

import (
	"context"
	"io"
	"testing"

	"github.com/triagectl/triage/internal/config"
	"github.com/triagectl/triage/internal/output"
)

// BenchmarkReportDemo is `triage report --demo` without the process:
// read the embedded bundle, replay its investigation at once, write the
// text report. The acceptance is under a second for the whole command.
func BenchmarkReportDemo(b *testing.B) {
	a := New(config.Default(), Options{Stdout: io.Discard, Stderr: io.Discard})
	for b.Loop() {
		bun, err := LoadBundle(config.Default(), "", true)
		if err != nil {
			b.Fatal(err)
		}
		r, err := a.ReplayReport(context.Background(), bun, Replay{})
		if err != nil {
			b.Fatal(err)
		}
		if err := a.WriteReport(io.Discard, r, output.Text); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadDemo is the reading of the embedded bundle alone.
func BenchmarkLoadDemo(b *testing.B) {
	for b.Loop() {
		if _, err := LoadBundle(config.Default(), "", true); err != nil {
			b.Fatal(err)
		}
	}
}
