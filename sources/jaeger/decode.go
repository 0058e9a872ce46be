package jaeger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// api/v3 answers traces as {"result":<OTLP/JSON TracesData>}: one object
// from Jaeger v2's gateway, which merges every trace of a search into one
// TracesData, or one object per chunk from the older grpc-gateway, which
// streams them back to back. The OTLP inside is what pdata writes (hex
// ids, enums as numbers); the older gateway wrote gogo jsonpb (base64
// ids), which pdata rejects, so those ids are converted on a second try.

// GatewayError is api/v3's error object, {"error":{…}}. The older gateway
// streams it inside a 200 when a search fails midway.
type GatewayError struct {
	GRPCCode   int    `json:"grpcCode"`
	HTTPCode   int    `json:"httpCode"`
	Message    string `json:"message"`
	HTTPStatus string `json:"httpStatus"`
}

func (e *GatewayError) Error() string {
	if e.HTTPCode != 0 {
		return fmt.Sprintf("HTTP %d: %s", e.HTTPCode, e.Message)
	}
	return e.Message
}

// maxJSONDepth bounds nesting in the parts the client walks itself.
const maxJSONDepth = 256

var errJSONEnd = errors.New("unexpected end of JSON")

// DecodeTraces decodes an api/v3 traces body: one or more
// {"result":{"resourceSpans":[…]}} objects, or a bare OTLP/JSON
// TracesData. A {"error":…} object is returned as a *GatewayError. An
// empty result decodes to no spans.
func DecodeTraces(body []byte) (ptrace.Traces, error) {
	var out ptrace.Traces
	have := false
	add := func(td ptrace.Traces) {
		if !have {
			out, have = td, true
			return
		}
		td.ResourceSpans().MoveAndAppendTo(out.ResourceSpans())
	}
	i := skipWS(body, 0)
	if i >= len(body) {
		return out, errors.New("empty body")
	}
	for i < len(body) {
		if body[i] != '{' {
			return out, fmt.Errorf("expected an object at offset %d", i)
		}
		start := i
		end, err := skipValue(body, i)
		if err != nil {
			return out, err
		}
		res, gerr, bare, err := members(body[start:end])
		if err != nil {
			return out, err
		}
		if gerr != nil {
			return out, gerr
		}
		switch {
		case bare:
			td, err := unmarshalOTLP(body[start:end])
			if err != nil {
				return out, err
			}
			add(td)
		case res != nil:
			td, err := unmarshalOTLP(res)
			if err != nil {
				return out, fmt.Errorf("result: %w", err)
			}
			add(td)
		}
		i = skipWS(body, end)
	}
	if !have {
		out = ptrace.NewTraces()
	}
	return out, nil
}

// members reads one top-level object: its "result" value, its "error", and
// whether it is itself a TracesData (it has "resourceSpans").
func members(obj []byte) (result []byte, gerr *GatewayError, bare bool, err error) {
	i := skipWS(obj, 1)
	for first := true; ; first = false {
		i = skipWS(obj, i)
		if i >= len(obj) {
			return nil, nil, false, errJSONEnd
		}
		if obj[i] == '}' {
			return result, gerr, bare, nil
		}
		if !first {
			if obj[i] != ',' {
				return nil, nil, false, fmt.Errorf("expected , at offset %d", i)
			}
			i = skipWS(obj, i+1)
		}
		key, j, err := readString(obj, i)
		if err != nil {
			return nil, nil, false, err
		}
		i = skipWS(obj, j)
		if i >= len(obj) || obj[i] != ':' {
			return nil, nil, false, fmt.Errorf("expected : at offset %d", i)
		}
		i = skipWS(obj, i+1)
		j, err = skipValue(obj, i)
		if err != nil {
			return nil, nil, false, err
		}
		v := obj[i:j]
		switch key {
		case "result":
			if !bytes.Equal(v, []byte("null")) {
				if v[0] != '{' {
					return nil, nil, false, errors.New("result is not an object")
				}
				result = v
			}
		case "error":
			if !bytes.Equal(v, []byte("null")) {
				gerr = &GatewayError{}
				if err := json.Unmarshal(v, gerr); err != nil {
					return nil, nil, false, fmt.Errorf("error: %w", err)
				}
				if gerr.Message == "" {
					gerr.Message = "error without a message"
				}
			}
		case "resourceSpans", "resource_spans":
			bare = true
		}
		i = j
	}
}

