package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/triagectl/triage/internal/safe"
)

// WriteJSON writes v as indented JSON. Runes a terminal would act on or
// hide (controls, bidi overrides, invisible characters) are written as
// \u escapes: the value a script decodes is unchanged, and nothing raw
// reaches a terminal.
func WriteJSON(w io.Writer, v any) error {
	b, err := marshalJSON(v)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err = w.Write(escapeJSON(out.Bytes()))
	return err
}

func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// needsEscape reports a rune that must not reach a terminal raw. ASCII
// controls other than DEL are escaped by encoding/json already.
func needsEscape(r rune) bool {
	return r == 0x7f || (r >= 0x80 && safe.Needs(string(r)))
}

// escapeJSON rewrites such runes as \u escapes; in JSON they can only
// occur inside strings, where an escape means the same rune.
func escapeJSON(b []byte) []byte {
	return escapeRunes(b, func(out *bytes.Buffer, r rune) {
		if r > 0xffff {
			r1, r2 := surrogates(r)
			fmt.Fprintf(out, `\u%04x\u%04x`, r1, r2)
		} else {
			fmt.Fprintf(out, `\u%04x`, r)
		}
	})
}

// escapeRunes writes each rune of b that needsEscape with esc, the rest
// as it is.
func escapeRunes(b []byte, esc func(out *bytes.Buffer, r rune)) []byte {
	if !bytes.ContainsFunc(b, needsEscape) {
		return b
	}
	var out bytes.Buffer
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if needsEscape(r) {
			esc(&out, r)
		} else {
			out.Write(b[:n])
		}
		b = b[n:]
	}
	return out.Bytes()
}

func surrogates(r rune) (rune, rune) {
	r -= 0x10000
	return 0xd800 + (r>>10)&0x3ff, 0xdc00 + r&0x3ff
}

// WriteYAML writes v as YAML: the document its JSON is, keys in the same
// order, with the same escaping (a string holding such a rune is double
// quoted, and the rune escaped).
func WriteYAML(w io.Writer, v any) error {
	b, err := marshalJSON(v)
	if err != nil {
		return err
	}
	node, err := JSONToYAML(b)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(node); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err = w.Write(escapeYAML(out.Bytes()))
	return err
}

// JSONToYAML converts a JSON document into a YAML node, keeping the order
// of object keys.
func JSONToYAML(b []byte) (*yaml.Node, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	n, err := yamlValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("json: data after the document")
	}
	return n, nil
}

func yamlValue(dec *json.Decoder) (*yaml.Node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				ks, _ := k.(string)
				v, err := yamlValue(dec)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, str(ks), v)
			}
			_, err := dec.Token()
			return n, err
		case '[':
			n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
			for dec.More() {
				v, err := yamlValue(dec)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, v)
			}
			_, err := dec.Token()
			return n, err
		}
	case string:
		return str(t), nil
	case json.Number:
		tag := "!!float"
		if _, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			tag = "!!int"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: string(t)}, nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(t)}, nil
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	}
	return nil, fmt.Errorf("json: unexpected %v", tok)
}

// str is a string scalar; one holding a rune to escape is double quoted,
// so that escapeYAML can write the rune's escape.
func str(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if strings.ContainsFunc(s, needsEscape) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// escapeYAML writes each rune to escape as its YAML escape; str put every
// string holding one in double quotes, where escapes are read.
func escapeYAML(b []byte) []byte {
	return escapeRunes(b, func(out *bytes.Buffer, r rune) {
		if r > 0xffff {
			fmt.Fprintf(out, `\U%08x`, r)
		} else {
			fmt.Fprintf(out, `\u%04x`, r)
		}
	})
}

// WriteYAMLNodeJSON writes a YAML document as indented JSON, keys in its
// order, each scalar as the value YAML reads it as (10 a number, true a
// boolean, 10s a string); with WriteJSON's escaping.
func WriteYAMLNodeJSON(w io.Writer, n *yaml.Node) error {
	var b bytes.Buffer
	if err := nodeJSON(&b, n); err != nil {
		return err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b.Bytes(), "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err := w.Write(escapeJSON(out.Bytes()))
	return err
}

func nodeJSON(b *bytes.Buffer, n *yaml.Node) error {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			b.WriteString("null")
			return nil
		}
		return nodeJSON(b, n.Content[0])
	case yaml.MappingNode:
		b.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			k, err := marshalJSON(n.Content[i].Value)
			if err != nil {
				return err
			}
			b.Write(k)
			b.WriteByte(':')
			if err := nodeJSON(b, n.Content[i+1]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case yaml.SequenceNode:
		b.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := nodeJSON(b, c); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return err
		}
		if _, isTime := v.(interface{ IsZero() bool }); isTime {
			v = n.Value
		}
		j, err := marshalJSON(v)
		if err != nil {
			return err
		}
		b.Write(j)
	case yaml.AliasNode:
		return nodeJSON(b, n.Alias)
	}
	return nil
}
