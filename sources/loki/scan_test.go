package loki

import (
	"bytes"
	"encoding/json"
	"maps"
	"testing"
)

// FuzzUnquote checks the hand-written string and label-set decoding against
// encoding/json on every input encoding/json accepts.
func FuzzUnquote(f *testing.F) {
	for _, s := range []string{`"plain"`, `"tab\there \u00e9 \ud83d\ude00"`, `"lone \ud800 x"`, `"\ud800\u0041"`,
		`"msg=\"served \u003ccached\u003e\" café"`, `"\/\b\f\n\r\\"`, "\"bad \xff utf8\"",
		`{"trace_id":"4bf92f3577b34da6a3ce929d0e0e473b","x":"\u003c"}`, `{ "a" : "b" , "c":null }`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, tok []byte) {
		var want string
		// Tokens reach unquote cut exactly at their quotes.
		if trimmed := bytes.TrimSpace(tok); json.Unmarshal(tok, &want) == nil && len(trimmed) > 0 && trimmed[0] == '"' {
			got, ok := unquote(trimmed)
			if !ok || got != want {
				t.Fatalf("unquote(%q) = %q, %v; encoding/json says %q", tok, got, ok, want)
			}
		}
		var wantMap map[string]string
		if json.Unmarshal(tok, &wantMap) == nil && wantMap != nil {
			got, err := parseStringMap(tok)
			if err != nil || !maps.Equal(got, wantMap) {
				t.Fatalf("parseStringMap(%q) = %v, %v; encoding/json says %v", tok, got, err, wantMap)
			}
		}
	})
}
