package loki_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/triagectl/triage/internal/testenv"
	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/sources/loki"
	"github.com/triagectl/triage/sources/sourcestest"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// liveIncident returns a client of the test Loki holding the simulator's
// incident, skipping when no Loki is live.
func liveIncident(t *testing.T) (*loki.Client, *testenv.SimIncident) {
	t.Helper()
	testenv.Loki(t)
	inc := testenv.Incident(t)
	if inc.Loki == nil {
		t.Skip("loki not live")
	}
	c, err := loki.New(inc.Loki.Config())
	if err != nil {
		t.Fatal(err)
	}
	return c, inc
}

// window covers the generated traffic; end is exclusive in Loki.
func window(inc *testenv.SimIncident) (time.Time, time.Time) {
	return inc.Truth.Start.Add(-time.Minute), inc.Truth.End.Add(time.Minute)
}

func TestLiveProbes(t *testing.T) {
	c, _ := liveIncident(t)
	ctx := context.Background()
	var p sources.Prober = c
	if err := p.Ready(ctx); err != nil {
		t.Fatalf("ready: %v", err)
	}
	if _, err := p.BuildInfo(ctx); err != nil {
		t.Fatalf("buildinfo: %v", err)
	}
	if err := p.AuthCheck(ctx); err != nil {
		t.Fatalf("auth check: %v", err)
	}
}

func TestLiveServiceNames(t *testing.T) {
	c, inc := liveIncident(t)
	start, end := window(inc)
	got, err := c.LabelValues(context.Background(), loki.ServiceLabel, start, end, "")
	if err != nil {
		t.Fatal(err)
	}
	logging := map[string]bool{}
	for _, l := range inc.Incident.Logs() {
		logging[l.Service] = true
	}
	var want []string
	for _, s := range inc.Truth.Services {
		if logging[s] {
			want = append(want, s)
		}
	}
	if len(want) == 0 {
		t.Fatal("the simulator logged for none of its services")
	}
	for _, s := range want {
		if !slices.Contains(got, s) {
			t.Errorf("service_name values %v lack %q", got, s)
		}
	}
	series, err := c.Series(context.Background(), []string{`{env="sim"}`}, start, end)
	if err != nil || len(series) < len(want) {
		t.Fatalf("series = %d, %v; want at least %d", len(series), err, len(want))
	}
	for _, s := range series {
		if _, ok := s[loki.TraceIDLabel]; ok {
			t.Fatalf("trace_id became a stream label: %v", s)
		}
	}
}

