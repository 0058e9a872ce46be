//go:build unix

package store

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// errLocked is returned when another process holds the file's lock past
// the timeout.
var errLocked = errors.New("locked by another process")

// lockFile takes the lock bbolt takes (flock: exclusive to write, shared
// to read) on f, polling until timeout. bbolt later locks the same open
// file again, which holds.
func lockFile(f *os.File, exclusive bool, timeout time.Duration) error {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	deadline := time.Now().Add(timeout)
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return err
		}
		if time.Now().After(deadline) {
			return errLocked
		}
		time.Sleep(20 * time.Millisecond)
	}
}
