package triage_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/triagectl/triage/internal/sim"
	"github.com/triagectl/triage/internal/simsource"
	"github.com/triagectl/triage/triage"
)

var simNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

var (
	incMu    sync.Mutex
	incCache = map[string]*simsource.Incident{}
)

func incident(t testing.TB, preset string) *simsource.Incident {
	t.Helper()
	incMu.Lock()
	defer incMu.Unlock()
	if inc, ok := incCache[preset]; ok {
		return inc
	}
	sc, err := sim.PresetScenario(preset)
	if err != nil {
		t.Fatal(err)
	}
	gen, err := sim.Generate(sc, simNow)
	if err != nil {
		t.Fatal(err)
	}
	inc := simsource.New(gen)
	incCache[preset] = inc
	return inc
}

func alertFor(inc *simsource.Incident) triage.Alert {
	tr := inc.Truth
	return triage.Alert{Name: tr.AlertName, Labels: map[string]string{"alertname": tr.AlertName, "service": tr.AlertService, "severity": "critical"},
		StartsAt: tr.IncidentStart.Add(2 * time.Minute), Fingerprint: "sim-" + tr.Scenario.Name}
}

func options() triage.Options {
	o := triage.DefaultOptions()
	o.Now = func() time.Time { return simNow }
	o.Lookback = 10 * time.Minute
	o.SourceDeadline = 5 * time.Second
	return o
}

func simSources(inc *simsource.Incident) triage.Sources {
	return triage.Sources{Metrics: simsource.Metrics{I: inc}, Logs: simsource.Logs{I: inc}, Traces: simsource.Traces{I: inc}}
}

// faulty wraps a source's calls with an injected failure or delay.
type faulty struct {
	err   error
	delay time.Duration
	calls int
	mu    sync.Mutex
}

func (f *faulty) hit(ctx context.Context) error {
	f.mu.Lock()
	f.calls++
	f.mu.Unlock()
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return f.err
}

type faultyMetrics struct {
	triage.MetricsSource
	f *faulty
}

func (m faultyMetrics) Query(ctx context.Context, q string, at time.Time) ([]triage.Sample, error) {
	if err := m.f.hit(ctx); err != nil {
		return nil, err
	}
	return m.MetricsSource.Query(ctx, q, at)
}

func (m faultyMetrics) QueryRange(ctx context.Context, q string, s, e time.Time, step time.Duration) ([]triage.Series, error) {
	if err := m.f.hit(ctx); err != nil {
		return nil, err
	}
	return m.MetricsSource.QueryRange(ctx, q, s, e, step)
}

func (m faultyMetrics) Exemplars(ctx context.Context, q string, s, e time.Time) ([]triage.Exemplar, error) {
	if err := m.f.hit(ctx); err != nil {
		return nil, err
	}
	return m.MetricsSource.Exemplars(ctx, q, s, e)
}

type faultyLogs struct {
	triage.LogsSource
	f *faulty
}

func (l faultyLogs) Lines(ctx context.Context, q triage.LogQuery) ([]triage.LogLine, error) {
	if err := l.f.hit(ctx); err != nil {
		return nil, err
	}
	return l.LogsSource.Lines(ctx, q)
}

func (l faultyLogs) Volume(ctx context.Context, sel string, s, e time.Time) (map[string]int, error) {
	if err := l.f.hit(ctx); err != nil {
		return nil, err
	}
	return l.LogsSource.Volume(ctx, sel, s, e)
}

func (l faultyLogs) Patterns(ctx context.Context, q string, s, e time.Time, step time.Duration) ([]triage.LokiPattern, error) {
	if err := l.f.hit(ctx); err != nil {
		return nil, err
	}
	return l.LogsSource.Patterns(ctx, q, s, e, step)
}

type faultyTraces struct {
	triage.TracesSource
	f *faulty
}

func (t faultyTraces) Search(ctx context.Context, q triage.TraceSearch) (triage.TraceHits, error) {
	if err := t.f.hit(ctx); err != nil {
		return triage.TraceHits{}, err
	}
	return t.TracesSource.Search(ctx, q)
}

