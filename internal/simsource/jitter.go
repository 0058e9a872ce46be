package simsource

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/triagectl/triage/triage"
)

// Jitter delays every call of src by a random time up to max, drawn from
// seed: the sources then answer in another order and at another pace on
// every seed, which is what determinism tests need.
func Jitter(src triage.Sources, seed uint64, max time.Duration) triage.Sources {
	j := &jitter{rnd: rand.New(rand.NewPCG(seed, 7)), max: max}
	var out triage.Sources
	if src.Metrics != nil {
		out.Metrics = jitterMetrics{src.Metrics, j}
	}
	if src.Logs != nil {
		out.Logs = jitterLogs{src.Logs, j}
	}
	if src.Traces != nil {
		out.Traces = jitterTraces{src.Traces, j}
		if ss, ok := src.Traces.(triage.SelectSearcher); ok {
			out.Traces = jitterSelect{jitterTraces{src.Traces, j}, ss}
		}
	}
	return out
}

// jitter delays every call by a random time.
type jitter struct {
	mu  sync.Mutex
	rnd *rand.Rand
	max time.Duration
}

func (j *jitter) sleep(ctx context.Context) {
	j.mu.Lock()
	d := time.Duration(j.rnd.Int64N(int64(j.max)))
	j.mu.Unlock()
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
}

type jitterMetrics struct {
	triage.MetricsSource
	j *jitter
}

func (m jitterMetrics) Query(ctx context.Context, q string, at time.Time) ([]triage.Sample, error) {
	m.j.sleep(ctx)
	return m.MetricsSource.Query(ctx, q, at)
}

func (m jitterMetrics) QueryRange(ctx context.Context, q string, start, end time.Time, step time.Duration) ([]triage.Series, error) {
	m.j.sleep(ctx)
	return m.MetricsSource.QueryRange(ctx, q, start, end, step)
}

func (m jitterMetrics) Exemplars(ctx context.Context, q string, start, end time.Time) ([]triage.Exemplar, error) {
	m.j.sleep(ctx)
	return m.MetricsSource.Exemplars(ctx, q, start, end)
}

type jitterLogs struct {
	triage.LogsSource
	j *jitter
}

func (l jitterLogs) Lines(ctx context.Context, q triage.LogQuery) ([]triage.LogLine, error) {
	l.j.sleep(ctx)
	return l.LogsSource.Lines(ctx, q)
}

func (l jitterLogs) Volume(ctx context.Context, sel string, start, end time.Time) (map[string]int, error) {
	l.j.sleep(ctx)
	return l.LogsSource.Volume(ctx, sel, start, end)
}

func (l jitterLogs) Patterns(ctx context.Context, q string, start, end time.Time, step time.Duration) ([]triage.LokiPattern, error) {
	l.j.sleep(ctx)
	return l.LogsSource.Patterns(ctx, q, start, end, step)
}

type jitterTraces struct {
	triage.TracesSource
	j *jitter
}

func (t jitterTraces) Search(ctx context.Context, q triage.TraceSearch) (triage.TraceHits, error) {
	t.j.sleep(ctx)
	return t.TracesSource.Search(ctx, q)
}

func (t jitterTraces) Trace(ctx context.Context, id string) (*triage.Trace, error) {
	t.j.sleep(ctx)
	return t.TracesSource.Trace(ctx, id)
}

// jitterSelect is jitterTraces over a source that answers the baseline
// and skeletons with select, which it keeps doing.
type jitterSelect struct {
	jitterTraces
	ss triage.SelectSearcher
}

func (t jitterSelect) SearchBaseline(ctx context.Context, q triage.BaselineSearch) (triage.TraceHits, error) {
	t.j.sleep(ctx)
	return t.ss.SearchBaseline(ctx, q)
}

func (t jitterSelect) SelectTraces(ctx context.Context, ids []string, start, end time.Time, keys triage.SkeletonKeys) (triage.TraceHits, error) {
	t.j.sleep(ctx)
	return t.ss.SelectTraces(ctx, ids, start, end, keys)
}

func (t jitterSelect) MaxSelected(keys triage.SkeletonKeys) int { return t.ss.MaxSelected(keys) }

func (t jitterSelect) SearchSkeletons(ctx context.Context, q triage.TraceSearch, keys triage.SkeletonKeys) (triage.TraceHits, error) {
	t.j.sleep(ctx)
	return t.ss.SearchSkeletons(ctx, q, keys)
}
