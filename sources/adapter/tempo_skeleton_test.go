package adapter

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/sources/tempo"
	"github.com/triagectl/triage/triage"
)

func TestSkeletonTraceQL(t *testing.T) {
	keys := triage.SkeletonKeys{SpanKeys: []string{"http.route", "enduser.id"}, ResourceKeys: []string{"enduser.id"}}
	q := triage.TraceSearch{Service: "storefront", Kinds: triage.EntryKinds, MinDuration: time.Second}
	want := `{ resource.service.name = "storefront" && (kind = server || kind = consumer) && duration > 1000ms } && { }` +
		` | select(span:name, span:parentID, span:kind, span:status, span:statusMessage, link:traceID, resource.service.name, span.http.route, span.enduser.id, resource.enduser.id)`
	if got := SkeletonTraceQL(q, keys); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	q = triage.TraceSearch{Service: "storefront", FailingBelow: true}
	if got := SkeletonTraceQL(q, keys); !strings.HasPrefix(got, `({ resource.service.name = "storefront" } >> { status = error }) && { } | select(`) {
		t.Errorf("structural: %s", got)
	}
}

func TestSelectTraceQL(t *testing.T) {
	keys := triage.SkeletonKeys{SpanKeys: []string{"http.route"}, ResourceKeys: []string{"cloud.availability_zone"}}
	ids := []string{"0af7651916cd43dd8448eb211c80319c", "4bf92f3577b34da6a3ce929d0e0e4736"}
	want := `{ trace:id = "0af7651916cd43dd8448eb211c80319c" || trace:id = "4bf92f3577b34da6a3ce929d0e0e4736" }` +
		` | select(span:name, span:parentID, span:kind, span:status, span:statusMessage, link:traceID, resource.service.name, span.http.route, resource.cloud.availability_zone)`
	if got := SelectTraceQL(ids, keys); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// One search by id takes as many ids as keep its TraceQL within 4,000
// bytes, and no more: Tempo 3.1 fails to parse some longer ones.
func TestMaxSelectedKeepsTheQueryShort(t *testing.T) {
	ids := make([]string, 200)
	for i := range ids {
		ids[i] = fmt.Sprintf("%032x", i+1)
	}
	few := triage.SkeletonAsk(triage.AnalysisOptions{UserAttributes: []string{"enduser.id"}})
	many := triage.SkeletonKeys{SpanKeys: slices.Repeat([]string{"deployment.environment.name"}, 20), ResourceKeys: slices.Repeat([]string{"k8s.deployment.name"}, 20)}
	for _, keys := range []triage.SkeletonKeys{few, many} {
		n := Traces{}.MaxSelected(keys)
		if got := len(SelectTraceQL(ids[:n], keys)); got > 4000 || n < 20 {
			t.Errorf("%d ids: %d bytes", n, got)
		}
		if got := len(SelectTraceQL(ids[:n+1], keys)); got <= 4000 {
			t.Errorf("%d ids would still fit: %d bytes", n+1, got)
		}
	}
}

// A skeleton search's answer as Tempo 3.1 gave it for the simulator's
// incident (SkeletonTraceQL with the default keys): a slow checkout of 16
// spans and a notifications consumer trace linking to its producer.
func TestStructureFromSearchAnswer(t *testing.T) {
	body, err := os.ReadFile("testdata/skeleton_search.json")
	if err != nil {
		t.Fatal(err)
	}
	res, err := tempo.DecodeSearch(body)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Traces) != 2 {
		t.Fatalf("%d traces", len(res.Traces))
	}
	keys := triage.SkeletonAsk(triage.AnalysisOptions{UserAttributes: []string{"enduser.id", "user.id", "customer.id"},
		UserDetailAttributes: []string{"user.tier", "user.region"}})
	tr := structure(res.Traces[0], keys)
	if tr == nil || !tr.Skeleton || len(tr.Spans) != 16 {
		t.Fatalf("skeleton %+v", tr)
	}
	ids := map[string]bool{}
	for _, s := range tr.Spans {
		ids[s.SpanID] = true
	}
	roots := 0
	for _, s := range tr.Spans {
		switch {
		case s.ParentID == "":
			roots++
		case !ids[s.ParentID]:
			t.Errorf("span %s hangs from %s, not in the trace", s.SpanID, s.ParentID)
		}
		if s.Service() == "" || s.Name == "" {
			t.Errorf("span %s without service or name: %+v", s.SpanID, s)
		}
		if len(s.Links) > 0 {
			t.Errorf("span %s of a trace without links has %+v", s.SpanID, s.Links)
		}
	}
	if roots != 1 {
		t.Errorf("%d roots", roots)
	}
	a := triage.AnalyzeTrace(tr, triage.AnalysisOptions{UserAttributes: []string{"enduser.id"}, UserDetailAttributes: []string{"user.tier"}, SlowThreshold: time.Second})
	if a.RootService != "storefront" || a.Entry != "storefront POST /checkout" || a.Failing || !a.Slow {
		t.Errorf("root %q entry %q failing %v slow %v", a.RootService, a.Entry, a.Failing, a.Slow)
	}
	if a.User == "" || len(a.UserAttrs) != 1 || len(a.SelfTime) == 0 {
		t.Errorf("user %q details %v self time %v", a.User, a.UserAttrs, a.SelfTime)
	}
	if !slices.ContainsFunc(tr.Spans, func(s triage.Span) bool {
		v, ok := s.Attrs.Get("db.system")
		return ok && v != "" && s.Kind == triage.KindClient
	}) {
		t.Error("no client span names its database")
	}

	linked := structure(res.Traces[1], keys)
	if linked == nil || !slices.ContainsFunc(linked.Spans, func(s triage.Span) bool { return len(s.Links) == 1 && len(s.Links[0].TraceID) == 32 }) {
		t.Errorf("the consumer's link is not marked: %+v", linked)
	}

	// A span set listing fewer spans than matched is not the whole
	// structure.
	cut := res.Traces[0]
	cut.SpanSets = slices.Clone(cut.SpanSets)
	cut.SpanSets[0].Matched++
	if structure(cut, keys) != nil {
		t.Error("a cut answer made a skeleton")
	}
}

