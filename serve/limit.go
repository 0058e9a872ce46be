package serve

import (
	"context"
	"time"

	"github.com/triagectl/triage/triage"
)

// semaphore caps concurrent calls to one backend across every
// investigation the daemon runs, so an alert storm queues in the daemon
// instead of piling onto Prometheus, Loki or Tempo.
type semaphore chan struct{}

func newSemaphore(n int) semaphore {
	if n <= 0 {
		return nil
	}
	return make(semaphore, n)
}

func (s semaphore) acquire(ctx context.Context) error {
	if s == nil {
		return nil
	}
	select {
	case s <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s semaphore) release() {
	if s != nil {
		<-s
	}
}

// limits holds one semaphore per source name.
type limits map[string]semaphore

func newLimits(perSource map[string]int) limits {
	l := limits{}
	for name, n := range perSource {
		l[name] = newSemaphore(n)
	}
	return l
}

// wrap returns src with every call going through its source's semaphore.
func (l limits) wrap(src triage.Sources) triage.Sources {
	out := src
	if src.Metrics != nil {
		out.Metrics = limitedMetrics{src.Metrics, l[triage.SourcePrometheus]}
	}
	if src.Logs != nil {
		out.Logs = limitedLogs{src.Logs, l[triage.SourceLoki]}
	}
	if src.Traces != nil {
		out.Traces = limitedTraces{src.Traces, l[src.Traces.Name()]}
		if ss, ok := src.Traces.(triage.SelectSearcher); ok {
			out.Traces = limitedSelect{limitedTraces{src.Traces, l[src.Traces.Name()]}, ss}
		}
	}
	return out
}

type limitedMetrics struct {
	m   triage.MetricsSource
	sem semaphore
}

func (l limitedMetrics) Query(ctx context.Context, q string, at time.Time) ([]triage.Sample, error) {
	if err := l.sem.acquire(ctx); err != nil {
		return nil, err
	}
	defer l.sem.release()
	return l.m.Query(ctx, q, at)
}

func (l limitedMetrics) QueryRange(ctx context.Context, q string, start, end time.Time, step time.Duration) ([]triage.Series, error) {
	if err := l.sem.acquire(ctx); err != nil {
		return nil, err
	}
	defer l.sem.release()
	return l.m.QueryRange(ctx, q, start, end, step)
}

func (l limitedMetrics) Exemplars(ctx context.Context, q string, start, end time.Time) ([]triage.Exemplar, error) {
	if err := l.sem.acquire(ctx); err != nil {
		return nil, err
	}
	defer l.sem.release()
	return l.m.Exemplars(ctx, q, start, end)
}

type limitedLogs struct {
	l   triage.LogsSource
	sem semaphore
}

func (l limitedLogs) Lines(ctx context.Context, q triage.LogQuery) ([]triage.LogLine, error) {
	if err := l.sem.acquire(ctx); err != nil {
		return nil, err
	}
	defer l.sem.release()
	return l.l.Lines(ctx, q)
}

func (l limitedLogs) Patterns(ctx context.Context, query string, start, end time.Time, step time.Duration) ([]triage.LokiPattern, error) {
	if err := l.sem.acquire(ctx); err != nil {
		return nil, err
	}
	defer l.sem.release()
	return l.l.Patterns(ctx, query, start, end, step)
}

func (l limitedLogs) Volume(ctx context.Context, selector string, start, end time.Time) (map[string]int, error) {
	if err := l.sem.acquire(ctx); err != nil {
		return nil, err
	}
	defer l.sem.release()
	return l.l.Volume(ctx, selector, start, end)
}

func (l limitedLogs) ServiceLabel() string { return l.l.ServiceLabel() }

type limitedTraces struct {
	t   triage.TracesSource
	sem semaphore
}

func (l limitedTraces) Name() string { return l.t.Name() }

func (l limitedTraces) Search(ctx context.Context, q triage.TraceSearch) (triage.TraceHits, error) {
	if err := l.sem.acquire(ctx); err != nil {
		return triage.TraceHits{}, err
	}
	defer l.sem.release()
	return l.t.Search(ctx, q)
}

func (l limitedTraces) Trace(ctx context.Context, id string) (*triage.Trace, error) {
	if err := l.sem.acquire(ctx); err != nil {
		return nil, err
	}
	defer l.sem.release()
	return l.t.Trace(ctx, id)
}

// limitedSelect is limitedTraces over a source that answers the baseline
// and skeletons with select: the wrapper keeps that, under the same limit.
type limitedSelect struct {
	limitedTraces
	ss triage.SelectSearcher
}

func (l limitedSelect) SearchBaseline(ctx context.Context, q triage.BaselineSearch) (triage.TraceHits, error) {
	if err := l.sem.acquire(ctx); err != nil {
		return triage.TraceHits{}, err
	}
	defer l.sem.release()
	return l.ss.SearchBaseline(ctx, q)
}

func (l limitedSelect) SelectTraces(ctx context.Context, ids []string, start, end time.Time, keys triage.SkeletonKeys) (triage.TraceHits, error) {
	if err := l.sem.acquire(ctx); err != nil {
		return triage.TraceHits{}, err
	}
	defer l.sem.release()
	return l.ss.SelectTraces(ctx, ids, start, end, keys)
}

func (l limitedSelect) MaxSelected(keys triage.SkeletonKeys) int { return l.ss.MaxSelected(keys) }

func (l limitedSelect) SearchSkeletons(ctx context.Context, q triage.TraceSearch, keys triage.SkeletonKeys) (triage.TraceHits, error) {
	if err := l.sem.acquire(ctx); err != nil {
		return triage.TraceHits{}, err
	}
	defer l.sem.release()
	return l.ss.SearchSkeletons(ctx, q, keys)
}