func TestLiveCulpritErrorLines(t *testing.T) {
	c, inc := liveIncident(t)
	start, end := window(inc)
	caller := inc.Truth.CulpritCaller
	res, err := c.QueryRange(context.Background(), loki.QueryRangeRequest{
		Query: loki.ServiceSelector([]string{caller}) + ` |= "level=error"`, Start: start, End: end, Limit: 200,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Type != loki.ResultStreams || !res.Categorized {
		t.Fatalf("type %s, categorized %v", res.Type, res.Categorized)
	}
	lines := res.Entries(false)
	if len(lines) == 0 {
		t.Fatalf("no error lines for %s", caller)
	}
	for _, st := range res.Streams {
		if _, ok := st.Labels[loki.TraceIDLabel]; ok {
			t.Fatalf("stream labels carry trace_id: %v", st.Labels)
		}
		if st.Labels[loki.ServiceLabel] != caller {
			t.Fatalf("stream of another service: %v", st.Labels)
		}
	}
	withTrace := 0
	for _, e := range lines {
		if !strings.Contains(e.Line, "level=error") {
			t.Fatalf("line without level=error: %q", e.Line)
		}
		if id := e.StructuredMetadata[loki.TraceIDLabel]; len(id) == 32 {
			withTrace++
		}
	}
	if withTrace == 0 {
		t.Fatalf("none of %d error lines has trace_id structured metadata", len(lines))
	}
}

func TestLiveLinesOfFailingTrace(t *testing.T) {
	c, inc := liveIncident(t)
	if len(inc.Truth.FailingTraceIDs) == 0 {
		t.Fatal("the scenario produced no failing trace")
	}
	start, end := window(inc)
	id := inc.Truth.FailingTraceIDs[0]
	want := 0
	for _, l := range inc.Incident.Logs() {
		if l.TraceID == id {
			want++
		}
	}
	res, err := c.QueryRange(context.Background(), loki.QueryRangeRequest{
		Query: loki.TraceQuery(inc.Truth.Services, id, true), Start: start, End: end, Limit: 1000,
	})
	if err != nil {
		t.Fatal(err)
	}
	got := res.Entries(true)
	if want == 0 || len(got) != want {
		t.Fatalf("trace %s: %d lines, the simulator logged %d", id, len(got), want)
	}
	for _, e := range got {
		if e.StructuredMetadata[loki.TraceIDLabel] != id {
			t.Fatalf("line of another trace: %+v", e)
		}
	}
}

func TestLiveMetricQuery(t *testing.T) {
	c, inc := liveIncident(t)
	start, end := window(inc)
	res, err := c.QueryRange(context.Background(), loki.QueryRangeRequest{
		Query: `sum by (service_name)(count_over_time({env="sim"}[1m]))`, Start: start, End: end, Step: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Type != loki.ResultMatrix || len(res.Matrix) == 0 {
		t.Fatalf("type %s with %d series, want a matrix", res.Type, len(res.Matrix))
	}
	var total float64
	for _, s := range res.Matrix {
		if s.Labels[loki.ServiceLabel] == "" {
			t.Fatalf("series without service_name: %v", s.Labels)
		}
		for _, p := range s.Samples {
			total += p.Value
		}
	}
	if total <= 0 {
		t.Fatal("the matrix counts no lines")
	}
	vols, err := c.Volume(context.Background(), `{env="sim", service_name=~".+"}`, start, end, 100)
	if err != nil || len(vols) == 0 || vols[0].Bytes <= 0 {
		t.Fatalf("volume = %v, %v", vols, err)
	}
}

func TestLiveRefusedQueries(t *testing.T) {
	c, inc := liveIncident(t)
	start, end := window(inc)
	ctx := context.Background()
	_, err := c.QueryRange(ctx, loki.QueryRangeRequest{Query: `{service_name=`, Start: start, End: end})
	se, ok := sources.AsError(err)
	if !ok || se.Status != 400 || !loki.IsParseError(err) || !strings.Contains(se.Body, "parse error") {
		t.Fatalf("bad LogQL: %v", err)
	}
	_, err = c.QueryRange(ctx, loki.QueryRangeRequest{Query: `{env="sim"}`, Start: start, End: end, Limit: 10000})
	if !loki.IsMaxEntries(err) || loki.MaxEntriesLimit(err) != 5000 {
		t.Fatalf("limit above max entries: %v (limit %d)", err, loki.MaxEntriesLimit(err))
	}
}

func TestLivePatterns(t *testing.T) {
	c, inc := liveIncident(t)
	start, end := window(inc)
	ctx := context.Background()
	var last []loki.Pattern
	poll(t, 60*time.Second, func() (bool, error) {
		pats, err := c.Patterns(ctx, `{env="sim"}`, start, end, time.Minute)
		if loki.IsPatternsDisabled(err) {
			t.Fatalf("patterns not available on the test Loki: %v", err)
		}
		last = pats
		return slices.ContainsFunc(pats, func(p loki.Pattern) bool { return p.Level == "error" && p.Total() > 0 }), err
	}, func() string {
		// A Loki whose gRPC message limit is below the pattern tee's batch
		// logs "failed to send patterns to pattern ingester" and has none.
		return fmt.Sprintf("%d patterns, none of level error (see the Loki log for pattern tee errors)", len(last))
	})
}

func TestLivePushRoundTrip(t *testing.T) {
	c, _ := liveIncident(t)
	ctx := context.Background()
	now := time.Now()
	labels := map[string]string{"service_name": "loki-client-test", "env": "roundtrip"}
	id := "0af7651916cd43dd8448eb211c80319c"
	err := c.Push(ctx, []loki.Stream{{Labels: labels, Entries: []loki.Entry{
		{Time: now, Line: `level=error msg="quote \" and <tag> é"`, StructuredMetadata: map[string]string{"trace_id": id}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	poll(t, 30*time.Second, func() (bool, error) {
		res, err := c.QueryRange(ctx, loki.QueryRangeRequest{Query: loki.TraceQuery([]string{"loki-client-test"}, id, true),
			Start: now.Add(-time.Minute), End: now.Add(time.Minute)})
		if err != nil || len(res.Streams) == 0 {
			return false, err
		}
		e := res.Entries(false)
		if len(e) != 1 || e[0].Line != `level=error msg="quote \" and <tag> é"` || !e[0].Time.Equal(now) ||
			e[0].StructuredMetadata["trace_id"] != id || e[0].Stream["env"] != "roundtrip" {
			t.Fatalf("read back %+v", e)
		}
		return true, nil
	}, func() string { return "pushed line not readable" })
}

// poll calls f until it reports done, fails on its error, and gives up at
// the deadline.
func poll(t *testing.T, timeout time.Duration, f func() (bool, error), what func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		done, err := f()
		if err != nil {
			t.Fatal(err)
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", timeout, what())
		}
		select {
		case <-t.Context().Done():
			t.Fatal(t.Context().Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func TestLiveUnreachable(t *testing.T) {
	zero := 0
	c, err := loki.New(sources.Config{URL: "http://" + sourcestest.ClosedAddr(t), Timeout: 2 * time.Second, Retries: &zero})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	_, err = c.QueryRange(context.Background(), loki.QueryRangeRequest{Query: `{env="sim"}`})
	if sources.KindOf(err) != sources.KindUnreachable {
		t.Fatalf("err = %v, want unreachable", err)
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Fatalf("took %s, longer than the 2s timeout", d)
	}
}
