package triage_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/triagectl/triage/internal/simsource"
	"github.com/triagectl/triage/triage"
)

// slowLinked answers the traces a batch consumer links to after a delay:
// a trace backend slow to fetch them by id.
type slowLinked struct {
	triage.TracesSource
	linked map[string]bool
	delay  time.Duration
}

func (s *slowLinked) Trace(ctx context.Context, id string) (*triage.Trace, error) {
	if s.linked[id] {
		select {
		case <-time.After(s.delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return s.TracesSource.Trace(ctx, id)
}

// The linked traces are fetched within a budget of traces and of time, and
// the sources panel says how far the links were followed: all of them, or
// how many, and why not the rest. Running out of either leaves the trace
// source answering, its users a floor.
func TestLinkedTracesWithinABudget(t *testing.T) {
	inc := incident(t, "batch-consumer")
	note := func(r *triage.Report) (string, triage.SourceStatus) {
		s := statusOf(r, triage.SourceTempo)
		for _, n := range s.Notes {
			if strings.HasPrefix(n, "span links followed") {
				return n, s
			}
		}
		return "", s
	}
	run := func(t *testing.T, o triage.Options, src triage.Sources) *triage.Report {
		t.Helper()
		r, err := triage.NewInvestigation(src, o, triage.REDQueries{}).Run(context.Background(), alertFor(inc), nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	full := run(t, options(), simSources(inc))
	n, s := note(full)
	if !strings.HasPrefix(n, "span links followed to all ") || s.State != triage.StateOK {
		t.Fatalf("tempo %s, note %q: want every link followed", s.State, n)
	}

	t.Run("budget", func(t *testing.T) {
		o := options()
		o.LinkedFetch = 10
		r := run(t, o, simSources(inc))
		n, s := note(r)
		if !strings.HasPrefix(n, "span links followed to 10 of ") || !strings.Contains(n, "(budget 10 traces)") || s.State != triage.StateOK {
			t.Fatalf("tempo %s, note %q", s.State, n)
		}
		if len(r.Users) == 0 || len(r.Users) >= len(full.Users) {
			t.Errorf("%d users within the budget, %d with every link followed: want fewer, not none", len(r.Users), len(full.Users))
		}
	})

	t.Run("time", func(t *testing.T) {
		ts := simsource.Traces{I: inc}
		linked := map[string]bool{}
		for _, row := range full.Traces {
			tr, err := ts.Trace(context.Background(), row.TraceID)
			if err != nil {
				t.Fatal(err)
			}
			for _, sp := range tr.Spans {
				for _, l := range sp.Links {
					linked[l.TraceID] = true
				}
			}
		}
		src := simSources(inc)
		src.Traces = &slowLinked{TracesSource: ts, linked: linked, delay: time.Hour}
		o := options()
		o.SourceDeadline = 2 * time.Second
		began := time.Now()
		r := run(t, o, src)
		n, s := note(r)
		if !strings.Contains(n, "out of time): users behind the rest are not counted") || s.State == triage.StateFailed || s.Error != "" {
			t.Fatalf("tempo %s %q, note %q", s.State, s.Error, n)
		}
		if took := time.Since(began); took > o.SourceDeadline {
			t.Errorf("took %s, past the source deadline %s", took, o.SourceDeadline)
		}
		if r.Services == nil || r.Services[0].Name != inc.Truth.Culprit {
			t.Errorf("services %v: want the culprit ranked from the sample", r.Services)
		}
	})
}