func (t faultyTraces) Trace(ctx context.Context, id string) (*triage.Trace, error) {
	if err := t.f.hit(ctx); err != nil {
		return nil, err
	}
	return t.TracesSource.Trace(ctx, id)
}

func wrap(src triage.Sources, name string, f *faulty) triage.Sources {
	switch name {
	case triage.SourcePrometheus:
		src.Metrics = faultyMetrics{src.Metrics, f}
	case triage.SourceLoki:
		src.Logs = faultyLogs{src.Logs, f}
	case triage.SourceTempo:
		src.Traces = faultyTraces{src.Traces, f}
	}
	return src
}

func statusOf(r *triage.Report, name string) triage.SourceStatus {
	for _, s := range r.Sources {
		if s.Name == name {
			return s
		}
	}
	return triage.SourceStatus{}
}

// Each source failing alone, whichever way, still yields a report from the
// others; its own sections are null with its reason.
func TestEachSourceFailsAlone(t *testing.T) {
	inc := incident(t, "db-region")
	faults := []struct {
		name     string
		f        *faulty
		wantKind string
		wantText string
	}{
		{"down", &faulty{err: simsource.Err("unreachable", "connection refused")}, "unreachable", "connection refused"},
		{"timeout", &faulty{delay: time.Minute}, "timeout", "deadline exceeded"},
		{"5xx", &faulty{err: simsource.Err("server", "HTTP 503: service unavailable")}, "server", "503"},
		{"garbage", &faulty{err: simsource.Err("decode", "cannot decode response: invalid character '<'")}, "decode", "cannot decode"},
	}
	for _, src := range []string{triage.SourcePrometheus, triage.SourceLoki, triage.SourceTempo} {
		for _, fc := range faults {
			t.Run(src+"/"+fc.name, func(t *testing.T) {
				o := options()
				o.SourceDeadline = 300 * time.Millisecond
				f := &faulty{err: fc.f.err, delay: fc.f.delay}
				r, err := triage.NewInvestigation(wrap(simSources(inc), src, f), o, triage.REDQueries{}).Run(context.Background(), alertFor(inc), nil)
				if err != nil {
					t.Fatalf("run: %v", err)
				}
				st := statusOf(r, src)
				if st.State != triage.StateFailed || st.ErrorKind != fc.wantKind || !strings.Contains(st.Error, fc.wantText) {
					t.Fatalf("%s status = %+v, want failed/%s with %q", src, st, fc.wantKind, fc.wantText)
				}
				raw, _ := json.Marshal(r)
				var doc map[string]json.RawMessage
				if err := json.Unmarshal(raw, &doc); err != nil {
					t.Fatal(err)
				}
				for _, sec := range sectionsOf(src) {
					if string(doc[sec]) != "null" {
						t.Errorf("section %s of failed %s = %s, want null", sec, src, truncate(doc[sec]))
					}
				}
				for _, other := range []string{triage.SourcePrometheus, triage.SourceLoki, triage.SourceTempo} {
					if other == src {
						continue
					}
					if s := statusOf(r, other); s.State == triage.StateFailed {
						t.Errorf("%s failed along with %s: %+v", other, src, s)
					}
					for _, sec := range sectionsOf(other) {
						if string(doc[sec]) == "null" {
							t.Errorf("section %s of healthy %s is null", sec, other)
						}
					}
				}
			})
		}
	}
}

// sectionsOf lists the report sections that only a source can fill.
func sectionsOf(src string) []string {
	switch src {
	case triage.SourceLoki:
		return []string{"log_patterns"}
	case triage.SourceTempo:
		return []string{"services", "users", "differences", "traces"}
	}
	return nil
}

func truncate(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "…"
	}
	return string(b)
}

func TestAllSourcesFailing(t *testing.T) {
	inc := incident(t, "db-region")
	src := simSources(inc)
	for _, name := range []string{triage.SourcePrometheus, triage.SourceLoki, triage.SourceTempo} {
		src = wrap(src, name, &faulty{err: simsource.Err("unreachable", "connection refused")})
	}
	r, err := triage.NewInvestigation(src, options(), triage.REDQueries{}).Run(context.Background(), alertFor(inc), nil)
	if !errors.Is(err, triage.ErrAllSourcesFailed) {
		t.Fatalf("err = %v, want ErrAllSourcesFailed", err)
	}
	if r == nil || r.Impact != nil || r.Services != nil || r.LogPatterns != nil {
		t.Fatalf("report claims knowledge with every source down: %+v", r)
	}
	for _, s := range r.Sources {
		if s.State != triage.StateFailed || s.Error == "" {
			t.Errorf("%s: %+v", s.Name, s)
		}
	}
}

