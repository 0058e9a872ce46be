package triage_test

import (
	"context"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/triagectl/triage/triage"
)

// skeletonOf is what a SkeletonSearcher returns for t: every span's
// structure with only the keys asked. Tempo's answer names no scope, so
// an asked key set on a span's resource reads as the span's own unless it
// is asked on resources only, and a span with links keeps one, whose
// trace id is all it tells.
func skeletonOf(t *triage.Trace, keys triage.SkeletonKeys) *triage.Trace {
	out := &triage.Trace{ID: t.ID, Skeleton: true, Spans: make([]triage.Span, len(t.Spans))}
	resources := map[*triage.Resource]*triage.Resource{}
	for i, s := range t.Spans {
		sk := triage.Span{TraceID: s.TraceID, SpanID: s.SpanID, ParentID: s.ParentID, Name: s.Name, Kind: s.Kind,
			Start: s.Start, End: s.End, Error: s.Error, StatusMessage: s.StatusMessage}
		for _, k := range keys.SpanKeys {
			v, ok := s.Attrs.Get(k)
			if !ok && s.Resource != nil && slices.Contains(keys.ResourceKeys, k) {
				v, ok = s.Resource.Attrs.Get(k)
			}
			if ok {
				sk.Attrs = append(sk.Attrs, triage.Attr{Key: k, Value: v})
			}
		}
		if len(s.Links) > 0 {
			sk.Links = []triage.Link{{TraceID: s.Links[0].TraceID}}
		}
		if s.Resource != nil {
			r := resources[s.Resource]
			if r == nil {
				r = &triage.Resource{Service: s.Resource.Service, Attrs: triage.Attrs{{Key: "service.name", Value: s.Resource.Service}}}
				for _, k := range keys.ResourceKeys {
					if v, ok := s.Resource.Attrs.Get(k); ok && !slices.Contains(keys.SpanKeys, k) {
						r.Attrs = append(r.Attrs, triage.Attr{Key: k, Value: v})
					}
				}
				resources[s.Resource] = r
			}
			sk.Resource = r
		}
		out.Spans[i] = sk
	}
	return out
}

// A slow trace that did not fail reads from its skeleton exactly as from
// the whole trace: its root, entry point, outcome, critical path and the
// services' self time on it, its tolerated errors, its user and details.
// Every simulated scenario's sampled traces are read both ways.
func TestSkeletonReadsAsWholeTrace(t *testing.T) {
	o := options()
	ao := triage.AnalysisOptions{UserAttributes: o.UserAttributes, UserDetailAttributes: o.UserDetailAttributes, SlowThreshold: o.SlowThreshold}
	keys := triage.SkeletonAsk(ao)
	for _, preset := range []string{"db-region", "cache-tier", "consumer", "noise", "batch-consumer", "retry"} {
		t.Run(preset, func(t *testing.T) {
			inc := incident(t, preset)
			src := simSources(inc).Traces
			ctx := context.Background()
			h, err := src.Search(ctx, triage.TraceSearch{Start: inc.Truth.IncidentStart, End: inc.Truth.End, Limit: 400})
			if err != nil || len(h.Refs) == 0 {
				t.Fatalf("search: %d hits, %v", len(h.Refs), err)
			}
			compared, linked := 0, 0
			for _, ref := range h.Refs {
				whole, err := src.Trace(ctx, ref.TraceID)
				if err != nil {
					t.Fatal(err)
				}
				want := triage.AnalyzeTrace(whole, ao)
				if want.Failing {
					continue
				}
				sk := skeletonOf(whole, keys)
				hasLinks := slices.ContainsFunc(whole.Spans, func(s triage.Span) bool { return len(s.Links) > 0 })
				if hasLinks {
					linked++
					continue
				}
				got := triage.AnalyzeTrace(sk, ao)
				compared++
				if g, w := readOf(got), readOf(want); g != w {
					t.Fatalf("trace %s reads differently from its skeleton:\n got  %s\n want %s", whole.ID, g, w)
				}
			}
			if compared == 0 {
				t.Fatalf("no trace compared (%d with links)", linked)
			}
			t.Logf("%d traces read alike, %d with links left to be fetched whole", compared, linked)
		})
	}
}

