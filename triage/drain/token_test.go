package drain

import (
	"slices"
	"strings"
	"testing"
)

func TestMakeToken(t *testing.T) {
	tests := []struct {
		word, mask string
		kind       uint8
		key        string
	}{
		{"failed", "failed", kindLiteral, ""},
		{"route=/checkout", "route=/checkout", kindLiteral, "route="},
		{"status=502", "status=<_>", kindWeak, "status="},
		{"2000ms", "<_>", kindWeak, ""},
		{"backoff=1.5s", "backoff=<_>", kindWeak, "backoff="},
		{"took=1h2m3.5s", "took=<_>", kindWeak, "took="},
		{"size=512KiB", "size=<_>", kindWeak, "size="},
		{"cpu=93%", "cpu=<_>%", kindWeak, "cpu="},
		{"waiters=37)\"", "waiters=<_>)\"", kindWeak, "waiters="},
		{"(pool=ledger", "(pool=ledger", kindLiteral, "(pool="},
		{"user=u-10001", "user=<_>", kindWeak, "user="},
		{"sku=SKU-48213", "sku=<_>", kindWeak, "sku="},
		{"kid=k3", "kid=k3", kindLiteral, "kid="},
		{"model=recs-v4", "model=recs-v4", kindLiteral, "model="},
		{"trace_id=4bf92f3577b34da6a3ce929d0e0e4736", "trace_id=<_>", kindStrong, "trace_id="},
		{"0x7f3a", "<_>", kindStrong, ""},
		{"id=f47ac10b-58cc-4372-a567-0e02b2c3d479", "id=<_>", kindStrong, "id="},
		{"10.2.3.4,", "<_>,", kindStrong, ""},
		{"10.0.4.7:8080", "<_>", kindStrong, ""},
		{"2024/05/01", "<_>", kindStrong, ""},
		{"03:10:05.123", "<_>", kindStrong, ""},
		{"2024-05-01", "<_>", kindStrong, ""},
		{"ts=2024-04-16T15:10:43.551Z", "ts=<_>", kindStrong, "ts="},
		{"1714532405", "<_>", kindStrong, ""},
		{"pod=checkout-7f9c8d4b6-xk2jw", "pod=<_>", kindStrong, "pod="},
		{"*88121", "*<_>", kindWeak, ""},
		{"3124#3124:", "<_>:", kindWeak, ""},
		{"/api/cart/123", "/api/cart/<_>", kindWeak, ""},
		{"\"http://10.0.4.7:8080/api/cart/123\",", "\"http://<_>/api/cart/<_>\",", kindStrong, ""},
		{"HTTP/1.1\",", "HTTP/<_>\",", kindWeak, ""},
		{"'alice'", "'<_>'", kindWeak, ""},
		{`time="2024-05-01T03:10:05Z"`, `time="<_>"`, kindStrong, "time="},
		{`user="bob"`, `user="<_>"`, kindWeak, "user="},
		{`msg="shutdown"`, `msg="shutdown"`, kindLiteral, "msg="},
		{`err="EOF"`, `err="EOF"`, kindLiteral, "err="},
		{`msg="timeout`, `msg="timeout`, kindLiteral, "msg="},
		{`"order_id":"o-48213",`, `"order_id":"<_>",`, kindWeak, `"order_id":`},
		{`"ts":1714532405.123,`, `"ts":<_>,`, kindStrong, `"ts":`},
		{`{"level":"error",`, `{"level":"error",`, kindLiteral, `{"level":`},
		{"confirmation.html:14:", "confirmation.html:14:", kindLiteral, ""},
		{"c.e.shop.OrderController", "c.e.shop.OrderController", kindLiteral, ""},
		{"...", "...", kindLiteral, ""},
		{"=", "=", kindLiteral, ""},
		{"\xff\xfe", "\xff\xfe", kindLiteral, ""},
		{"\x1b[31mred\x1b[0m", "\x1b[31mred\x1b[0m", kindLiteral, ""},
	}
	for _, tt := range tests {
		tok := makeToken(tt.word)
		got := string(tok.appendMask(nil))
		if got != tt.mask || tok.kind != tt.kind || tok.key() != tt.key {
			t.Errorf("makeToken(%q) = mask %q kind %d key %q, want %q %d %q", tt.word, got, tok.kind, tok.key(), tt.mask, tt.kind, tt.key)
		}
		if !tok.maskIs(tt.mask) {
			t.Errorf("makeToken(%q).maskIs(%q) = false", tt.word, tt.mask)
		}
		if !NewMatcher(got).Match(tt.word) {
			t.Errorf("mask %q does not match its word %q", got, tt.word)
		}
	}
}

func TestTokenize(t *testing.T) {
	tests := []struct {
		name      string
		line      string
		maxTokens int
		want      []string // masks; a trailing "|" marks a glued token
	}{
		{"whitespace runs", " a\tb \n c  ", 10, []string{"a", "b", "c"}},
		{"empty", "", 10, nil},
		{"blank", " \t ", 10, nil},
		{"cut at the limit", "a b c d e", 3, []string{"a", "b", "<_>"}},
		{"one long word is not cut", "a b cde", 3, []string{"a", "b", "cde"}},
		{"json fields", `{"level":"error","n":12,"msg":"x y"}`, 10, []string{`{"level":"error",|`, `"n":<_>,|`, `"msg":"x`, `y"}`}},
		{"a long line is cut", "a " + strings.Repeat("b", maxLineBytes), 10, []string{"a", strings.Repeat("b", maxLineBytes-2) + "|", "<_>"}},
		{"a long line is cut between words", strings.Repeat("a ", maxLineBytes), 10_000, append(slices.Repeat([]string{"a"}, maxLineBytes/2), "<_>")},
		{"no json splitting outside json", `level=error list=a,"b"`, 10, []string{"level=error", `list=a,"b"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			toks := tokenizeLine(tt.line, tt.maxTokens, nil)
			var got []string
			for _, tok := range toks {
				s := string(tok.appendMask(nil))
				if tok.glued {
					s += "|"
				}
				got = append(got, s)
				if tt.line[tok.off:tok.off+len(tok.raw)] != tok.raw {
					t.Errorf("drainToken %q is not at offset %d", tok.raw, tok.off)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("tokenizeLine(%q) = %q, want %q", tt.line, got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("tokenizeLine(%q) = %q, want %q", tt.line, got, tt.want)
				}
			}
		})
	}
}
