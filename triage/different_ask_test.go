package triage

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/triagectl/triage/internal/sim"
)

// skeletonOf is what a BaselineSearcher returns for a healthy trace: its
// root span and the asked services' spans, flattened under it, with only
// the asked keys (and the service name) on spans and resources.
func skeletonOf(tr *Trace, ask BaselineKeys) *Trace {
	keep := func(attrs Attrs, keys []string) Attrs {
		var out Attrs
		for _, kv := range attrs {
			if slices.Contains(keys, kv.Key) {
				out = append(out, kv)
			}
		}
		return out
	}
	out := &Trace{ID: tr.ID}
	resources := map[*Resource]*Resource{}
	rootID := ""
	for _, s := range tr.Spans {
		if s.ParentID == "" && rootID == "" {
			rootID = s.SpanID
		} else if !slices.Contains(ask.Services, s.Service()) {
			continue
		}
		c := s
		c.Attrs, c.Events, c.Links = keep(s.Attrs, ask.SpanKeys), nil, nil
		if s.ParentID != "" {
			c.ParentID = rootID
		}
		if s.Resource != nil {
			if resources[s.Resource] == nil {
				resources[s.Resource] = &Resource{Service: s.Resource.Service,
					Attrs: append(keep(s.Resource.Attrs, ask.ResourceKeys), Attr{"service.name", s.Resource.Service})}
			}
			c.Resource = resources[s.Resource]
		}
		out.Spans = append(out.Spans, c)
	}
	return out
}

// Compared with the attributes a BaselineSearcher returns instead of the
// same healthy traces read whole, "what's different" is the same: every
// row, value and share, on every simulated scenario.
func TestDifferencesFromAskedAttributesMatchWholeTraces(t *testing.T) {
	for _, p := range sim.Presets() {
		t.Run(p.Name, func(t *testing.T) {
			inc := generateSim(t, p.Scenario)
			r := investigateSim(inc, 7, 200)
			ask := BaselineAsk(r.sample, simAnalysis.UserAttributes)
			if len(ask.Services) == 0 {
				t.Fatal("no origin service asked")
			}
			var skeletons []TraceAnalysis
			for _, b := range r.baseline {
				skeletons = append(skeletons, AnalyzeTrace(skeletonOf(inc.byID[b.TraceID], ask), simAnalysis))
			}
			whole := Differences(r.sample, r.baseline, DiffOptions{SkipKeys: simAnalysis.UserAttributes})
			asked := Differences(r.sample, skeletons, DiffOptions{SkipKeys: simAnalysis.UserAttributes, Keys: ask.Keys()})
			if len(whole) == 0 {
				t.Fatal("no difference from whole traces")
			}
			if !reflect.DeepEqual(whole, asked) {
				t.Errorf("asked %d keys of %v:\nwhole traces: %s\nasked keys:   %s", len(ask.Keys()), ask.Services, rows(whole), rows(asked))
			}
		})
	}
}

func rows(ds []Difference) string {
	var b strings.Builder
	for _, d := range ds {
		fmt.Fprintf(&b, "\n  %s=%s %s %.3f/%.3f", d.Attribute, d.Value, d.Where, d.FailingShare, d.BaselineShare)
	}
	return b.String()
}

// What is asked: the origin services, the entry point's keys, the keys
// that can rank, never ids, outcomes or the caller's skipped keys, within
// the byte bound.
func TestBaselineAsk(t *testing.T) {
	inc := generateSim(t, mustPreset(t, "db-region"))
	r := investigateSim(inc, 7, 200)
	ask := BaselineAsk(r.sample, simAnalysis.UserAttributes)
	if !slices.Contains(ask.Services, inc.truth.CulpritCaller) && !slices.Contains(ask.Services, inc.truth.Culprit) {
		t.Errorf("services %v lack the culprit %s or its caller %s", ask.Services, inc.truth.Culprit, inc.truth.CulpritCaller)
	}
	for _, k := range routeKeys {
		if !slices.Contains(ask.SpanKeys, k) {
			t.Errorf("span keys %v lack the route key %s", ask.SpanKeys, k)
		}
	}
	if d := inc.truth.Difference; !slices.Contains(ask.Keys(), d.Attribute) {
		t.Errorf("keys %v lack the planted difference's %s", ask.Keys(), d.Attribute)
	}
	size := 0
	for _, k := range ask.Keys() {
		if skipKey(k, simAnalysis.UserAttributes) || answerField(k) {
			t.Errorf("asked %s, which never ranks", k)
		}
		if !slices.Contains(routeKeys, k) {
			size += len(k) + 3
		}
	}
	if size > maxBaselineKeyBytes {
		t.Errorf("asked %d bytes of keys, over %d", size, maxBaselineKeyBytes)
	}
	if got := BaselineAsk(nil, nil); len(got.Services) != 0 || !reflect.DeepEqual(got.SpanKeys, routeKeys) {
		t.Errorf("nothing failing: asked %+v, want the route keys only", got)
	}
}

func mustPreset(t *testing.T, name string) sim.Scenario {
	t.Helper()
	sc, err := sim.PresetScenario(name)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// With Keys set, a key the baseline was not asked for is not compared:
// absent from the answer, it would otherwise read as absent from every
// healthy trace.
func TestDifferencesCompareOnlyAskedKeys(t *testing.T) {
	inc := generateSim(t, mustPreset(t, "db-region"))
	r := investigateSim(inc, 7, 200)
	planted := inc.truth.Difference.Attribute
	all := Differences(r.sample, r.baseline, DiffOptions{SkipKeys: simAnalysis.UserAttributes})
	if !slices.ContainsFunc(all, func(d Difference) bool { return d.Attribute == planted }) {
		t.Fatalf("the planted %s is not among %s", planted, rows(all))
	}
	var keys []string
	for _, k := range BaselineAsk(r.sample, simAnalysis.UserAttributes).Keys() {
		if k != planted {
			keys = append(keys, k)
		}
	}
	without := Differences(r.sample, r.baseline, DiffOptions{SkipKeys: simAnalysis.UserAttributes, Keys: keys})
	if slices.ContainsFunc(without, func(d Difference) bool { return d.Attribute == planted }) {
		t.Errorf("%s ranked though not asked: %s", planted, rows(without))
	}
}
