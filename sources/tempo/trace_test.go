package tempo

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/triagectl/triage/sources"
)

const (
	errorTraceID = "3dfa4db9d4e3ef1902fbcfd6b2984408"
	okTraceID    = "17534eec7b82311ab71a8d5cf9f16f7c"
)

func TestTraceRecorded(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		opts       Options
		adjust     func(*replay)
		id         string
		wantFormat TraceFormat
		wantPath   string
		wantAccept string
		wantSpans  int
	}{
		{name: "v1 protobuf", id: errorTraceID, wantFormat: TraceProtobuf, wantPath: "/api/traces/" + errorTraceID, wantAccept: "application/protobuf", wantSpans: 11},
		{name: "v1 protobuf, upper case id", id: strings.ToUpper(errorTraceID), wantFormat: TraceProtobuf, wantPath: "/api/traces/" + errorTraceID, wantAccept: "application/protobuf", wantSpans: 11},
		{name: "v1 protobuf, ok trace", id: okTraceID, wantFormat: TraceProtobuf, wantPath: "/api/traces/" + okTraceID, wantAccept: "application/protobuf", wantSpans: 11},
		{name: "v1 JSON from a server that ignores Accept", adjust: func(rp *replay) { rp.ignoreAccept = true }, id: errorTraceID,
			wantFormat: TraceJSON, wantPath: "/api/traces/" + errorTraceID, wantAccept: "application/protobuf", wantSpans: 11},
		{name: "v2 JSON", opts: Options{TraceFormat: TraceJSON}, id: errorTraceID, wantFormat: TraceJSON, wantPath: "/api/v2/traces/" + errorTraceID, wantAccept: "application/json", wantSpans: 11},
		{name: "v1 JSON when v2 is missing", opts: Options{TraceFormat: TraceJSON}, adjust: func(rp *replay) { rp.drop = []string{"/api/v2/"} }, id: errorTraceID,
			wantFormat: TraceJSON, wantPath: "/api/traces/" + errorTraceID, wantAccept: "application/json", wantSpans: 11},
		{name: "with http_api_prefix", opts: Options{APIPrefix: "/tempo/"}, adjust: func(rp *replay) { rp.prefix = "/tempo" }, id: errorTraceID,
			wantFormat: TraceProtobuf, wantPath: "/tempo/api/traces/" + errorTraceID, wantAccept: "application/protobuf", wantSpans: 11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rp := newReplay(t, tt.opts, tt.adjust)
			tr, err := c.Trace(ctx, tt.id)
			if err != nil {
				t.Fatal(err)
			}
			if tr.ID != strings.ToLower(tt.id) || tr.Format != tt.wantFormat || tr.Partial || tr.SpanCount() != tt.wantSpans {
				t.Errorf("trace = id %s format %s partial %v spans %d", tr.ID, tr.Format, tr.Partial, tr.SpanCount())
			}
			last := rp.last()
			if last.URL.Path != tt.wantPath || last.Header.Get("Accept") != tt.wantAccept {
				t.Errorf("request = %s Accept %q, want %s Accept %q", last.URL.Path, last.Header.Get("Accept"), tt.wantPath, tt.wantAccept)
			}
		})
	}
}

func TestTraceContent(t *testing.T) {
	tr, err := DecodeTraceProto(fixture(t, "trace_error_v1.pb"))
	if err != nil {
		t.Fatal(err)
	}
	spans := flatten(tr.Traces)
	root, ok := spans["531b452a7afd86f8"]
	if !ok {
		t.Fatal("root span missing")
	}
	if root.Service != "web" || root.Name != "POST /checkout" || root.Kind != "Server" || root.Parent != "" ||
		root.Status != "Error: checkout failed: payment declined: upstream billing returned 503" ||
		root.Attrs["http.response.status_code"] != int64(502) || root.TraceID != errorTraceID {
		t.Errorf("root = %+v", root)
	}
	if len(root.Events) != 1 || !strings.HasPrefix(root.Events[0], "exception@1795566086337887831") {
		t.Errorf("root events = %v", root.Events)
	}
	errs := 0
	for _, s := range spans {
		if strings.HasPrefix(s.Status, "Error") {
			errs++
		}
	}
	if errs != 6 {
		t.Errorf("error spans = %d, want 6", errs)
	}
	ledger := spans["fac95fc73097d878"]
	if ledger.Service != "billing" || ledger.Name != "INSERT ledger_entries" || ledger.Parent != "62bb0515e15f1621" {
		t.Errorf("ledger span = %+v", ledger)
	}
}

