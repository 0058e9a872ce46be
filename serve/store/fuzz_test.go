package store

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

var fuzzBase struct {
	sync.Once
	b []byte
}

// FuzzOpenDamaged writes bytes anywhere over a small store: opening it
// either fails with an error or gives a store that answers, never a panic
// (bbolt's own panics in goroutines would end the fuzzer).
func FuzzOpenDamaged(f *testing.F) {
	fuzzBase.Do(func() {
		p := filepath.Join(f.TempDir(), "base.db")
		writeStore(f, p, 40)
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		fuzzBase.b = b
	})
	f.Add(uint32(4096*3), []byte{0xde, 0xad, 0xbe, 0xef}, uint32(0))
	f.Add(uint32(4096*5+16), []byte{0xff, 0xff, 0, 0}, uint32(0))
	f.Add(uint32(0), []byte{}, uint32(4096*8))
	f.Add(uint32(4096+16), []byte{1, 2, 3}, uint32(0))
	f.Fuzz(func(t *testing.T, off uint32, data []byte, cut uint32) {
		b := append([]byte(nil), fuzzBase.b...)
		at := int(off) % len(b)
		copy(b[at:], data)
		if cut != 0 {
			b = b[:int(cut)%len(b)]
		}
		path := filepath.Join(t.TempDir(), "incidents.db")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = CheckFile(ctx, path)
		s, err := Open(ctx, path, Options{NoSync: true})
		if err != nil {
			return
		}
		defer s.Close()
		recs, _ := s.List(ctx)
		for _, r := range recs {
			_, _, _, _ = s.Get(ctx, r.ID)
		}
		_ = s.Check(ctx)
		_, _ = s.Ingest(ctx, []AlertIn{alert("fz", "g", "svc", true, t0)}, time.Time{}, t0)
		_, _ = s.Prune(ctx, t0.Add(24*time.Hour))
	})
}
