package adapter

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/triagectl/triage/sources/tempo"
	"github.com/triagectl/triage/triage"
)

// Traces adapts the Tempo client to triage.TracesSource.
type Traces struct{ C *tempo.Client }

var _ triage.TracesSource = Traces{}

// Name is Tempo's.
func (Traces) Name() string { return triage.SourceTempo }

// Search runs the search as TraceQL, which asks every part of it as is.
func (t Traces) Search(ctx context.Context, q triage.TraceSearch) (triage.TraceHits, error) {
	h := triage.TraceHits{Query: TraceQL(q)}
	r, err := t.C.Search(ctx, tempo.SearchRequest{Query: h.Query, Start: q.Start, End: q.End, Limit: q.Limit})
	if err != nil {
		return h, err
	}
	h.Refs = make([]triage.TraceRef, 0, len(r.Traces))
	for _, s := range r.Traces {
		h.Refs = append(h.Refs, triage.TraceRef{TraceID: s.TraceID, RootService: s.RootServiceName,
			RootName: s.RootTraceName, Start: s.Start, Duration: s.Duration})
	}
	return h, nil
}

// TraceQL writes a search as TraceQL: the span conditions joined by &&
// in one span set, a structural >> for failures below, a link:traceID
// condition for linked traces.
func TraceQL(q triage.TraceSearch) string {
	if q.LinksTo != "" {
		return `{ link:traceID = ` + traceQLString(strings.ToLower(q.LinksTo)) + ` }`
	}
	var conds []string
	if q.Service != "" {
		conds = append(conds, `resource.service.name = `+traceQLString(q.Service))
	}
	switch len(q.Kinds) {
	case 0:
	case 1:
		conds = append(conds, "kind = "+q.Kinds[0].String())
	default:
		kinds := make([]string, len(q.Kinds))
		for i, k := range q.Kinds {
			kinds[i] = "kind = " + k.String()
		}
		conds = append(conds, "("+strings.Join(kinds, " || ")+")")
	}
	switch q.Status {
	case triage.StatusError:
		conds = append(conds, "status = error")
	case triage.StatusNotError:
		conds = append(conds, "status != error")
	}
	if q.MinDuration > 0 {
		conds = append(conds, fmt.Sprintf("duration > %dms", q.MinDuration.Milliseconds()))
	}
	for _, a := range q.Attrs {
		conds = append(conds, "."+traceQLAttr(a.Key)+" = "+traceQLString(a.Value))
	}
	set := "{ " + strings.Join(conds, " && ") + " }"
	if len(conds) == 0 {
		set = "{ }"
	}
	if q.FailingBelow {
		return set + " >> { status = error }"
	}
	return set
}

// traceQLString quotes a string for TraceQL.
func traceQLString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// traceQLAttr writes an attribute name, quoted when it holds characters an
// unquoted name cannot.
func traceQLAttr(k string) string {
	for _, r := range k {
		if r != '.' && r != '_' && r != '-' && r != '/' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return traceQLString(k)
		}
	}
	return k
}

// Trace fetches one trace and converts it.
func (t Traces) Trace(ctx context.Context, id string) (*triage.Trace, error) {
	tr, err := t.C.Trace(ctx, id)
	if err != nil {
		return nil, err
	}
	out := ConvertTraces(tr.Traces)
	if len(out) == 0 {
		return &triage.Trace{ID: id, Partial: tr.Partial, Message: tr.Message}, nil
	}
	res := out[0]
	res.Partial, res.Message = tr.Partial, tr.Message
	return res, nil
}

// ConvertTraces turns pdata traces into the engine's traces, one per trace
// id, in order of first appearance.
func ConvertTraces(td ptrace.Traces) []*triage.Trace {
	byID := map[string]*triage.Trace{}
	var order []*triage.Trace
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		res := &triage.Resource{Attrs: attrs(rs.Resource().Attributes())}
		res.Service, _ = res.Attrs.Get("service.name")
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				sp := spans.At(k)
				tid := hexID(sp.TraceID())
				tr := byID[tid]
				if tr == nil {
					tr = &triage.Trace{ID: tid}
					byID[tid] = tr
					order = append(order, tr)
				}
				tr.Spans = append(tr.Spans, convertSpan(sp, res, tid))
			}
		}
	}
	return order
}

func convertSpan(sp ptrace.Span, res *triage.Resource, tid string) triage.Span {
	s := triage.Span{
		TraceID:  tid,
		SpanID:   hexSpan(sp.SpanID()),
		Name:     sp.Name(),
		Kind:     triage.SpanKind(sp.Kind()),
		Start:    sp.StartTimestamp().AsTime(),
		End:      sp.EndTimestamp().AsTime(),
		Error:    sp.Status().Code() == ptrace.StatusCodeError,
		Resource: res,
		Attrs:    attrs(sp.Attributes()),
	}
	if s.Kind > triage.KindConsumer {
		s.Kind = triage.KindUnspecified
	}
	if p := sp.ParentSpanID(); !p.IsEmpty() {
		s.ParentID = hexSpan(p)
	}
	if s.Error {
		s.StatusMessage = sp.Status().Message()
	}
	if ev := sp.Events(); ev.Len() > 0 {
		s.Events = make([]triage.Event, 0, ev.Len())
		for i := 0; i < ev.Len(); i++ {
			e := ev.At(i)
			s.Events = append(s.Events, triage.Event{Time: e.Timestamp().AsTime(), Name: e.Name(), Attrs: attrs(e.Attributes())})
		}
	}
	if ls := sp.Links(); ls.Len() > 0 {
		s.Links = make([]triage.Link, 0, ls.Len())
		for i := 0; i < ls.Len(); i++ {
			l := ls.At(i)
			s.Links = append(s.Links, triage.Link{TraceID: hexID(l.TraceID()), SpanID: hexSpan(l.SpanID()), Attrs: attrs(l.Attributes())})
		}
	}
	return s
}

func hexID(id pcommon.TraceID) string { return hex.EncodeToString(id[:]) }

func hexSpan(id pcommon.SpanID) string { return hex.EncodeToString(id[:]) }

func attrs(m pcommon.Map) triage.Attrs {
	if m.Len() == 0 {
		return nil
	}
	out := make(triage.Attrs, 0, m.Len())
	m.Range(func(k string, v pcommon.Value) bool {
		out = append(out, triage.Attr{Key: k, Value: valueString(v)})
		return true
	})
	return out
}

func valueString(v pcommon.Value) string {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return v.Str()
	case pcommon.ValueTypeInt:
		return strconv.FormatInt(v.Int(), 10)
	case pcommon.ValueTypeBool:
		return strconv.FormatBool(v.Bool())
	case pcommon.ValueTypeDouble:
		return strconv.FormatFloat(v.Double(), 'g', -1, 64)
	}
	return v.AsString()
}
