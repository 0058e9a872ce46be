package tempo

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/triagectl/triage/internal/testenv"
	"github.com/triagectl/triage/sources"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestLiveTempo(t *testing.T) {
	b := testenv.Tempo(t)
	inc := testenv.Incident(t)
	truth := inc.Truth
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	c, err := New(b.Config())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Ready(ctx); err != nil {
		t.Fatalf("ready: %v", err)
	}
	bi, err := c.BuildInfo(ctx)
	if err != nil || bi.Version == "" {
		t.Fatalf("build info = %+v, %v", bi, err)
	}
	if err := c.AuthCheck(ctx); err != nil {
		t.Fatalf("auth check: %v", err)
	}

	// Search the failing traces of the culprit's caller. Tempo makes
	// freshly pushed traces searchable after a short while: poll.
	req := SearchRequest{
		Query:           fmt.Sprintf(`{ resource.service.name = %q && status = error }`, truth.CulpritCaller),
		Start:           truth.Start.Add(-time.Minute),
		End:             truth.End.Add(time.Minute),
		Limit:           50,
		SpansPerSpanSet: 5,
	}
	var res *SearchResult
	err = pollUntil(ctx, 90*time.Second, func() error {
		res, err = c.Search(ctx, req)
		if err != nil {
			return err
		}
		if len(res.Traces) == 0 {
			return fmt.Errorf("no traces yet")
		}
		return nil
	})
	if err != nil {
		t.Fatalf("search %s: %v", req.Query, err)
	}
	// A caller's error span does not always fail the request (callers may
	// fall back), so not every hit is a failing trace; some must be.
	id := ""
	for _, tr := range res.Traces {
		if len(tr.TraceID) != 32 {
			t.Errorf("trace id %q is not 32 hex digits", tr.TraceID)
		}
		if id == "" && slices.Contains(truth.FailingTraceIDs, tr.TraceID) {
			id = tr.TraceID
		}
		if tr.ServiceStats[truth.CulpritCaller].ErrorCount == 0 {
			t.Errorf("trace %s: no errors counted for %s: %+v", tr.TraceID, truth.CulpritCaller, tr.ServiceStats)
		}
		for _, ss := range tr.SpanSets {
			for _, sp := range ss.Spans {
				if LookupString(sp.Attributes, "service.name") != truth.CulpritCaller {
					t.Errorf("span %s attributes %v", sp.SpanID, sp.Attributes)
				}
			}
		}
	}

	if id == "" {
		t.Fatalf("none of the %d hits is one of the simulator's %d failing traces", len(res.Traces), len(truth.FailingTraceIDs))
	}

	// Ask for a failing one by id both ways, the id upper-cased and without
	// its leading zeros: the same trace must come back.
	shortID := strings.ToUpper(strings.TrimLeft(id, "0"))
	pb, err := c.TraceWith(ctx, shortID, TraceOptions{Format: TraceProtobuf})
	if err != nil {
		t.Fatalf("trace %s via protobuf: %v", id, err)
	}
	js, err := c.TraceWith(ctx, id, TraceOptions{Format: TraceJSON})
	if err != nil {
		t.Fatalf("trace %s via JSON: %v", id, err)
	}
	if pb.Format != TraceProtobuf || js.Format != TraceJSON || pb.ID != id || js.ID != id {
		t.Errorf("formats %s/%s ids %s/%s", pb.Format, js.Format, pb.ID, js.ID)
	}
	a, bb := flatten(pb.Traces), flatten(js.Traces)
	if len(a) == 0 || !reflect.DeepEqual(a, bb) {
		t.Fatalf("protobuf (%d spans) and JSON (%d spans) disagree", len(a), len(bb))
	}
	callerErrors := 0
	for _, s := range a {
		if s.TraceID != id {
			t.Errorf("span of trace %s in trace %s", s.TraceID, id)
		}
		if s.Service == truth.CulpritCaller && strings.HasPrefix(s.Status, "Error") {
			callerErrors++
		}
	}
	if callerErrors == 0 {
		t.Errorf("trace %s has no error span in %s", id, truth.CulpritCaller)
	}
	t.Logf("tempo %s: %d traces with errors in %s; failing trace %s has %d spans, identical via protobuf and JSON",
		bi.Version, len(res.Traces), truth.CulpritCaller, id, len(a))

	// Tags and values.
	scopes, err := c.Tags(ctx, "", truth.Start, truth.End.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if !HasTag(scopes, "resource", "service.name") {
		t.Errorf("tags lack resource service.name: %+v", scopes)
	}
	vals, err := c.TagValues(ctx, "resource.service.name", "", truth.Start, truth.End.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, v := range vals {
		names = append(names, v.Value)
	}
	if !slices.Contains(names, truth.CulpritCaller) || !slices.Contains(names, truth.EntryService) {
		t.Errorf("service names %v lack %s or %s", names, truth.CulpritCaller, truth.EntryService)
	}

	// Errors as Tempo words them.
	_, err = c.Search(ctx, SearchRequest{Query: `{ status = }`, Start: truth.Start, End: truth.End})
	se, ok := sources.AsError(err)
	if !ok || se.Kind != sources.KindBadRequest || se.Status != 400 || !strings.Contains(se.Msg, "invalid TraceQL query") {
		t.Errorf("bad TraceQL: err = %v", err)
	}
	for _, format := range []TraceFormat{TraceProtobuf, TraceJSON} {
		_, err := c.TraceWith(ctx, "0badc0ffee0000000000000000000001", TraceOptions{Format: format})
		if sources.KindOf(err) != sources.KindNotFound || !strings.Contains(err.Error(), "trace 0badc0ffee0000000000000000000001 not found") {
			t.Errorf("missing trace via %s: err = %v", format, err)
		}
	}
}

// pollUntil retries f until it succeeds or the timeout passes.
func pollUntil(ctx context.Context, timeout time.Duration, f func() error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		err := f()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("after %s: %w", timeout, err)
		case <-tick.C:
		}
	}
}