// readOf is everything the ranking, the users and the report's rows take
// from an analysis, as one string to compare.
func readOf(a triage.TraceAnalysis) string {
	type origin struct {
		Service, Caller, SpanName, Message string
		Peer, Fatal                        bool
		Path                               []string
	}
	v := struct {
		Row                triage.TraceRow
		Entry, Route, User string
		UserAttrs          triage.Attrs
		Slow               bool
		SelfTime           []triage.ServiceTime
		Critical           []string
		Origins            []origin
		Propagating        []string
	}{Row: a.Row(), Entry: a.Entry, Route: a.Route, User: a.User, UserAttrs: a.UserAttrs, Slow: a.Slow,
		SelfTime: a.SelfTime, Propagating: a.Propagating}
	for _, p := range a.CriticalPath {
		v.Critical = append(v.Critical, p.Service+"/"+p.Blamed()+"/"+p.Name)
	}
	for _, o := range a.Origins {
		v.Origins = append(v.Origins, origin{o.Service, o.Caller, o.SpanName, o.Message, o.Peer, o.Fatal, o.Path})
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// skeletonSearching answers searches with skeletons as a SkeletonSearcher
// does, built from the whole traces without counting a fetch.
type skeletonSearching struct {
	*countingTraces
	mu    sync.Mutex
	asked []triage.SkeletonKeys
}

func (s *skeletonSearching) SearchSkeletons(ctx context.Context, q triage.TraceSearch, keys triage.SkeletonKeys) (triage.TraceHits, error) {
	s.mu.Lock()
	s.asked = append(s.asked, keys)
	s.mu.Unlock()
	h, err := s.TracesSource.Search(ctx, q)
	if err != nil {
		return h, err
	}
	for i := range h.Refs {
		whole, err := s.TracesSource.Trace(ctx, h.Refs[i].TraceID)
		if err != nil {
			return h, err
		}
		h.Refs[i].Trace = skeletonOf(whole, keys)
	}
	h.Query = "skeletons of " + h.Query
	return h, nil
}

// With a source that answers skeletons, an error incident reads its
// traces that did not fail from them and fetches only the rest; a consumer
// incident fetches its traces whole, as a skeleton lacks their links. The
// verdict is the one the whole traces give: the same services, users,
// impact, differences and rows. A latency incident ranks from skeletons too
// and reads 100 of its slow traces whole, spread over the sample, for what's
// different: the same rows, the planted difference where it was, and
// shares within a few points of those over every slow trace.
func TestSkeletonsGiveTheWholeTracesVerdict(t *testing.T) {
	for _, c := range []struct {
		preset         string
		latency, links bool
	}{{"db-region", false, false}, {"noise", false, false}, {"retry", false, false}, {"consumer", false, true}, {"cache-tier", true, false}} {
		t.Run(c.preset, func(t *testing.T) {
			inc := incident(t, c.preset)
			plain := &countingTraces{TracesSource: simSources(inc).Traces}
			src := simSources(inc)
			src.Traces = plain
			want, err := triage.NewInvestigation(src, options(), triage.REDQueries{}).Run(context.Background(), alertFor(inc), nil)
			if err != nil {
				t.Fatal(err)
			}
			sk := &skeletonSearching{countingTraces: &countingTraces{TracesSource: simSources(inc).Traces}}
			src.Traces = sk
			got, err := triage.NewInvestigation(src, options(), triage.REDQueries{}).Run(context.Background(), alertFor(inc), nil)
			if err != nil {
				t.Fatal(err)
			}
			parts := []struct {
				name      string
				got, want any
			}{
				{"services", got.Services, want.Services}, {"users", got.Users, want.Users}, {"impact", got.Impact, want.Impact},
				{"traces", got.Traces, want.Traces}, {"timeline", got.Timeline, want.Timeline},
			}
			if c.latency {
				sameDifferences(t, got.Differences, want.Differences, inc.Truth.Difference.Attribute, inc.Truth.Difference.Value)
			} else {
				parts = append(parts, struct {
					name      string
					got, want any
				}{"differences", got.Differences, want.Differences})
			}
			for _, part := range parts {
				g, _ := json.Marshal(part.got)
				w, _ := json.Marshal(part.want)
				if string(g) != string(w) {
					t.Errorf("%s differ with skeletons:\n got  %s\n want %s", part.name, g, w)
				}
			}
			if len(sk.asked) == 0 {
				t.Fatal("no skeleton search asked")
			}
			n := *got.Evidence.SkeletonTraces
			notes := strings.Join(traceNotes(got), "\n")
			switch {
			case c.links && (n != 0 || sk.fetches.Load() != plain.fetches.Load()):
				t.Errorf("linked traces: %d read from skeletons and %d fetched, want none and %d", n, sk.fetches.Load(), plain.fetches.Load())
			case c.links:
			case c.latency && n == 0:
				t.Error("a latency incident read no slow trace from its skeleton")
			case c.latency && !strings.Contains(notes, "a latency incident, so what's different compares every attribute of 100 of its slow traces"):
				t.Errorf("no note on the latency incident's slow traces read whole: %q", notes)
			case !c.latency && n == 0:
				t.Error("an error incident read no slow trace from its skeleton")
			case !c.latency && int(sk.fetches.Load())+n > int(plain.fetches.Load()):
				t.Errorf("fetched %d whole and read %d from skeletons, against %d fetched without them", sk.fetches.Load(), n, plain.fetches.Load())
			case !c.latency && !strings.Contains(notes, "not fetched whole"):
				t.Errorf("no note on the skeletons: %q", notes)
			}
			basis := map[string]string{}
			for _, f := range got.Evidence.Sampled {
				basis[f.Figure] = f.Basis
			}
			if !c.links && !strings.Contains(basis["services"], "as skeleton searches returned them") {
				t.Errorf("the services' basis %q does not say which traces came as skeletons", basis["services"])
			}
			if c.latency && !strings.Contains(basis["differences"], "100 of the slow sample's traces, read whole and spread over it") {
				t.Errorf("the differences' basis %q does not say they compare part of the slow traces", basis["differences"])
			}
			t.Logf("%d fetched whole and %d from skeletons, against %d fetched whole without them", sk.fetches.Load(), n, plain.fetches.Load())
		})
	}
}

// sameDifferences checks what's different over a spread part of the slow
// traces against it over all of them: the same rows in the same order,
// the planted one where it was, and every share within 10 points.
func sameDifferences(t *testing.T, got, want []triage.Difference, attr, value string) {
	t.Helper()
	if len(got) != len(want) || len(got) == 0 {
		t.Fatalf("%d differences, want %d:\n got  %+v\n want %+v", len(got), len(want), got, want)
	}
	planted := func(ds []triage.Difference) int {
		return slices.IndexFunc(ds, func(d triage.Difference) bool { return d.Attribute == attr && d.Value == value })
	}
	if g, w := planted(got), planted(want); g < 0 || g != w {
		t.Errorf("the planted %s=%s ranks #%d, #%d over every slow trace", attr, value, g+1, w+1)
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Attribute != w.Attribute || g.Value != w.Value || math.Abs(g.FailingShare-w.FailingShare) > 0.1 || math.Abs(g.BaselineShare-w.BaselineShare) > 0.1 {
			t.Errorf("difference %d: got %+v, want %+v", i, g, w)
		}
	}
}