// A Tempo that refuses the skeleton search (one without select or these
// intrinsics answers 400) still answers the search as such: the hits come
// without skeletons, to be fetched whole, and the note says why.
func TestSkeletonSearchRefusedFallsBackToSearch(t *testing.T) {
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query().Get("q")
		asked = append(asked, q)
		if strings.Contains(q, "select(") {
			http.Error(w, `parse error at line 1, col 98: syntax error: unexpected IDENTIFIER`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"traces":[{"traceID":"4bf92f3577b34da6a3ce929d0e0e4736","rootServiceName":"storefront","rootTraceName":"GET /","startTimeUnixNano":"1796547606970939593","durationMs":1200}]}`))
	}))
	defer srv.Close()
	zero := 0
	c, err := tempo.New(sources.Config{URL: srv.URL, Timeout: 5 * time.Second, Retries: &zero})
	if err != nil {
		t.Fatal(err)
	}
	q := triage.TraceSearch{Service: "storefront", Kinds: triage.EntryKinds, MinDuration: time.Second,
		Start: time.Unix(1796547000, 0), End: time.Unix(1796548000, 0), Limit: 10}
	h, err := Traces{C: c}.SearchSkeletons(context.Background(), q, triage.SkeletonAsk(triage.AnalysisOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Refs) != 1 || h.Refs[0].Trace != nil {
		t.Fatalf("refs %+v, want the one hit without a skeleton", h.Refs)
	}
	if !strings.Contains(h.Note, "did not answer the skeleton search") || !strings.Contains(h.Note, "400") {
		t.Errorf("note %q", h.Note)
	}
	if len(asked) != 2 || strings.Contains(asked[1], "select(") {
		t.Errorf("asked %q, want the skeleton search then the search as such", asked)
	}
}
