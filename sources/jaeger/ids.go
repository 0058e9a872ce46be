package jaeger

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// NormalizeTraceID returns id as 32 lower-case hex digits. It accepts upper
// case and a missing run of leading zeros (Jaeger's UI API drops them, and
// so do 64-bit ids from older clients), and rejects anything not hex.
func NormalizeTraceID(id string) (string, error) {
	s := strings.TrimSpace(id)
	if s == "" {
		return "", fmt.Errorf("trace id is empty")
	}
	if len(s) > 32 {
		trimmed := strings.TrimLeft(s, "0")
		if len(trimmed) > 32 {
			return "", fmt.Errorf("trace id %q is longer than 32 hex digits", clip(id))
		}
		s = trimmed
	}
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return "", fmt.Errorf("trace id %q is not hex", clip(id))
		}
	}
	s = strings.ToLower(s)
	if strings.Trim(s, "0") == "" {
		return "", fmt.Errorf("trace id %q is all zeros", clip(id))
	}
	return padHex(s, 32), nil
}

// normalizeID pads and lower-cases a hex id from a response; anything else
// is kept as sent rather than failing the whole answer.
func normalizeID(s string, n int) string {
	if len(s) > n {
		return s
	}
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return s
		}
	}
	return padHex(strings.ToLower(s), n)
}

func padHex(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return strings.Repeat("0", n-len(s)) + s
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// hexFromBase64 converts an id that an older api/v3 gateway (gogo jsonpb)
// wrote in base64 to the hex OTLP/JSON expects; size is the id's length in
// bytes. A hex id of the right length is returned as it is.
func hexFromBase64(s string, size int) (string, error) {
	if len(s) == 2*size && allHex(s) {
		return strings.ToLower(s), nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == size {
			return hex.EncodeToString(b), nil
		}
	}
	return "", fmt.Errorf("id %q is neither hex nor base64 of %d bytes", clip(s), size)
}

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}
