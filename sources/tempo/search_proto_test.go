package tempo

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// The window of the search_select recordings: start=1796565900 end=1796576700.
var (
	selectStart = time.Unix(1796565900, 0)
	selectEnd   = time.Unix(1796576700, 0)
)

const selectQuery = `{ trace:id = "14084042de69e2a3bef83ee56c696b2" || trace:id = "31be93e27d7596d8b5a9845259faad" || ` +
	`trace:id = "1a46e905249131ad878d254e930e98" } | select(span:name, span:parentID, span:kind, span:status, ` +
	`span:statusMessage, link:traceID, resource.service.name, span.http.route, span.http.response.status_code, ` +
	`span.server.port, span.enduser.id, span.user.tier, resource.k8s.node.name, span.messaging.kafka.offset)`

// byTraceID orders a result's traces by id, their spans by id and the
// attributes by key: Tempo orders none of them, and its two answers to the
// same search need not agree.
func byTraceID(res *SearchResult) *SearchResult {
	slices.SortFunc(res.Traces, func(a, b TraceSummary) int { return strings.Compare(a.TraceID, b.TraceID) })
	byKey := func(a, b Attribute) int { return strings.Compare(a.Key, b.Key) }
	for _, tr := range res.Traces {
		for _, ss := range tr.SpanSets {
			slices.SortFunc(ss.Attributes, byKey)
			slices.SortFunc(ss.Spans, func(a, b SpanMatch) int { return strings.Compare(a.SpanID, b.SpanID) })
			for _, sp := range ss.Spans {
				slices.SortFunc(sp.Attributes, byKey)
			}
		}
	}
	return res
}

// Tempo 3.1's protobuf answer to a search selecting attributes decodes to
// the very result its JSON answer to the same search does: every trace,
// span, time, status, link and typed attribute.
func TestSearchProtobufIsTheJSONResult(t *testing.T) {
	fromJSON, err := DecodeSearch(fixture(t, "search_select.json"))
	if err != nil {
		t.Fatal(err)
	}
	fromProto, err := DecodeSearchProto(fixture(t, "search_select.pb"))
	if err != nil {
		t.Fatal(err)
	}
	byTraceID(fromJSON)
	byTraceID(fromProto)
	if len(fromProto.Traces) != 3 {
		t.Fatalf("traces = %d, want 3", len(fromProto.Traces))
	}
	if !reflect.DeepEqual(fromJSON, fromProto) {
		a, _ := json.Marshal(fromJSON)
		b, _ := json.Marshal(fromProto)
		t.Fatalf("protobuf and JSON differ:\njson  %.600s\nproto %.600s", a, b)
	}
	// What the equality covers: the recording has each kind of value.
	var spans, ints, messages, links int
	for _, tr := range fromProto.Traces {
		if len(tr.TraceID) != 32 || tr.Start.IsZero() || tr.Duration <= 0 {
			t.Errorf("trace %+v", tr)
		}
		for _, ss := range tr.SpanSets {
			for _, sp := range ss.Spans {
				spans++
				if len(sp.SpanID) != 16 || sp.Start.IsZero() || sp.Name == "" {
					t.Errorf("span %+v", sp)
				}
				// Tempo writes "nil" for a selected attribute the span lacks.
				if v, ok := Lookup(sp.Attributes, "http.response.status_code"); ok && v != "nil" {
					if _, isInt := v.(int64); !isInt {
						t.Errorf("status code %#v is not an int64", v)
					}
					ints++
				}
				if LookupString(sp.Attributes, "statusMessage") != "" {
					messages++
				}
				if LookupString(sp.Attributes, "link:traceID") != "" {
					links++
				}
			}
		}
	}
	if spans != 27 || ints == 0 || messages == 0 || links == 0 {
		t.Errorf("spans %d, int attributes %d, status messages %d, links %d: want 27 spans and some of each", spans, ints, messages, links)
	}
}

// Search asks for protobuf, and reads JSON from a Tempo that answers it
// anyway (or a recording made so): the same result either way.
func TestSearchAsksProtobuf(t *testing.T) {
	req := SearchRequest{Query: selectQuery, Start: selectStart, End: selectEnd, Limit: 10, SpansPerSpanSet: 100}
	var got []*SearchResult
	for _, ignore := range []bool{false, true} {
		c, rp := newReplay(t, Options{}, func(rp *replay) { rp.ignoreAccept = ignore })
		res, err := c.Search(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if a := rp.last().Header.Get("Accept"); a != "application/protobuf" {
			t.Errorf("Accept = %q", a)
		}
		got = append(got, byTraceID(res))
	}
	if len(got[0].Traces) != 3 || !reflect.DeepEqual(got[0], got[1]) {
		t.Errorf("protobuf answer %d traces, JSON answer %d: want the same 3", len(got[0].Traces), len(got[1].Traces))
	}
}

// Damaged protobuf is an error naming the problem, never a panic or a
// partial result passed off as whole.
func TestSearchProtobufDamaged(t *testing.T) {
	body := fixture(t, "search_select.pb")
	deep := protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), "v") // AnyValue.string_value
	for range 40 {
		// array_value { values: <deep> }
		arr := protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), deep)
		deep = protowire.AppendBytes(protowire.AppendTag(nil, 5, protowire.BytesType), arr)
	}
	kv := protowire.AppendBytes(protowire.AppendTag(protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), "k"), 2, protowire.BytesType), deep)
	span := protowire.AppendBytes(protowire.AppendTag(nil, 5, protowire.BytesType), kv)
	set := protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), span)
	summary := protowire.AppendBytes(protowire.AppendTag(nil, 7, protowire.BytesType), set)
	nested := protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), summary)
	for _, tc := range []struct {
		name string
		body []byte
		want string
	}{
		{"cut short", body[:len(body)/2], "truncated"},
		{"bad tag", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, "truncated"},
		{"nested without end", nested, "nested deeper"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := DecodeSearchProto(tc.body)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v (result %v), want one saying %q", err, res != nil, tc.want)
			}
		})
	}
}

// Without a telling content type (none, or a proxy's text/plain), a
// protobuf answer whose first byte is a newline followed by '{' (a first
// trace 123 bytes long) is still read as protobuf, and JSON as JSON.
func TestSearchBodyWithoutContentType(t *testing.T) {
	name := "storefront"
	var trace []byte
	for len(trace) != 123 {
		trace = protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), "0123456789abcdef0123456789abcdef")
		trace = protowire.AppendString(protowire.AppendTag(trace, 2, protowire.BytesType), name)
		name += "x"
	}
	body := protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), trace)
	if body[0] != '\n' || body[1] != '{' {
		t.Fatalf("body starts %q, want a newline and '{'", body[:2])
	}
	for _, ct := range []string{"", "text/plain; charset=utf-8", "application/protobuf"} {
		res, err := decodeSearchBody(ct, body)
		if err != nil {
			t.Fatalf("content type %q: %v", ct, err)
		}
		if len(res.Traces) != 1 || res.Traces[0].TraceID != "0123456789abcdef0123456789abcdef" || !strings.HasPrefix(res.Traces[0].RootServiceName, "storefront") {
			t.Errorf("content type %q: %+v", ct, res.Traces)
		}
	}
	res, err := decodeSearchBody("", fixture(t, "search_select.json"))
	if err != nil || len(res.Traces) != 3 {
		t.Errorf("JSON without a content type: %v, %v", res, err)
	}
}
