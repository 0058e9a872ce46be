package triage

import (
	"slices"
	"strings"
	"time"
)

// HealthyTraceSearches are the investigation's searches for healthy traces
// through the alert's service: in the baseline window, then in the
// incident window. A trace comparison asks them again, so that a bundle
// answers it offline.
func HealthyTraceSearches(scope Scope, w Window, o Options) []TraceSearch {
	o = o.withDefaults()
	_, _, healthy := discoveryQueries(scope, o.SlowThreshold)
	return healthySearches(healthy, w, o)
}

// healthySearches ask for half the sample's healthy traces, but no more
// than twice the baseline read whole: a search's answer costs the backend
// (Jaeger's carries every trace whole), and the baseline does not grow
// with the sample.
func healthySearches(q TraceSearch, w Window, o Options) []TraceSearch {
	limit := max(min(o.TraceSample/2, 2*maxBaselineTraces), 1)
	base, inc := q, q
	base.Start, base.End, base.Limit = w.BaselineStart, w.BaselineEnd, limit
	inc.Start, inc.End, inc.Limit = w.Start, w.End, limit
	return []TraceSearch{base, inc}
}

// SameRoute picks, of refs, the traces with the failing trace's root
// service and root span name, nearest in time to it first.
func SameRoute(refs []TraceRef, rootService, rootName string, near time.Time) []TraceRef {
	var out []TraceRef
	for _, r := range refs {
		if r.RootService == rootService && r.RootName == rootName {
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b TraceRef) int {
		da, db := a.Start.Sub(near).Abs(), b.Start.Sub(near).Abs()
		if da != db {
			return cmpInt64(int64(da), int64(db))
		}
		return strings.Compare(a.TraceID, b.TraceID)
	})
	return out
}

// OperationDelta is one operation, a service's span name, in a failing
// and a healthy trace.
type OperationDelta struct {
	Service       string
	Name          string
	Failing       int           // spans in the failing trace
	Healthy       int           // spans in the healthy trace
	FailingTime   time.Duration // their durations, summed
	HealthyTime   time.Duration
	FailingErrors int // erroring spans in the failing trace
	HealthyErrors int
}

// Delta is the failing trace's time in the operation minus the healthy one's.
func (d OperationDelta) Delta() time.Duration { return d.FailingTime - d.HealthyTime }

// TraceComparison sets a failing trace beside a healthy one of the same
// route: what the failing one did differently, operation by operation.
type TraceComparison struct {
	Failing, Healthy TraceAnalysis
	FailingSpans     int
	HealthySpans     int
	// Operations lists every operation of either trace: those with errors
	// in the failing trace first, then by the time they differ, most first.
	Operations []OperationDelta
}

// CompareTraces compares a failing trace with a healthy one.
func CompareTraces(failing, healthy *Trace, o AnalysisOptions) TraceComparison {
	c := TraceComparison{Failing: AnalyzeTrace(failing, o), Healthy: AnalyzeTrace(healthy, o),
		FailingSpans: len(failing.Spans), HealthySpans: len(healthy.Spans)}
	type key struct{ svc, name string }
	idx := map[key]int{}
	add := func(t *Trace, isFailing bool) {
		for i := range t.Spans {
			s := &t.Spans[i]
			k := key{s.Service(), s.Name}
			j, ok := idx[k]
			if !ok {
				j = len(c.Operations)
				idx[k] = j
				c.Operations = append(c.Operations, OperationDelta{Service: k.svc, Name: k.name})
			}
			d := &c.Operations[j]
			if isFailing {
				d.Failing++
				d.FailingTime += s.Duration()
				if s.Error {
					d.FailingErrors++
				}
			} else {
				d.Healthy++
				d.HealthyTime += s.Duration()
				if s.Error {
					d.HealthyErrors++
				}
			}
		}
	}
	add(failing, true)
	add(healthy, false)
	slices.SortStableFunc(c.Operations, func(a, b OperationDelta) int {
		if (a.FailingErrors > a.HealthyErrors) != (b.FailingErrors > b.HealthyErrors) {
			if a.FailingErrors > a.HealthyErrors {
				return -1
			}
			return 1
		}
		if da, db := a.Delta().Abs(), b.Delta().Abs(); da != db {
			return cmpInt64(int64(db), int64(da))
		}
		if x := strings.Compare(a.Service, b.Service); x != 0 {
			return x
		}
		return strings.Compare(a.Name, b.Name)
	})
	return c
}
