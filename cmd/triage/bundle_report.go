package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/triagectl/triage/internal/demo"
	"github.com/triagectl/triage/internal/wiring"
	"github.com/triagectl/triage/triage/bundle"
)

// loadBundle reads the bundle at path, or the embedded demo.
func loadBundle(path string, useDemo bool) (*bundle.Bundle, error) {
	if useDemo {
		return demo.Open()
	}
	return bundle.ReadFile(path)
}

// reportFromBundle prints a bundle's report: replayed through the engine
// at the recorded pace, or as recorded.
func (a *app) reportFromBundle(ctx context.Context, path string, useDemo, recorded bool, format string) error {
	b, err := loadBundle(path, useDemo)
	if err != nil {
		return err
	}
	if recorded {
		if b.Report == nil {
			return errors.New("the bundle holds no report: replay it without --recorded")
		}
		return writeReport(a, b.Report, format)
	}
	rp, err := wiring.ReplaySources(b, bundle.ReplayOptions{Pace: true})
	if err != nil {
		return err
	}
	a.log.Info("replaying", "alert", b.Header.Alert.Name, "bundle", path, "demo", useDemo, "exchanges", len(b.Exchanges))
	r, runErr := rp.Investigate(ctx, nil)
	if r == nil {
		return runErr
	}
	if err := writeReport(a, r, format); err != nil {
		return err
	}
	if missed := rp.Replay.Missed(); len(missed) > 0 {
		a.log.Warn("replay asked what the bundle does not hold", "requests", missed)
		fmt.Fprintf(a.stderr, "triage: the replay asked %d requests the bundle does not hold (first: %s); those parts say not recorded\n",
			len(missed), missed[0])
	}
	if runErr != nil {
		fmt.Fprintln(a.stderr, "triage:", runErr)
		return exitError{1}
	}
	return nil
}
