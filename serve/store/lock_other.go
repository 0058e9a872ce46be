//go:build !unix

package store

import (
	"errors"
	"os"
	"time"
)

var errLocked = errors.New("locked by another process")

// lockFile leaves locking to bbolt where flock is not available.
func lockFile(*os.File, bool, time.Duration) error { return nil }
