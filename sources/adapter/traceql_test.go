package adapter

import (
	"testing"
	"time"

	"github.com/triagectl/triage/triage"
)

// The engine's searches come out as the TraceQL Tempo was always asked,
// byte for byte: recorded bundles replay by matching their requests.
func TestTraceQL(t *testing.T) {
	entry := triage.EntryKinds
	for _, tc := range []struct {
		q    triage.TraceSearch
		want string
	}{
		{triage.TraceSearch{Service: "payments", Kinds: entry, Status: triage.StatusError},
			`{ resource.service.name = "payments" && (kind = server || kind = consumer) && status = error }`},
		{triage.TraceSearch{Service: "payments", FailingBelow: true},
			`{ resource.service.name = "payments" } >> { status = error }`},
		{triage.TraceSearch{Service: "payments", Kinds: entry, MinDuration: time.Second},
			`{ resource.service.name = "payments" && (kind = server || kind = consumer) && duration > 1000ms }`},
		{triage.TraceSearch{Service: "payments", Kinds: entry, Status: triage.StatusNotError},
			`{ resource.service.name = "payments" && (kind = server || kind = consumer) && status != error }`},
		{triage.TraceSearch{Status: triage.StatusError}, `{ status = error }`},
		{triage.TraceSearch{Kinds: entry, MinDuration: 1500 * time.Millisecond},
			`{ (kind = server || kind = consumer) && duration > 1500ms }`},
		{triage.TraceSearch{Status: triage.StatusNotError}, `{ status != error }`},
		{triage.TraceSearch{LinksTo: "0AF7651916CD43DD8448EB211C80319C", Service: "ignored"},
			`{ link:traceID = "0af7651916cd43dd8448eb211c80319c" }`},
		{triage.TraceSearch{Service: `we"ird\svc`, Kinds: []triage.SpanKind{triage.KindClient}},
			`{ resource.service.name = "we\"ird\\svc" && kind = client }`},
		{triage.TraceSearch{Attrs: []triage.Attr{{Key: "enduser.id", Value: "u-1"}, {Key: "odd key", Value: "x"}}},
			`{ .enduser.id = "u-1" && ."odd key" = "x" }`},
		{triage.TraceSearch{}, `{ }`},
		{triage.TraceSearch{FailingBelow: true}, `{ } >> { status = error }`},
	} {
		if got := TraceQL(tc.q); got != tc.want {
			t.Errorf("TraceQL(%+v)\n got %s\nwant %s", tc.q, got, tc.want)
		}
	}
}