// The protobuf and JSON paths must yield the same trace: same ids,
// parents, names, times, attributes, events and status.
func TestTraceProtoMatchesJSON(t *testing.T) {
	tests := []struct{ name, pb, json string }{
		{"error, v1 JSON", "trace_error_v1.pb", "trace_error_v1.json"},
		{"error, v2 JSON", "trace_error_v1.pb", "trace_error_v2.json"},
		{"ok, v1 JSON", "trace_ok_v1.pb", "trace_ok_v1.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pb, err := DecodeTraceProto(fixture(t, tt.pb))
			if err != nil {
				t.Fatal(err)
			}
			js, err := DecodeTraceJSON(fixture(t, tt.json))
			if err != nil {
				t.Fatal(err)
			}
			a, b := flatten(pb.Traces), flatten(js.Traces)
			if len(a) != 11 || !reflect.DeepEqual(a, b) {
				for id := range a {
					if !reflect.DeepEqual(a[id], b[id]) {
						t.Errorf("span %s:\n proto %+v\n json  %+v", id, a[id], b[id])
					}
				}
				t.Fatalf("proto %d spans, json %d spans", len(a), len(b))
			}
			// Beyond the fields compared above: the whole message, byte for
			// byte, once both are in canonical order.
			pa, _ := (&ptrace.ProtoMarshaler{}).MarshalTraces(canonical(pb.Traces))
			pj, _ := (&ptrace.ProtoMarshaler{}).MarshalTraces(canonical(js.Traces))
			if string(pa) != string(pj) {
				t.Error("re-encoded traces differ")
			}
		})
	}
}

// pdata's own OTLP/JSON decoder cannot read Tempo's JSON as sent: the ids
// are base64. This is why DecodeTraceJSON rewrites them.
func TestPdataJSONRejectsTempoIDs(t *testing.T) {
	body := fixture(t, "trace_error_v1.json")
	raw := strings.Replace(string(body), `"batches":`, `"resourceSpans":`, 1)
	_, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces([]byte(raw))
	if err == nil {
		t.Fatal("pdata accepted base64 ids; the rewrite may no longer be needed")
	}
}

func TestTraceNotFound(t *testing.T) {
	ctx := context.Background()
	const id = "0badc0ffee0000000000000000000001"
	tests := []struct {
		name       string
		opts       Options
		id         string
		wantStatus int
	}{
		{"v1 404 with empty body", Options{}, id, 404},
		{"v1, id without leading zero", Options{}, strings.TrimLeft(id, "0"), 404},
		{"v2 200 with empty trace", Options{TraceFormat: TraceJSON}, id, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newReplay(t, tt.opts, nil)
			_, err := c.Trace(ctx, tt.id)
			se, ok := sources.AsError(err)
			if !ok || se.Kind != sources.KindNotFound || se.Msg != "trace "+id+" not found" || se.Status != tt.wantStatus {
				t.Fatalf("err = %#v", err)
			}
		})
	}
}

func TestTraceBadID(t *testing.T) {
	c, rp := newReplay(t, Options{}, nil)
	for _, id := range []string{"", "xyz", "3dfa4db9d4e3ef1902fbcfd6b2984408ff", "0000", "3dfa-4db9", "../../api/search"} {
		_, err := c.Trace(context.Background(), id)
		if sources.KindOf(err) != sources.KindBadRequest {
			t.Errorf("id %q: err = %v", id, err)
		}
	}
	if rp.count() != 0 {
		t.Errorf("%d requests sent for bad ids", rp.count())
	}
}