// unmarshalOTLP decodes OTLP/JSON TracesData with pdata, converting base64
// ids to hex when pdata refuses them.
func unmarshalOTLP(b []byte) (ptrace.Traces, error) {
	td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(b)
	if err == nil {
		return td, nil
	}
	fixed, ok := hexIDs(b)
	if !ok {
		return td, err
	}
	return (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(fixed)
}

// hexIDs rewrites the trace and span ids in an OTLP/JSON document from
// base64 to hex; ok is false when there was nothing to convert or an id is
// neither.
func hexIDs(b []byte) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc any
	if dec.Decode(&doc) != nil {
		return nil, false
	}
	changed := false
	var walk func(v any, depth int) bool
	walk = func(v any, depth int) bool {
		if depth > maxJSONDepth {
			return false
		}
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if size := idSize(k); size > 0 {
					if s, ok := e.(string); ok && s != "" {
						h, err := hexFromBase64(s, size)
						if err != nil {
							return false
						}
						changed = changed || h != s
						x[k] = h
						continue
					}
				}
				if !walk(e, depth+1) {
					return false
				}
			}
		case []any:
			for _, e := range x {
				if !walk(e, depth+1) {
					return false
				}
			}
		}
		return true
	}
	if !walk(doc, 0) || !changed {
		return nil, false
	}
	out, err := json.Marshal(doc)
	return out, err == nil
}

// idSize is the byte length of the id held by a member of this name, or 0.
func idSize(key string) int {
	switch key {
	case "traceId", "trace_id":
		return 16
	case "spanId", "span_id", "parentSpanId", "parent_span_id":
		return 8
	}
	return 0
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// scanString returns the index after the string starting at b[i] (a
// quote), and whether it holds escapes.
func scanString(b []byte, i int) (int, bool, error) {
	j := i + 1
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return 0, false, errJSONEnd
		}
		q := j + k
		n := 0
		for p := q - 1; p > i && b[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return q + 1, bytes.IndexByte(b[i+1:q], '\\') >= 0, nil
		}
		j = q + 1
	}
}

// readString reads the string at b[i], unescaped.
func readString(b []byte, i int) (string, int, error) {
	if i >= len(b) || b[i] != '"' {
		return "", i, fmt.Errorf("expected a string at offset %d", i)
	}
	end, esc, err := scanString(b, i)
	if err != nil {
		return "", i, err
	}
	if !esc {
		return string(b[i+1 : end-1]), end, nil
	}
	var s string
	if err := json.Unmarshal(b[i:end], &s); err != nil {
		return "", i, err
	}
	return s, end, nil
}

// skipValue returns the index after the value at b[i]. It finds where a
// value ends, not whether it is valid: pdata and encoding/json judge that.
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return i, errJSONEnd
	}
	switch b[i] {
	case '"':
		end, _, err := scanString(b, i)
		return end, err
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				end, _, err := scanString(b, i)
				if err != nil {
					return i, err
				}
				i = end
				continue
			case '{', '[':
				depth++
				if depth > maxJSONDepth {
					return i, fmt.Errorf("JSON nested deeper than %d", maxJSONDepth)
				}
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			}
			i++
		}
		return i, errJSONEnd
	}
	j := i
	for j < len(b) && !bytes.ContainsRune([]byte(`"{}[],: `+"\t\r\n"), rune(b[j])) {
		j++
	}
	if j == i {
		return i, fmt.Errorf("unexpected %q at offset %d", b[i], i)
	}
	return j, nil
}
