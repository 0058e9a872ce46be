package app

import (
	"testing"

	"github.com/triagectl/triage/internal/config"
	"github.com/triagectl/triage/sources/bundle"
)

// The config's bundle defaults are the reader's: `triage config` prints
// the limits a read takes.
func TestBundleLimitsDefaults(t *testing.T) {
	if got := BundleLimits(config.Default()); got != bundle.DefaultLimits {
		t.Errorf("config defaults %+v, reader defaults %+v", got, bundle.DefaultLimits)
	}
}
