package tempo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Tempo writes trace bodies with gogo jsonpb: OTLP field names, 64-bit
// integers as strings and enums as names — all of which pdata's OTLP/JSON
// decoder reads — but trace and span ids as base64 where OTLP/JSON wants
// hex. Rewriting just those values, in one pass over the body, lets pdata
// do the rest; it also unwraps the v1 and v2 envelopes.

// traceJSON is a Tempo trace body taken apart.
type traceJSON struct {
	otlp    []byte // OTLP/JSON TracesData with hex ids; nil without a trace
	status  string // "PARTIAL" or ""
	message string
}

// maxJSONDepth bounds nesting, far beyond what a trace needs.
const maxJSONDepth = 256

var errJSONEnd = errors.New("unexpected end of JSON")

// extractTraceJSON reads the envelope's members and rewrites the trace.
func extractTraceJSON(body []byte) (traceJSON, error) {
	var out traceJSON
	i := skipWS(body, 0)
	if i >= len(body) || body[i] != '{' {
		return out, errors.New("trace body is not a JSON object")
	}
	i++
	for first := true; ; first = false {
		i = skipWS(body, i)
		if i >= len(body) {
			return out, errJSONEnd
		}
		if body[i] == '}' {
			i++
			break
		}
		if !first {
			if body[i] != ',' {
				return out, fmt.Errorf("expected , at offset %d", i)
			}
			i = skipWS(body, i+1)
		}
		key, j, err := readString(body, i)
		if err != nil {
			return out, err
		}
		i = skipWS(body, j)
		if i >= len(body) || body[i] != ':' {
			return out, fmt.Errorf("expected : at offset %d", i)
		}
		i = skipWS(body, i+1)
		if i >= len(body) {
			return out, errJSONEnd
		}
		switch key {
		case "trace": // v2: {"resourceSpans":[…]}
			if isNull(body, i) {
				i += 4
				continue
			}
			if body[i] != '{' {
				return out, errors.New("trace is not an object")
			}
			out.otlp, i, err = rewriteIDs(make([]byte, 0, len(body)+len(body)/4), body, i)
		case "batches", "resourceSpans", "resource_spans": // v1, or bare OTLP
			if isNull(body, i) {
				i += 4
				continue
			}
			if body[i] != '[' {
				return out, fmt.Errorf("%s is not an array", key)
			}
			dst := make([]byte, 0, len(body)+len(body)/4)
			dst = append(dst, `{"resourceSpans":`...)
			dst, i, err = rewriteIDs(dst, body, i)
			dst = append(dst, '}')
			out.otlp = dst
		case "status":
			// jsonpb writes enum names; a number is tolerated.
			if body[i] == '"' {
				out.status, i, err = readString(body, i)
			} else {
				start := i
				i, err = skipValue(body, i)
				if err == nil && string(bytes.TrimSpace(body[start:i])) == "1" {
					out.status = "PARTIAL"
				}
			}
		case "message":
			if body[i] == '"' {
				out.message, i, err = readString(body, i)
			} else {
				i, err = skipValue(body, i)
			}
		default:
			i, err = skipValue(body, i)
		}
		if err != nil {
			return out, err
		}
	}
	if i = skipWS(body, i); i != len(body) {
		return out, fmt.Errorf("data after the JSON object at offset %d", i)
	}
	return out, nil
}

// rewriteIDs copies the object or array at src[i] to dst, replacing the
// values of id members with hex, and returns the index after it.
func rewriteIDs(dst, src []byte, i int) ([]byte, int, error) {
	depth := 0
	for i < len(src) {
		switch c := src[i]; c {
		case '"':
			end, esc, err := scanString(src, i)
			if err != nil {
				return dst, i, err
			}
			size := 0
			if !esc {
				size = idSize(src[i+1 : end-1])
			}
			k := skipWS(src, end)
			if size == 0 || k >= len(src) || src[k] != ':' {
				dst = append(dst, src[i:end]...)
				i = end
				continue
			}
			// An id member: copy the key and colon, convert the value.
			key := src[i+1 : end-1]
			v := skipWS(src, k+1)
			dst = append(dst, src[i:v]...)
			i = v
			if v >= len(src) || src[v] != '"' {
				continue // null or malformed: left for pdata to judge
			}
			vend, vesc, err := scanString(src, v)
			if err != nil {
				return dst, i, err
			}
			raw := src[v+1 : vend-1]
			if vesc {
				var s string
				if err := json.Unmarshal(src[v:vend], &s); err != nil {
					return dst, i, err
				}
				raw = []byte(s)
			}
			dst = append(dst, '"')
			if dst, err = appendHexID(dst, raw, size); err != nil {
				return dst, i, fmt.Errorf("%s: %w", key, err)
			}
			dst = append(dst, '"')
			i = vend
		case '{', '[':
			depth++
			if depth > maxJSONDepth {
				return dst, i, fmt.Errorf("JSON nested deeper than %d", maxJSONDepth)
			}
			dst = append(dst, c)
			i++
		case '}', ']':
			depth--
			dst = append(dst, c)
			i++
			if depth <= 0 {
				return dst, i, nil
			}
		default:
			j := i + 1
			for j < len(src) && !isStructural(src[j]) {
				j++
			}
			dst = append(dst, src[i:j]...)
			i = j
		}
	}
	return dst, i, errJSONEnd
}

// idSize is the byte length of the id held by a member of this name, or 0.
func idSize(key []byte) int {
	switch string(key) {
	case "traceId", "trace_id":
		return 16
	case "spanId", "span_id", "parentSpanId", "parent_span_id":
		return 8
	}
	return 0
}

func isStructural(c byte) bool {
	return c == '"' || c == '{' || c == '}' || c == '[' || c == ']'
}

func isNull(b []byte, i int) bool { return bytes.HasPrefix(b[i:], []byte("null")) }

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// scanString finds the end of the string starting at b[i] (a quote): the
// index after the closing quote, and whether it holds escapes.
func scanString(b []byte, i int) (end int, escaped bool, err error) {
	j := i + 1
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return 0, false, errJSONEnd
		}
		q := j + k
		// The quote is escaped when an odd run of backslashes precedes it.
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

// skipValue returns the index after the value at b[i].
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
				if depth <= 0 {
					return i + 1, nil
				}
			}
			i++
		}
		return i, errJSONEnd
	}
	j := i
	for j < len(b) && !isStructural(b[j]) && b[j] != ',' && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' && b[j] != '\r' {
		j++
	}
	if j == i {
		return i, fmt.Errorf("unexpected %q at offset %d", b[i], i)
	}
	return j, nil
}
