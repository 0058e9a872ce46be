package adapter

import (
	"strings"
	"testing"
	"time"

	"github.com/triagectl/triage/sources/tempo"
	"github.com/triagectl/triage/triage"
)

func TestBaselineTraceQL(t *testing.T) {
	q := triage.BaselineSearch{
		Healthy: triage.TraceSearch{Service: "storefront", Kinds: triage.EntryKinds, Status: triage.StatusNotError},
		Ask: triage.BaselineKeys{Services: []string{"payments", `we"ird`}, SpanKeys: []string{"http.route", "user tier"},
			ResourceKeys: []string{"cloud.region"}},
	}
	got := BaselineTraceQL(q)
	want := `{ (resource.service.name = "storefront" && (kind = server || kind = consumer) && status != error) || resource.service.name = "payments" || resource.service.name = "we\"ird" }` +
		` | select(span:name, span:parentID, span.http.route, span."user tier", resource.cloud.region)`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	q.Ask.Services = nil
	if got := BaselineTraceQL(q); !strings.HasPrefix(got, `{ resource.service.name = "storefront" && (kind = server || kind = consumer) && status != error } | select(`) {
		t.Errorf("without services: %s", got)
	}
}

// A search answer as Tempo 3.1 gives it for BaselineTraceQL: selected
// attributes without their scope, "nil" for one a span lacks, the
// condition's intrinsics (kind, status) beside them, and span:parentID all
// zeros for the root.
const baselineAnswer = `{"traces":[
 {"traceID":"384f7304df87d4f5286838dd1c59966","rootServiceName":"storefront","rootTraceName":"POST /checkout","startTimeUnixNano":"1796547606970939593","durationMs":49,
  "spanSets":[{"spans":[
   {"spanID":"bbd07e0739898bfa","name":"payments.v1.PaymentService/Charge","startTimeUnixNano":"1796547606999107459","durationNanos":"9607705","attributes":[
     {"key":"service.name","value":{"stringValue":"payments"}},{"key":"kind","value":{"stringValue":"server"}},
     {"key":"cloud.region","value":{"stringValue":"eu-west-1"}},{"key":"status","value":{"stringValue":"unset"}},
     {"key":"span:parentID","value":{"stringValue":"202574ffd2c0e06f"}},{"key":"http.route","value":{"stringValue":"nil"}}]},
   {"spanID":"9ce65da91f2e606e","name":"POST /checkout","startTimeUnixNano":"1796547606970939593","durationNanos":"49646033","attributes":[
     {"key":"kind","value":{"stringValue":"server"}},{"key":"http.route","value":{"stringValue":"/checkout"}},
     {"key":"service.name","value":{"stringValue":"storefront"}},{"key":"cloud.region","value":{"stringValue":"us-east-1"}},
     {"key":"status","value":{"stringValue":"unset"}},{"key":"span:parentID","value":{"stringValue":"0000000000000000"}},
     {"key":"user.tier","value":{"intValue":"2"}}]}],"matched":2}]},
 {"traceID":"5085268723b28c0c2cd8d51418aa56cb","rootServiceName":"storefront","rootTraceName":"POST /checkout","startTimeUnixNano":"1796547606970939593","durationMs":49,
  "spanSets":[{"spans":[
   {"spanID":"aaaaaaaaaaaaaaaa","name":"INSERT ledger","startTimeUnixNano":"1796547606999107459","durationNanos":"9607705","attributes":[
     {"key":"service.name","value":{"stringValue":"payments"}},{"key":"status","value":{"stringValue":"error"}},
     {"key":"span:parentID","value":{"stringValue":"202574ffd2c0e06f"}}]}],"matched":1}]}
],"metrics":{"inspectedBytes":"68896","completedJobs":1,"totalJobs":1}}`

func TestSkeletonFromSearchAnswer(t *testing.T) {
	res, err := tempo.DecodeSearch([]byte(baselineAnswer))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Traces) != 2 {
		t.Fatalf("%d traces", len(res.Traces))
	}
	tr := skeleton(res.Traces[0], []string{"http.route", "user.tier"}, []string{"cloud.region"})
	if tr == nil || len(tr.Spans) != 2 {
		t.Fatalf("skeleton %+v", tr)
	}
	a := triage.AnalyzeTrace(tr, triage.AnalysisOptions{})
	if a.RootService != "storefront" || a.Entry != "storefront /checkout" || a.Failing {
		t.Errorf("root %q entry %q failing %v", a.RootService, a.Entry, a.Failing)
	}
	var root, pay *triage.Span
	for i := range tr.Spans {
		if tr.Spans[i].ParentID == "" {
			root = &tr.Spans[i]
		} else {
			pay = &tr.Spans[i]
		}
	}
	if root == nil || pay == nil || pay.ParentID != root.SpanID {
		t.Fatalf("spans %+v", tr.Spans)
	}
	if v, _ := root.Attrs.Get("user.tier"); v != "2" {
		t.Errorf("root user.tier %q, want 2", v)
	}
	if _, ok := pay.Attrs.Get("http.route"); ok {
		t.Error(`"nil" kept as a value`)
	}
	if v, _ := pay.Resource.Attrs.Get("cloud.region"); v != "eu-west-1" || pay.Service() != "payments" || pay.Kind != triage.KindServer {
		t.Errorf("payments span: region %q service %q kind %v", v, pay.Service(), pay.Kind)
	}
	if _, ok := root.Attrs.Get("cloud.region"); ok {
		t.Error("a resource key read as a span attribute")
	}
	if d := root.End.Sub(root.Start); d != 49646033*time.Nanosecond {
		t.Errorf("root duration %s", d)
	}
	// A hit without its root (the root failed, or another service's) is no
	// baseline trace.
	if tr := skeleton(res.Traces[1], nil, nil); tr != nil {
		t.Errorf("rootless hit made a skeleton: %+v", tr)
	}
}
