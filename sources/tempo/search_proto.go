package tempo

import (
	"errors"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// The protobuf body of /api/search is Tempo's SearchResponse:
//
//	SearchResponse      { repeated TraceSearchMetadata traces = 1; SearchMetrics metrics = 2; }
//	TraceSearchMetadata { string traceID = 1; string rootServiceName = 2; string rootTraceName = 3;
//	                      uint64 startTimeUnixNano = 4; uint32 durationMs = 5;
//	                      SpanSet spanSet = 6 (deprecated); repeated SpanSet spanSets = 7;
//	                      map<string, ServiceStats> serviceStats = 8; }
//	SpanSet             { repeated Span spans = 1; uint32 matched = 2; repeated KeyValue attributes = 3; }
//	Span                { string spanID = 1; string name = 2; uint64 startTimeUnixNano = 3;
//	                      uint64 durationNanos = 4; repeated KeyValue attributes = 5; }
//	ServiceStats        { uint32 spanCount = 1; uint32 errorCount = 2; }
//	SearchMetrics       { uint32 inspectedTraces = 1; uint64 inspectedBytes = 2; uint32 totalBlocks = 3;
//	                      uint32 completedJobs = 4; uint32 totalJobs = 5; uint64 totalBlockBytes = 6;
//	                      uint64 inspectedSpans = 7; … }
//
// with OTLP's KeyValue and AnyValue. It is read field by field with
// protowire: unknown fields are skipped, so a newer Tempo's additions do
// not break it.

// DecodeSearchProto decodes the protobuf body of /api/search into the same
// result DecodeSearch gives for the JSON body.
func DecodeSearchProto(body []byte) (*SearchResult, error) {
	var w wireSearch
	err := eachField(body, func(num protowire.Number, f field) error {
		switch num {
		case 1:
			t, err := decodeSummaryProto(f.bytes)
			if err != nil {
				return fmt.Errorf("trace %d: %w", len(w.Traces)+1, err)
			}
			w.Traces = append(w.Traces, t)
		case 2:
			return eachField(f.bytes, func(num protowire.Number, f field) error {
				switch num {
				case 1:
					w.Metrics.InspectedTraces = int(f.num)
				case 2:
					w.Metrics.InspectedBytes = int64String(f.num)
				case 3:
					w.Metrics.TotalBlocks = int(f.num)
				case 4:
					w.Metrics.CompletedJobs = int(f.num)
				case 5:
					w.Metrics.TotalJobs = int(f.num)
				case 6:
					w.Metrics.TotalBlockBytes = int64String(f.num)
				case 7:
					w.Metrics.InspectedSpans = int64String(f.num)
				}
				return nil
			})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return w.result(), nil
}

func decodeSummaryProto(b []byte) (wireTraceSummary, error) {
	var t wireTraceSummary
	err := eachField(b, func(num protowire.Number, f field) error {
		switch num {
		case 1:
			t.TraceID = string(f.bytes)
		case 2:
			t.RootServiceName = string(f.bytes)
		case 3:
			t.RootTraceName = string(f.bytes)
		case 4:
			t.StartTimeUnixNano = int64String(f.num)
		case 5:
			t.DurationMs = int64(f.num)
		case 6, 7:
			s, err := decodeSpanSetProto(f.bytes)
			if err != nil {
				return err
			}
			if num == 6 {
				t.SpanSet = &s
			} else {
				t.SpanSets = append(t.SpanSets, s)
			}
		case 8:
			name, st, err := decodeServiceStatsProto(f.bytes)
			if err != nil {
				return err
			}
			if t.ServiceStats == nil {
				t.ServiceStats = map[string]ServiceStats{}
			}
			t.ServiceStats[name] = st
		}
		return nil
	})
	return t, err
}

func decodeSpanSetProto(b []byte) (wireSpanSet, error) {
	var s wireSpanSet
	err := eachField(b, func(num protowire.Number, f field) error {
		switch num {
		case 1:
			sp, err := decodeSpanProto(f.bytes)
			if err != nil {
				return err
			}
			s.Spans = append(s.Spans, sp)
		case 2:
			s.Matched = int(f.num)
		case 3:
			a, err := decodeKeyValueProto(f.bytes, 0)
			if err != nil {
				return err
			}
			s.Attributes = append(s.Attributes, a)
		}
		return nil
	})
	return s, err
}

func decodeSpanProto(b []byte) (wireSpan, error) {
	var s wireSpan
	err := eachField(b, func(num protowire.Number, f field) error {
		switch num {
		case 1:
			s.SpanID = string(f.bytes)
		case 2:
			s.Name = string(f.bytes)
		case 3:
			s.StartTimeUnixNano = int64String(f.num)
		case 4:
			s.DurationNanos = int64String(f.num)
		case 5:
			a, err := decodeKeyValueProto(f.bytes, 0)
			if err != nil {
				return err
			}
			s.Attributes = append(s.Attributes, a)
		}
		return nil
	})
	return s, err
}

// decodeServiceStatsProto reads one entry of the serviceStats map.
func decodeServiceStatsProto(b []byte) (string, ServiceStats, error) {
	var name string
	var st ServiceStats
	err := eachField(b, func(num protowire.Number, f field) error {
		switch num {
		case 1:
			name = string(f.bytes)
		case 2:
			return eachField(f.bytes, func(num protowire.Number, f field) error {
				switch num {
				case 1:
					st.SpanCount = int(f.num)
				case 2:
					st.ErrorCount = int(f.num)
				}
				return nil
			})
		}
		return nil
	})
	return name, st, err
}

// decodeKeyValueProto reads an OTLP KeyValue {key = 1; AnyValue value = 2}.
func decodeKeyValueProto(b []byte, depth int) (Attribute, error) {
	var a Attribute
	err := eachField(b, func(num protowire.Number, f field) error {
		switch num {
		case 1:
			a.Key = string(f.bytes)
		case 2:
			v, err := decodeAnyValueProto(f.bytes, depth)
			if err != nil {
				return fmt.Errorf("attribute %q: %w", a.Key, err)
			}
			a.Value = v
		}
		return nil
	})
	return a, err
}

// decodeAnyValueProto reads an OTLP AnyValue: string = 1, bool = 2,
// int = 3, double = 4, array = 5, kvlist = 6, bytes = 7; nil when unset.
// The values are those decodeAnyValue gives for the JSON form.
func decodeAnyValueProto(b []byte, depth int) (any, error) {
	if depth > maxValueDepth {
		return nil, fmt.Errorf("value nested deeper than %d", maxValueDepth)
	}
	var v any
	err := eachField(b, func(num protowire.Number, f field) error {
		switch num {
		case 1:
			v = string(f.bytes)
		case 2:
			v = f.num != 0
		case 3:
			v = int64(f.num)
		case 4:
			v = math.Float64frombits(f.num)
		case 5:
			out := []any{}
			err := eachField(f.bytes, func(num protowire.Number, f field) error {
				if num == 1 {
					e, err := decodeAnyValueProto(f.bytes, depth+1)
					if err != nil {
						return err
					}
					out = append(out, e)
				}
				return nil
			})
			v = out
			return err
		case 6:
			out := map[string]any{}
			err := eachField(f.bytes, func(num protowire.Number, f field) error {
				if num == 1 {
					kv, err := decodeKeyValueProto(f.bytes, depth+1)
					if err != nil {
						return err
					}
					out[kv.Key] = kv.Value
				}
				return nil
			})
			v = out
			return err
		case 7:
			v = append([]byte{}, f.bytes...)
		}
		return nil
	})
	return v, err
}

// field is one protobuf field's value: num for the scalar wire types
// (varint, fixed32, fixed64), bytes for the length-delimited one.
type field struct {
	num   uint64
	bytes []byte
}

var errTruncated = errors.New("protobuf: truncated or malformed field")

// eachField calls fn with every field of the message in b, in order.
func eachField(b []byte, fn func(protowire.Number, field) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return errTruncated
		}
		b = b[n:]
		var f field
		switch typ {
		case protowire.VarintType:
			f.num, n = protowire.ConsumeVarint(b)
		case protowire.Fixed64Type:
			f.num, n = protowire.ConsumeFixed64(b)
		case protowire.Fixed32Type:
			var v uint32
			v, n = protowire.ConsumeFixed32(b)
			f.num = uint64(v)
		case protowire.BytesType:
			f.bytes, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return errTruncated
			}
			b = b[n:]
			continue
		}
		if n < 0 {
			return errTruncated
		}
		b = b[n:]
		if err := fn(num, f); err != nil {
			return err
		}
	}
	return nil
}
