package triage

import (
	"context"
	"errors"
	"testing"
	"time"
)

// freshTraces answers searches from a list of traces by start time.
type freshTraces struct {
	refs []TraceRef
	err  error
}

func (f freshTraces) Name() string { return SourceTempo }

func (f freshTraces) Search(_ context.Context, q TraceSearch) (TraceHits, error) {
	h := TraceHits{Query: "{ " + q.Service + " }"}
	if f.err != nil {
		return h, f.err
	}
	for _, r := range f.refs {
		if !r.Start.Before(q.Start) && r.Start.Before(q.End) && len(h.Refs) < q.Limit {
			h.Refs = append(h.Refs, r)
		}
	}
	return h, nil
}

func (f freshTraces) Trace(context.Context, string) (*Trace, error) {
	return nil, errors.New("no traces")
}

func TestTraceFreshness(t *testing.T) {
	end := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
	w := Window{Start: end.Add(-30 * time.Minute), End: end}
	scope := Scope{Service: "checkout"}
	at := func(ago time.Duration) TraceRef {
		return TraceRef{TraceID: ago.String(), Start: end.Add(-ago), Duration: time.Second}
	}
	cases := []struct {
		name     string
		src      freshTraces
		lagging  bool
		age      float64
		queries  int
		measured bool
	}{
		{"a trace in the last max_lag", freshTraces{refs: []TraceRef{at(10 * time.Minute), at(30 * time.Second)}}, false, 29, 1, true},
		{"the newest six minutes old", freshTraces{refs: []TraceRef{at(20 * time.Minute), at(6 * time.Minute)}}, true, 359, 2, true},
		{"none in the hour", freshTraces{}, true, 3600, 2, true},
		{"the backend failed", freshTraces{err: errors.New("connection refused")}, false, 0, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, qs := traceFreshness(context.Background(), c.src, scope, w, 2*time.Minute)
			if (f != nil) != c.measured {
				t.Fatalf("freshness %+v, measured %v", f, c.measured)
			}
			if len(qs) != c.queries {
				t.Errorf("queries %q, want %d", qs, c.queries)
			}
			if f == nil {
				return
			}
			if f.Lagging != c.lagging || f.AgeSeconds != c.age || f.Of != "trace of checkout" {
				t.Errorf("freshness %+v, want lagging %v, age %v", f, c.lagging, c.age)
			}
		})
	}
}
