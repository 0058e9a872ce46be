package triage

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// askLog is a trace source that counts each distinct request, as a
// recording keeps it, and with answered off answers only what was
// counted, as a replay does.
type askLog struct {
	src      TracesSource
	answered bool
	mu       sync.Mutex
	asked    map[string]int
}

func (a *askLog) Name() string { return a.src.Name() }

func (a *askLog) ask(key string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.answered {
		if a.asked[key] == 0 {
			return errors.New("not recorded: " + key)
		}
		return nil
	}
	if a.asked == nil {
		a.asked = map[string]int{}
	}
	a.asked[key]++
	return nil
}

func (a *askLog) Search(ctx context.Context, q TraceSearch) (TraceHits, error) {
	if err := a.ask(fmt.Sprintf("search %#v", q)); err != nil {
		return TraceHits{}, err
	}
	return a.src.Search(ctx, q)
}

func (a *askLog) Trace(ctx context.Context, id string) (*Trace, error) {
	if err := a.ask("trace " + id); err != nil {
		return nil, err
	}
	return a.src.Trace(ctx, id)
}

// Trace ids, as the report's must be.
const (
	idF0 = "000000000000000000000000000000f0"
	idF1 = "000000000000000000000000000000f1"
	idH1 = "000000000000000000000000000000a1"
	idH2 = "000000000000000000000000000000a2"
)

// The recorder asks the comparison page's searches and candidates for
// every failing trace the report names, each once, so that a bundle finds
// the same healthy trace offline.
func TestAskDrillDownsRecordsComparisons(t *testing.T) {
	ref, w, scope := checkoutRoute(AnalyzeTrace(checkoutFailure(idF0), testAnalysis))
	o := DefaultOptions()
	src := &routeTraces{
		refs: [][]TraceRef{{ref(idF0, 0), ref(idF1, 1), ref(idH1, 2), ref(idH2, 9)}},
		traces: map[string]*Trace{idF0: checkoutFailure(idF0), idF1: checkoutFailure(idF1),
			idH1: healthyCheckout(idH1), idH2: healthyCheckout(idH2)},
	}
	r := &Report{Alert: AlertInfo{Scope: scope}, Window: w, Traces: []TraceRow{{TraceID: idF0}, {TraceID: idF1}}}
	rec := &askLog{src: src}
	AskDrillDowns(t.Context(), Sources{Traces: rec}, r, DefaultREDQueries(), o)
	for k, n := range rec.asked {
		if n != 1 {
			t.Errorf("%s asked %d times, want once", k, n)
		}
	}
	rec.answered = true
	for _, id := range []string{idF0, idF1} {
		an := AnalyzeTrace(src.traces[id], o.Analysis())
		f := FindHealthyTrace(t.Context(), rec, scope, w, o, &an)
		if f.Trace == nil || f.Trace.ID != idH1 {
			t.Errorf("%s: offline comparison found %v (fetches %+v), want %s", id, f.Trace, f.Fetches, idH1)
		}
	}
}
