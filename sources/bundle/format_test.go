package bundle

import (
	"bytes"
	"encoding/json"
	"testing"
)

// The one-pass decoding of a body string gives what encoding/json gives,
// or declines and leaves the string to it.
func FuzzBodyUnquote(f *testing.F) {
	for _, s := range []string{`""`, `"plain"`, `"a\"b\\c\/d\b\f\n\r\t"`, `"\u00e9\u20ac"`, `"\ud83d\ude00"`,
		`"lone \ud83d"`, `"\uZZZZ"`, `"bad \q"`, "\"\xff\"", `"end\`, `"{\"status\":\"success\"}"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var want string
		if json.Unmarshal(data, &want) != nil || len(bytes.TrimSpace(data)) != len(data) {
			return // the decoder never hands such a value to UnmarshalJSON
		}
		var b Body
		if err := b.UnmarshalJSON(data); err != nil {
			t.Fatalf("%q: %v", data, err)
		}
		if string(b) != want {
			t.Fatalf("%q: decoded %q, encoding/json %q", data, b, want)
		}
	})
}