func TestUnconfiguredSourcesSaySo(t *testing.T) {
	inc := incident(t, "db-region")
	r, err := triage.NewInvestigation(triage.Sources{Traces: simsource.Traces{I: inc}}, options(), triage.REDQueries{}).Run(context.Background(), alertFor(inc), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := statusOf(r, triage.SourceLoki); s.State != triage.StateUnconfigured {
		t.Errorf("loki: %+v", s)
	}
	if r.LogPatterns != nil {
		t.Error("log patterns known without a log source")
	}
	if r.Impact == nil || r.Impact.UsersSeen == nil || r.Impact.UsersEstimate != nil || r.Impact.FailingRatio != nil {
		t.Errorf("impact without metrics = %+v: users seen known, estimate and ratio unknown", r.Impact)
	}
}

// Updates stream in as sources answer: every snapshot is self-consistent
// and the last one is marked done.
func TestUpdatesStreamProgressively(t *testing.T) {
	inc := incident(t, "db-region")
	src := simSources(inc)
	src = wrap(src, triage.SourceTempo, &faulty{delay: 30 * time.Millisecond})
	var mu sync.Mutex
	var ups []triage.Update
	r, err := triage.NewInvestigation(src, options(), triage.REDQueries{}).Run(context.Background(), alertFor(inc), func(u triage.Update) {
		mu.Lock()
		ups = append(ups, u)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) < 4 || !ups[len(ups)-1].Done {
		t.Fatalf("%d updates, last done=%v", len(ups), ups[len(ups)-1].Done)
	}
	first := ups[0].Report
	for _, s := range first.Sources {
		if s.State != triage.StatePending {
			t.Errorf("first snapshot: %s is %s, want pending", s.Name, s.State)
		}
	}
	if first.Services != nil {
		t.Error("services known before tempo answered")
	}
	var order []string
	for _, u := range ups {
		if u.Source != "" {
			order = append(order, u.Source)
		}
	}
	if order[len(order)-1] != triage.SourceTempo {
		t.Errorf("slowest source did not answer last: %v", order)
	}
	if r.Services == nil {
		t.Error("final report has no services")
	}
}

// The engine against the simulator's ground truth, on each scenario. All
// three sources are served from the generated incident here; the live
// version of this test runs against the real backends in sources/adapter.
func TestAccuracyAgainstGroundTruth(t *testing.T) {
	var rows []simsource.Accuracy
	for _, p := range sim.Presets() {
		t.Run(p.Name, func(t *testing.T) {
			inc := incident(t, p.Name)
			r, err := triage.NewInvestigation(simSources(inc), options(), triage.REDQueries{}).Run(context.Background(), alertFor(inc), nil)
			if err != nil {
				t.Fatal(err)
			}
			a := simsource.Score(r, inc.Truth)
			rows = append(rows, a)
			for _, p := range a.Problems() {
				t.Error(p)
			}
			if a.DiffRank < 1 || a.DiffRank > 3 {
				t.Logf("differences: %v", topDiffs(r))
			}
		})
	}
	t.Log("\n" + simsource.Table(rows))
}

func topDiffs(r *triage.Report) []string {
	var out []string
	for _, d := range r.Differences[:min(5, len(r.Differences))] {
		out = append(out, fmt.Sprintf("%s=%s %.2f/%.2f", d.Attribute, d.Value, d.FailingShare, d.BaselineShare))
	}
	return out
}

// The investigation takes about as long as its slowest source call: the
// sources are asked in parallel. Fake sources answer after fixed delays;
// this is the one place where fakes are the point. Trace fetches are many
// (the sample, 16 at a time) and cheap, so Tempo's searches carry its cost,
// as with a real Tempo; the uniform case shows the cost of a slow fetch.
func BenchmarkInvestigationVsSlowestCall(b *testing.B) {
	inc := incident(b, "db-region")
	cases := []struct {
		name                  string
		prom, loki, search, f time.Duration
	}{
		{"typical", 300 * time.Millisecond, 1000 * time.Millisecond, 500 * time.Millisecond, 25 * time.Millisecond},
		{"uniform", 200 * time.Millisecond, 200 * time.Millisecond, 200 * time.Millisecond, 200 * time.Millisecond},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			src := simSources(inc)
			src = wrap(src, triage.SourcePrometheus, &faulty{delay: c.prom})
			src = wrap(src, triage.SourceLoki, &faulty{delay: c.loki})
			src.Traces = splitDelay{src.Traces, c.search, c.f}
			slowest := max(c.prom, c.loki, c.search, c.f)
			o := options()
			o.SourceDeadline = time.Minute
			var total time.Duration
			for b.Loop() {
				t0 := time.Now()
				if _, err := triage.NewInvestigation(src, o, triage.REDQueries{}).Run(context.Background(), alertFor(inc), nil); err != nil {
					b.Fatal(err)
				}
				total += time.Since(t0)
			}
			b.ReportMetric(float64(total)/float64(b.N)/float64(slowest), "x_slowest_call")
		})
	}
}

