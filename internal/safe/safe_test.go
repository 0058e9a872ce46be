package safe

import (
	"strings"
	"testing"
)

func TestLineNeutralisesInjection(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"plain", "payments timeout after 2s", "payments timeout after 2s"},
		{"unicode kept", "café → 東京", "café → 東京"},
		{"osc52 clipboard", "x\x1b]52;c;cm0gLXJmIC8K\x07y", `x\x1b]52;c;cm0gLXJmIC8K\x07y`},
		{"osc title with ST", "\x1b]0;pwned\x1b\\ok", `\x1b]0;pwned\x1b\ok`},
		{"csi colour", "\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"cursor move", "a\x1b[2J\x1b[H", `a\x1b[2J\x1b[H`},
		{"dcs", "\x1bPq#0;2;0;0;0\x1b\\", `\x1bPq#0;2;0;0;0\x1b\`},
		{"c1 csi", "a\u009b31mb", `a\u009b31mb`},
		{"bidi override", "user\u202egnp.exe", `user\u202egnp.exe`},
		{"bidi isolate", "\u2066x\u2069", `\u2066x\u2069`},
		{"newline forged row", "ok\nFAKE ROW", `ok\nFAKE ROW`},
		{"carriage return", "100%\rdone", `100%\rdone`},
		{"bell and nul", "a\x07b\x00c", `a\x07b\x00c`},
		{"invalid utf8", "a\xffb", `a\xffb`},
		{"del", "a\x7fb", `a\x7fb`},
		{"bom", "\ufeffx", `\ufeffx`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Line(c.in)
			if got != c.want {
				t.Fatalf("Line(%q) = %q, want %q", c.in, got, c.want)
			}
			if strings.ContainsAny(got, "\x1b\x07\x00\n\r\u009b\u202e") {
				t.Fatalf("control survived: %q", got)
			}
		})
	}
}

func TestTextKeepsLayoutControls(t *testing.T) {
	if got := Text("a\n\tb\x1b[1m"); got != "a\n\tb\\x1b[1m" {
		t.Fatalf("Text = %q", got)
	}
}

func TestTruncate(t *testing.T) {
	if got := Truncate("abcdef", 4); got != "abc…" {
		t.Fatalf("got %q", got)
	}
	if got := Truncate("東京都", 5); got != "東京都" {
		t.Fatalf("got %q", got)
	}
}

func FuzzLine(f *testing.F) {
	for _, s := range []string{"\x1b]52;c;x\x07", "\x1b[", "\x1bP", "\u009b", "\xff\xfe", "a\nb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Line(s)
		for _, r := range got {
			if unsafeRune(r) {
				t.Fatalf("Line(%q) kept %U", s, r)
			}
		}
		if !strings.Contains(got, "\\") && got != s {
			t.Fatalf("changed without an escape: %q -> %q", s, got)
		}
	})
}
