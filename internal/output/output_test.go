package output

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode"

	"go.yaml.in/yaml/v3"
)

func TestParse(t *testing.T) {
	if f, err := Parse(" JSON ", Text, JSON); err != nil || f != JSON {
		t.Errorf("Parse(JSON) = %q, %v", f, err)
	}
	_, err := Parse("xml", Text, JSON, YAML)
	if err == nil || err.Error() != `-o "xml": expected text, json or yaml` {
		t.Errorf("err = %v", err)
	}
	if _, err := Parse("slack", Text, JSON); err == nil {
		t.Error("a format the command does not offer was accepted")
	}
}

// hostile holds what an alert label or a log line can carry: escape
// sequences, C1 controls, bidi overrides, invisible characters, an emoji
// sequence and a rune past the BMP.
var hostile = map[string]any{
	"zeta":      "osc \x1b]52;c;ZXZpbA==\x07 del \x7f nel \u0085",
	"alpha":     "bidi \u202egnp.exe zero\u200bwidth tag\U000E0041",
	"mid":       []any{"👩\u200d💻", "plain", 1.5, 3, true, nil},
	"key\u202e": "the key is hostile too",
}

// raw reports a rune that must not reach a terminal as it is.
func raw(s string) []rune {
	var out []rune
	for _, r := range s {
		if r != '\n' && (unicode.IsControl(r) || r == 0x7f || unicode.Is(unicode.Cf, r) || r == 0xe0041) {
			out = append(out, r)
		}
	}
	return out
}

// JSON keeps every value a script reads, but no raw escape, bidi or
// invisible rune reaches the terminal.
func TestJSONEscapesLosslessly(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, hostile); err != nil {
		t.Fatal(err)
	}
	if r := raw(b.String()); len(r) > 0 {
		t.Errorf("raw runes %q in:\n%s", r, b.String())
	}
	var back map[string]any
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{}
	j, _ := json.Marshal(hostile)
	_ = json.Unmarshal(j, &want)
	if !reflect.DeepEqual(back, want) {
		t.Errorf("decoded %q, want %q", back, want)
	}
}

// YAML is the JSON document, keys in its order, as safe and as lossless.
func TestYAMLIsTheJSONDocument(t *testing.T) {
	type row struct {
		Zed   string         `json:"zed"`
		Alpha map[string]any `json:"alpha"`
		Empty *int           `json:"empty"`
	}
	v := row{Zed: "first key", Alpha: hostile}
	var b bytes.Buffer
	if err := WriteYAML(&b, v); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if r := raw(out); len(r) > 0 {
		t.Errorf("raw runes %q in:\n%s", r, out)
	}
	if !strings.HasPrefix(out, "zed: first key\nalpha:\n") || !strings.Contains(out, "empty: null") {
		t.Errorf("order or null lost:\n%s", out)
	}
	var fromYAML, fromJSON any
	if err := yaml.Unmarshal(b.Bytes(), &fromYAML); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	j, _ := json.Marshal(v)
	_ = json.Unmarshal(j, &fromJSON)
	if !reflect.DeepEqual(normal(fromYAML), normal(fromJSON)) {
		t.Errorf("YAML reads as\n%#v\nJSON as\n%#v", normal(fromYAML), normal(fromJSON))
	}
	// Strings YAML would read as something else stay strings.
	b.Reset()
	if err := WriteYAML(&b, []string{"true", "null", "1.5", "2026-01-02T03:04:05Z", "no"}); err != nil {
		t.Fatal(err)
	}
	var strs []any
	if err := yaml.Unmarshal(b.Bytes(), &strs); err != nil {
		t.Fatal(err)
	}
	for _, s := range strs {
		if _, ok := s.(string); !ok {
			t.Errorf("%v (%T) is no longer a string:\n%s", s, s, b.String())
		}
	}
}

// normal makes YAML's and JSON's decodings comparable: numbers as float64.
func normal(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := map[string]any{}
		for k, e := range x {
			m[k] = normal(e)
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normal(e)
		}
		return out
	case int:
		return float64(x)
	}
	return v
}

func TestTableFormats(t *testing.T) {
	tab := Table{Header: []string{"NAME", "STATE"}, Rows: [][]string{{"loki", "ok"}, {"a|b <!here> \x1b[2J", ""}}, Note: "+1 more"}
	cases := map[Format]string{
		Text:     "NAME                 STATE\nloki                 ok\na|b <!here> \\x1b[2J  -\n+1 more\n",
		Markdown: "| NAME | STATE |\n|---|---|\n| loki | ok |\n| a\\|b \\<!here\\> \\\\x1b\\[2J | — |\n\n_+1 more_\n",
		Slack:    "```\nNAME                 STATE\nloki                 ok\na|b &lt;!here&gt; \\x1b[2J  -\n+1 more\n```\n",
	}
	for f, want := range cases {
		var b bytes.Buffer
		if err := tab.Write(&b, f); err != nil {
			t.Fatal(err)
		}
		if b.String() != want {
			t.Errorf("%s:\n%s\nwant\n%s", f, b.String(), want)
		}
	}
}