// splitDelay delays Tempo's searches and trace fetches differently.
type splitDelay struct {
	triage.TracesSource
	search, fetch time.Duration
}

func (s splitDelay) Search(ctx context.Context, q triage.TraceSearch) (triage.TraceHits, error) {
	if err := (&faulty{delay: s.search}).hit(ctx); err != nil {
		return triage.TraceHits{}, err
	}
	return s.TracesSource.Search(ctx, q)
}

func (s splitDelay) Trace(ctx context.Context, id string) (*triage.Trace, error) {
	if err := (&faulty{delay: s.fetch}).hit(ctx); err != nil {
		return nil, err
	}
	return s.TracesSource.Trace(ctx, id)
}

// The same answers give the same report whatever order and pace they
// arrive in: on every scenario, calls delayed at random give one report.
// The sample here is larger than the scope's own failing traces, so the
// trace ids found in exemplars and error logs are part of it.
func TestSameAnswersGiveTheSameReport(t *testing.T) {
	for _, p := range sim.Presets() {
		t.Run(p.Name, func(t *testing.T) {
			inc := incident(t, p.Name)
			o := options()
			o.TraceSample = 400
			var want []byte
			for seed := range 6 {
				src := simsource.Jitter(simSources(inc), uint64(seed), 30*time.Millisecond)
				r, err := triage.NewInvestigation(src, o, triage.REDQueries{}).Run(context.Background(), alertFor(inc), nil)
				if err != nil {
					t.Fatal(err)
				}
				for i := range r.Sources {
					r.Sources[i].LatencyMS = 0
				}
				got, err := json.Marshal(r)
				if err != nil {
					t.Fatal(err)
				}
				if seed == 0 {
					want = got
				} else if string(got) != string(want) {
					t.Fatalf("seed %d gave another report (%d traces) than seed 0", seed, len(r.Traces))
				}
			}
		})
	}
}

// The sources panel lists each source's queries by their text: the
// baseline's copies of the RED queries say so, as Loki's and Tempo's do,
// so the two are never taken for a duplicate.
func TestBaselineQueriesAreTagged(t *testing.T) {
	inc := incident(t, "db-region")
	r, err := triage.NewInvestigation(simSources(inc), options(), triage.REDQueries{}).Run(context.Background(), alertFor(inc), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{triage.SourcePrometheus, triage.SourceLoki} {
		qs := statusOf(r, name).Queries
		seen := map[string]int{}
		tagged := 0
		for _, q := range qs {
			seen[q]++
			if strings.HasSuffix(q, " (baseline)") {
				tagged++
			}
		}
		if tagged == 0 {
			t.Errorf("%s: no query tagged (baseline) in %q", name, qs)
		}
		for q, n := range seen {
			if n > 1 {
				t.Errorf("%s: %q listed %d times: one of them is the baseline's", name, q, n)
			}
		}
	}
}
