package tempo

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"
)

// Attribute is one key and its typed value, as Tempo returns span
// attributes in search results and series labels in TraceQL metrics.
// Value is a string, int64, float64, bool, []byte, []any or map[string]any,
// or nil when Tempo sent an empty value.
type Attribute struct {
	Key   string `json:"key"`
	Value any    `json:"value"`
}

// String renders the value the way TraceQL would write it.
func (a Attribute) String() string { return FormatValue(a.Value) }

// FormatValue renders an attribute value for display.
func FormatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// Lookup returns the value of key in attrs.
func Lookup(attrs []Attribute, key string) (any, bool) {
	for _, a := range attrs {
		if a.Key == key {
			return a.Value, true
		}
	}
	return nil, false
}

// LookupString returns the value of key rendered as a string, "" if absent.
func LookupString(attrs []Attribute, key string) string {
	v, _ := Lookup(attrs, key)
	return FormatValue(v)
}

// UnmarshalJSON reads an OTLP KeyValue in Tempo's JSON.
func (a *Attribute) UnmarshalJSON(b []byte) error {
	var kv struct {
		Key   string          `json:"key"`
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(b, &kv); err != nil {
		return err
	}
	v, err := decodeAnyValue(kv.Value, 0)
	if err != nil {
		return fmt.Errorf("attribute %q: %w", kv.Key, err)
	}
	a.Key, a.Value = kv.Key, v
	return nil
}

// MarshalJSON writes the OTLP KeyValue form that UnmarshalJSON reads, so
// that results survive a round trip through a bundle.
func (a Attribute) MarshalJSON() ([]byte, error) {
	v, err := encodeAnyValue(a.Value, 0)
	if err != nil {
		return nil, fmt.Errorf("attribute %q: %w", a.Key, err)
	}
	return json.Marshal(struct {
		Key   string         `json:"key"`
		Value map[string]any `json:"value"`
	}{a.Key, v})
}

func encodeAnyValue(v any, depth int) (map[string]any, error) {
	if depth > maxValueDepth {
		return nil, fmt.Errorf("value nested deeper than %d", maxValueDepth)
	}
	switch x := v.(type) {
	case nil:
		return map[string]any{}, nil
	case string:
		return map[string]any{"stringValue": x}, nil
	case bool:
		return map[string]any{"boolValue": x}, nil
	case int64:
		return map[string]any{"intValue": strconv.FormatInt(x, 10)}, nil
	case int:
		return map[string]any{"intValue": strconv.Itoa(x)}, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return map[string]any{"doubleValue": strconv.FormatFloat(x, 'g', -1, 64)}, nil
		}
		return map[string]any{"doubleValue": x}, nil
	case []byte:
		return map[string]any{"bytesValue": x}, nil
	case []any:
		vals := make([]map[string]any, 0, len(x))
		for _, e := range x {
			ev, err := encodeAnyValue(e, depth+1)
			if err != nil {
				return nil, err
			}
			vals = append(vals, ev)
		}
		return map[string]any{"arrayValue": map[string]any{"values": vals}}, nil
	case map[string]any:
		vals := make([]map[string]any, 0, len(x))
		for _, k := range slices.Sorted(maps.Keys(x)) {
			ev, err := encodeAnyValue(x[k], depth+1)
			if err != nil {
				return nil, err
			}
			vals = append(vals, map[string]any{"key": k, "value": ev})
		}
		return map[string]any{"kvlistValue": map[string]any{"values": vals}}, nil
	}
	return nil, fmt.Errorf("unsupported value type %T", v)
}

// maxValueDepth bounds nested arrays and maps so that hostile input cannot
// recurse without end.
const maxValueDepth = 32

// decodeAnyValue decodes an OTLP AnyValue: {"stringValue": …},
// {"intValue": "502"} (64-bit ints are strings in Tempo's JSON), and so on.
func decodeAnyValue(raw json.RawMessage, depth int) (any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if depth > maxValueDepth {
		return nil, fmt.Errorf("value nested deeper than %d", maxValueDepth)
	}
	var av struct {
		StringValue *string         `json:"stringValue"`
		BoolValue   *bool           `json:"boolValue"`
		IntValue    json.RawMessage `json:"intValue"`
		DoubleValue json.RawMessage `json:"doubleValue"`
		BytesValue  *string         `json:"bytesValue"`
		ArrayValue  *struct {
			Values []json.RawMessage `json:"values"`
		} `json:"arrayValue"`
		KvlistValue *struct {
			Values []struct {
				Key   string          `json:"key"`
				Value json.RawMessage `json:"value"`
			} `json:"values"`
		} `json:"kvlistValue"`
	}
	if err := json.Unmarshal(raw, &av); err != nil {
		return nil, err
	}
	switch {
	case av.StringValue != nil:
		return *av.StringValue, nil
	case av.BoolValue != nil:
		return *av.BoolValue, nil
	case av.IntValue != nil:
		return parseInt64(av.IntValue)
	case av.DoubleValue != nil:
		return parseFloat(av.DoubleValue)
	case av.BytesValue != nil:
		return base64.StdEncoding.DecodeString(*av.BytesValue)
	case av.ArrayValue != nil:
		out := make([]any, 0, len(av.ArrayValue.Values))
		for _, r := range av.ArrayValue.Values {
			v, err := decodeAnyValue(r, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case av.KvlistValue != nil:
		out := make(map[string]any, len(av.KvlistValue.Values))
		for _, kv := range av.KvlistValue.Values {
			v, err := decodeAnyValue(kv.Value, depth+1)
			if err != nil {
				return nil, err
			}
			out[kv.Key] = v
		}
		return out, nil
	}
	return nil, nil
}

// parseInt64 reads a 64-bit integer sent as a JSON string or number.
func parseInt64(raw json.RawMessage) (int64, error) {
	s := string(bytes.Trim(bytes.TrimSpace(raw), `"`))
	return strconv.ParseInt(s, 10, 64)
}

// parseFloat reads a double sent as a number or, for NaN and the
// infinities, as a string.
func parseFloat(raw json.RawMessage) (float64, error) {
	s := string(bytes.Trim(bytes.TrimSpace(raw), `"`))
	switch s {
	case "NaN":
		return math.NaN(), nil
	case "Infinity", "+Inf", "Inf":
		return math.Inf(1), nil
	case "-Infinity", "-Inf":
		return math.Inf(-1), nil
	}
	return strconv.ParseFloat(s, 64)
}

// int64String is a 64-bit integer that jsonpb writes as a string.
type int64String int64

func (n *int64String) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	v, err := parseInt64(b)
	if err != nil {
		return err
	}
	*n = int64String(v)
	return nil
}

// flexFloat is a double that may arrive as "NaN" and friends.
type flexFloat float64

func (f *flexFloat) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	v, err := parseFloat(b)
	if err != nil {
		return err
	}
	*f = flexFloat(v)
	return nil
}

// unixNano converts nanoseconds since the epoch; zero stays the zero time.
func unixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// unixMilli converts milliseconds since the epoch; zero stays the zero time.
func unixMilli(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.UnixMilli(n).UTC()
}
