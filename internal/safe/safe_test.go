package safe

import (
	"strings"
	"testing"
	"unicode"
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
		{"line separator", "a\u2028b", `a\u2028b`},
		{"paragraph separator", "a\u2029b", `a\u2029b`},
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

// Invisible characters make two different strings look the same; each
// is shown as an escape, as U+FEFF is. Emoji built with the same
// characters stay whole.
func TestInvisibleCharacters(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"zero-width space", "check\u200bout", `check\u200bout`},
		{"zero-width non-joiner", "check\u200cout", `check\u200cout`},
		{"zero-width joiner between letters", "check\u200dout", `check\u200dout`},
		{"joiner after a letter before an emoji", "a\u200d💻", `a\u200d💻`},
		{"joiner after an emoji before a letter", "👩\u200da", `👩\u200da`},
		{"trailing joiner", "👩\u200d", `👩\u200d`},
		{"lone joiner", "\u200d", `\u200d`},
		{"word joiner", "a\u2060b", `a\u2060b`},
		{"soft hyphen", "pay\u00adments", `pay\u00adments`},
		{"mongolian vowel separator", "a\u180eb", `a\u180eb`},
		{"invisible times", "a\u2062b", `a\u2062b`},
		{"combining grapheme joiner", "a\u034fb", `a\u034fb`},
		{"hangul filler", "\u3164admin", `\u3164admin`},
		{"halfwidth hangul filler", "ad\uffa0min", `ad\uffa0min`},
		{"variation selector on a letter", "a\ufe0fb", `a\ufe0fb`},
		{"variation selector on a digit", "1\ufe0f0", `1\ufe0f0`},
		{"tag characters without a flag", "a\U000e0067\U000e0062", `a\U000e0067\U000e0062`},
		{"arabic number sign", "\u0600123", `\u0600123`},
		{"interlinear annotation", "a\ufff9b\ufffbc", `a\ufff9b\ufffbc`},
		// Emoji stay intact.
		{"technologist", "👩\u200d💻", "👩\u200d💻"},
		{"family", "👨\u200d👩\u200d👧\u200d👦", "👨\u200d👩\u200d👧\u200d👦"},
		{"rainbow flag", "🏳\ufe0f\u200d🌈", "🏳\ufe0f\u200d🌈"},
		{"skin tone in a sequence", "🧑🏽\u200d💻", "🧑🏽\u200d💻"},
		{"heart on fire", "❤\ufe0f\u200d🔥", "❤\ufe0f\u200d🔥"},
		{"skin tone", "👍🏽", "👍🏽"},
		{"flag", "🇫🇷", "🇫🇷"},
		{"keycap", "1\ufe0f\u20e3", "1\ufe0f\u20e3"},
		{"keycap hash", "#\ufe0f\u20e3", "#\ufe0f\u20e3"},
		{"heart with selector", "❤\ufe0f", "❤\ufe0f"},
		{"text presentation", "✔\ufe0e", "✔\ufe0e"},
		{"flag of scotland", "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"},
		{"ideographic variation", "葛\U000e0100", "葛\U000e0100"},
		{"accents", "e\u0301 café 東京", "e\u0301 café 東京"},
		{"emoji then joiner between letters", "👩\u200d💻 x\u200dy", "👩\u200d💻 " + `x\u200dy`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Line(c.in); got != c.want {
				t.Fatalf("Line(%q) = %q, want %q", c.in, got, c.want)
			}
			if got := Text(c.in); got != c.want {
				t.Fatalf("Text(%q) = %q, want %q", c.in, got, c.want)
			}
			if Needs(c.in) != (c.in != c.want) {
				t.Fatalf("Needs(%q) = %v", c.in, Needs(c.in))
			}
		})
	}
}

// Every format character (category Cf) is escaped outside emoji.
func TestEveryFormatCharacterIsEscaped(t *testing.T) {
	for _, rt := range unicode.Cf.R16 {
		for r := rune(rt.Lo); r <= rune(rt.Hi); r += rune(rt.Stride) {
			checkEscaped(t, r)
		}
	}
	for _, rt := range unicode.Cf.R32 {
		for r := rune(rt.Lo); r <= rune(rt.Hi); r += rune(rt.Stride) {
			checkEscaped(t, r)
		}
	}
}

func checkEscaped(t *testing.T, r rune) {
	t.Helper()
	in := "a" + string(r) + "b"
	got := Line(in)
	if strings.ContainsRune(got, r) {
		t.Errorf("%U reached the output raw: %q", r, got)
	}
	if !strings.Contains(got, `\`) {
		t.Errorf("%U: %q has no visible escape", r, got)
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
	// A cut never splits an emoji sequence, whose joiner would be left
	// dangling.
	if got := Truncate("ab👩\u200d💻cd", 4); got != "ab…" {
		t.Fatalf("got %q", got)
	}
	if got := Truncate("ab👩\u200d💻cd", 6); got != "ab👩\u200d💻…" {
		t.Fatalf("got %q", got)
	}
}

func FuzzLine(f *testing.F) {
	for _, s := range []string{"\x1b]52;c;x\x07", "\x1b[", "\x1bP", "\u009b", "\xff\xfe", "a\nb",
		"check\u200bout", "👩\u200d💻", "a\u200db", "1\ufe0f\u20e3", "🏴\U000e0067\U000e007f", "\u2028", "\xa9\u200d\xf0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Line(s)
		for _, r := range got {
			if unsafeRune(r) {
				t.Fatalf("Line(%q) kept %U", s, r)
			}
		}
		// What is kept is kept again: an invisible rune survives only
		// inside an emoji, and stays there.
		if again := Line(got); again != got || Needs(got) {
			t.Fatalf("Line(%q) = %q, which Line changes again to %q", s, got, again)
		}
		if !strings.Contains(got, "\\") && got != s {
			t.Fatalf("changed without an escape: %q -> %q", s, got)
		}
	})
}