func TestTracePartialV2(t *testing.T) {
	body := strings.Replace(string(fixture(t, "trace_error_v2.json")), `"metrics":`,
		`"status":"PARTIAL","message":"Trace exceeds maximum size of 100 bytes, a partial trace is returned","metrics":`, 1)
	tr, err := DecodeTraceJSON([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if !tr.Partial || !strings.Contains(tr.Message, "partial trace is returned") || tr.SpanCount() != 11 {
		t.Errorf("partial = %v, message %q, spans %d", tr.Partial, tr.Message, tr.SpanCount())
	}
}

func TestNormalizeTraceID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"3dfa4db9d4e3ef1902fbcfd6b2984408", "3dfa4db9d4e3ef1902fbcfd6b2984408"},
		{"3DFA4DB9D4E3EF1902FBCFD6B2984408", "3dfa4db9d4e3ef1902fbcfd6b2984408"},
		{"5e7f832ea0e8dbf4d35f2f2491ddd25", "05e7f832ea0e8dbf4d35f2f2491ddd25"},
		{"  1  ", "00000000000000000000000000000001"},
		{"00003dfa4db9d4e3ef1902fbcfd6b2984408", "3dfa4db9d4e3ef1902fbcfd6b2984408"},
		{"abc", "00000000000000000000000000000abc"},
		{"g", ""},
		{"0", ""},
		{"", ""},
		{"13dfa4db9d4e3ef1902fbcfd6b2984408", ""},
	}
	for _, tt := range tests {
		got, err := NormalizeTraceID(tt.in)
		if (err != nil) != (tt.want == "") || got != tt.want {
			t.Errorf("NormalizeTraceID(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// flatSpan is what two decodings of a trace must agree on.
type flatSpan struct {
	TraceID, Parent, Name, Kind, Service, Scope, Status string
	Start, End                                          uint64
	Attrs, Resource                                     map[string]any
	Events, Links                                       []string
}

func flatten(td ptrace.Traces) map[string]flatSpan {
	out := map[string]flatSpan{}
	for i := 0; i < td.ResourceSpans().Len(); i++ {
		rs := td.ResourceSpans().At(i)
		svc, _ := rs.Resource().Attributes().Get("service.name")
		for j := 0; j < rs.ScopeSpans().Len(); j++ {
			ss := rs.ScopeSpans().At(j)
			for k := 0; k < ss.Spans().Len(); k++ {
				s := ss.Spans().At(k)
				f := flatSpan{TraceID: s.TraceID().String(), Name: s.Name(), Kind: s.Kind().String(), Service: svc.Str(),
					Scope: ss.Scope().Name(), Start: uint64(s.StartTimestamp()), End: uint64(s.EndTimestamp()),
					Attrs: s.Attributes().AsRaw(), Resource: rs.Resource().Attributes().AsRaw(),
					Status: s.Status().Code().String()}
				if !s.ParentSpanID().IsEmpty() {
					f.Parent = s.ParentSpanID().String()
				}
				if m := s.Status().Message(); m != "" {
					f.Status += ": " + m
				}
				for e := 0; e < s.Events().Len(); e++ {
					ev := s.Events().At(e)
					f.Events = append(f.Events, fmt.Sprintf("%s@%d %v", ev.Name(), ev.Timestamp(), ev.Attributes().AsRaw()))
				}
				for l := 0; l < s.Links().Len(); l++ {
					ln := s.Links().At(l)
					f.Links = append(f.Links, ln.TraceID().String()+"/"+ln.SpanID().String())
				}
				out[s.SpanID().String()] = f
			}
		}
	}
	return out
}

// canonical sorts resources by service and spans by id, so that two
// encodings that group spans differently compare equal.
func canonical(td ptrace.Traces) ptrace.Traces {
	out := ptrace.NewTraces()
	td.CopyTo(out)
	rss := out.ResourceSpans()
	rss.Sort(func(a, b ptrace.ResourceSpans) bool { return resourceKey(a) < resourceKey(b) })
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			sss.At(j).Spans().Sort(func(a, b ptrace.Span) bool { return a.SpanID().String() < b.SpanID().String() })
		}
	}
	return out
}

func resourceKey(rs ptrace.ResourceSpans) string {
	attrs := rs.Resource().Attributes().AsRaw()
	keys := slices.Sorted(maps.Keys(attrs))
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%v;", k, attrs[k])
	}
	return b.String()
}
