package app

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/triagectl/triage/sources/bundle"
	"github.com/triagectl/triage/triage"
)

// Recorded is what RecordFile wrote: the report, how many exchanges the
// bundle holds and its size on disk.
type Recorded struct {
	Path      string
	Report    *triage.Report
	Exchanges int
	Size      int64
}

// RecordFile investigates rec's alert and writes the bundle to path. When
// the investigation ends with a report, the bundle is written, and the
// investigation's error (no source answered) is returned beside it; when
// it ends without one (cancelled), nothing is written.
func (a *App) RecordFile(ctx context.Context, rec Recording, path string) (*Recorded, error) {
	w, err := bundle.Create(path, rec.Header())
	if err != nil {
		return nil, err
	}
	a.Log.Info("recording", "alert", rec.Alert.Name, "fingerprint", rec.Alert.Fingerprint, "bundle", path)
	r, runErr := Record(ctx, w, rec, nil)
	if ctx.Err() != nil || r == nil {
		w.Abort()
		if runErr == nil {
			runErr = ctx.Err()
		}
		return nil, fmt.Errorf("nothing written to %s: %w", path, runErr)
	}
	n := w.Exchanges()
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	out := &Recorded{Path: path, Report: r, Exchanges: n}
	if st, err := os.Stat(path); err == nil {
		out.Size = st.Size()
	}
	return out, runErr
}

// Summary is the one line `triage record` prints: what was written and
// what it holds.
func (r *Recorded) Summary() string {
	var states []string
	for _, s := range r.Report.Sources {
		states = append(states, s.Name+" "+string(s.State))
	}
	verdict := "no culprit"
	for _, s := range r.Report.Services {
		if s.Role == triage.RoleCulprit {
			verdict = fmt.Sprintf("culprit %s, %d failing traces", s.Name, s.FailingTraces)
			break
		}
	}
	return fmt.Sprintf("recorded %s: %d exchanges, %s → %s (%s; %s)", r.Report.Alert.Name, r.Exchanges,
		humanBytes(r.Size), r.Path, verdict, strings.Join(states, ", "))
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
