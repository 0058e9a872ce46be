package jaeger

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The query service's UI API (/api/traces) answers a search in Jaeger's
// own JSON model rather than OTLP: {"data":[trace…],"total","limit",
// "offset","errors"}, each trace {"traceID","spans":[…],"processes":{…}},
// each span with microsecond "startTime" and "duration", typed "tags",
// "references" (CHILD_OF, FOLLOWS_FROM) and a "processID" naming its
// service. OTLP's status travels as tags: error=true and
// otel.status_code=ERROR. What a summary and the span conditions need is
// decoded, and turned back into OTLP (uiotlp.go).

type (
	uiSearch struct {
		Data   []uiTrace `json:"data"`
		Errors []uiError `json:"errors"`
	}
	uiTrace struct {
		TraceID   string               `json:"traceID"`
		Spans     []uiSpan             `json:"spans"`
		Processes map[string]uiProcess `json:"processes"`
	}
	uiSpan struct {
		TraceID       string        `json:"traceID"`
		SpanID        string        `json:"spanID"`
		OperationName string        `json:"operationName"`
		References    []uiReference `json:"references"`
		StartTime     uint64        `json:"startTime"`
		Duration      uint64        `json:"duration"`
		Tags          []uiKeyValue  `json:"tags"`
		Logs          []uiLog       `json:"logs"`
		ProcessID     string        `json:"processID"`
		Process       *uiProcess    `json:"process"`
	}
	uiReference struct {
		RefType string `json:"refType"`
		TraceID string `json:"traceID"`
		SpanID  string `json:"spanID"`
	}
	uiProcess struct {
		ServiceName string       `json:"serviceName"`
		Tags        []uiKeyValue `json:"tags"`
	}
	uiLog struct {
		Timestamp uint64       `json:"timestamp"` // microseconds
		Fields    []uiKeyValue `json:"fields"`
	}
	uiKeyValue struct {
		Key   string          `json:"key"`
		Type  string          `json:"type"`
		Value json.RawMessage `json:"value"`
	}
)

// str renders a tag's value as Jaeger compares it: strings as they are,
// numbers and booleans in their JSON form.
func (kv uiKeyValue) str() string {
	v := kv.Value
	if len(v) > 0 && v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	}
	return string(v)
}

func tagValue(tags []uiKeyValue, key string) (string, bool) {
	for _, kv := range tags {
		if kv.Key == key {
			return kv.str(), true
		}
	}
	return "", false
}

// DecodeUISearch decodes a /api/traces body into summaries of its traces.
// An "errors" list inside a 200 (a search that failed for some trace ids)
// is returned as an error.
func DecodeUISearch(body []byte) ([]TraceSummary, error) {
	res, err := decodeUISearch(body)
	if err != nil {
		return nil, err
	}
	out := make([]TraceSummary, 0, len(res.Data))
	for i := range res.Data {
		out = append(out, res.Data[i].summary())
	}
	return out, nil
}

func decodeUISearch(body []byte) (*uiSearch, error) {
	var w uiSearch
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, err
	}
	if len(w.Errors) > 0 {
		return nil, w.Errors[0]
	}
	return &w, nil
}

func (t *uiTrace) service(sp *uiSpan) string {
	if sp.Process != nil {
		return sp.Process.ServiceName
	}
	return t.Processes[sp.ProcessID].ServiceName
}

func (t *uiTrace) processTags(sp *uiSpan) []uiKeyValue {
	if sp.Process != nil {
		return sp.Process.Tags
	}
	return t.Processes[sp.ProcessID].Tags
}

// uiError reports whether a span of the UI model failed: OTLP's error
// status arrives as error=true (a bool, or "true" from older writers) and
// otel.status_code=ERROR.
func uiFailed(sp *uiSpan) bool {
	if v, ok := tagValue(sp.Tags, "error"); ok && strings.EqualFold(v, "true") {
		return true
	}
	v, ok := tagValue(sp.Tags, "otel.status_code")
	return ok && v == "ERROR"
}

// summary computes what TraceSummary holds from the UI model: the root is
// the earliest span without a CHILD_OF reference inside the trace.
func (t *uiTrace) summary() TraceSummary {
	s := TraceSummary{TraceID: normalizeID(t.TraceID, 32), ServiceStats: map[string]ServiceStats{}}
	ids := make(map[string]bool, len(t.Spans))
	for i := range t.Spans {
		ids[t.Spans[i].SpanID] = true
	}
	var first, last uint64
	rootAt, rooted := uint64(0), false
	for i := range t.Spans {
		sp := &t.Spans[i]
		svc := t.service(sp)
		st := s.ServiceStats[svc]
		st.SpanCount++
		if uiFailed(sp) {
			st.ErrorCount++
		}
		s.ServiceStats[svc] = st
		s.SpanCount++
		if first == 0 || sp.StartTime < first {
			first = sp.StartTime
		}
		if end := sp.StartTime + sp.Duration; end > last {
			last = end
		}
		if !hasParent(sp, ids) && (!rooted || sp.StartTime < rootAt) {
			s.RootServiceName, s.RootTraceName, rootAt, rooted = svc, sp.OperationName, sp.StartTime, true
		}
	}
	if !rooted {
		s.RootServiceName = RootNotReceived
	}
	if first != 0 {
		s.Start = time.UnixMicro(int64(first)).UTC()
		s.Duration = time.Duration(last-first) * time.Microsecond
	}
	return s
}

// hasParent reports whether the span is a child of a span that Jaeger
// holds: a CHILD_OF reference (FOLLOWS_FROM is a link) to a span present.
func hasParent(sp *uiSpan, ids map[string]bool) bool {
	for _, r := range sp.References {
		if r.RefType == "CHILD_OF" && ids[r.SpanID] {
			return true
		}
	}
	return false
}

// matchesUI reports whether a span of the UI model satisfies q as one span
// must in Jaeger's search: service, operation, duration, attributes (on
// the span, its process or its logs) and, with Errors, a failed status.
func (q Query) matchesUI(t *uiTrace, sp *uiSpan) bool {
	if q.Service != "" && t.service(sp) != q.Service {
		return false
	}
	if q.Operation != "" && sp.OperationName != q.Operation {
		return false
	}
	d := time.Duration(sp.Duration) * time.Microsecond
	if (q.MinDuration > 0 && d < q.MinDuration) || (q.MaxDuration > 0 && d > q.MaxDuration) {
		return false
	}
	if q.Errors && !uiFailed(sp) {
		return false
	}
	for k, want := range q.Attributes {
		if !uiHas(sp.Tags, k, want) && !uiHas(t.processTags(sp), k, want) && !uiLogsHave(sp.Logs, k, want) {
			return false
		}
	}
	return true
}

func uiHas(tags []uiKeyValue, k, want string) bool {
	v, ok := tagValue(tags, k)
	return ok && v == want
}

func uiLogsHave(logs []uiLog, k, want string) bool {
	for _, l := range logs {
		if uiHas(l.Fields, k, want) {
			return true
		}
	}
	return false
}

// tagsParam renders the attributes as the UI API's tags parameter, a JSON
// object of strings.
func tagsParam(attrs map[string]string) (string, error) {
	b, err := json.Marshal(attrs)
	if err != nil {
		return "", fmt.Errorf("attributes: %w", err)
	}
	return string(b), nil
}

// micros renders a time as the UI API's microseconds since the epoch.
func micros(t time.Time) string { return strconv.FormatInt(t.UnixMicro(), 10) }
