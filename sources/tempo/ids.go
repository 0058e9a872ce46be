package tempo

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// NormalizeTraceID returns id as 32 lower-case hex digits. It accepts upper
// case, a missing run of leading zeros (search results drop them) and an
// excess of leading zeros, and rejects anything that is not hex.
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

// padHex left-pads a hex id with zeros to n digits.
func padHex(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return strings.Repeat("0", n-len(s)) + s
}

// normalizeSearchID pads and lower-cases an id from a search response;
// anything unexpected is kept as sent rather than failing the search.
func normalizeSearchID(s string, n int) string {
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

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// appendHexID appends the id in src as lower-case hex of exactly size
// bytes. Tempo's JSON carries ids as base64 (gogo jsonpb encodes bytes
// that way); hex of the right length is accepted too, so that bodies from
// other encoders read alike. A short trace id is left-padded, as Tempo
// pads ids it stores.
func appendHexID(dst, src []byte, size int) ([]byte, error) {
	if len(src) == 0 {
		return dst, nil
	}
	if len(src) == 2*size && allHex(src) {
		for _, c := range src {
			if 'A' <= c && c <= 'F' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
		}
		return dst, nil
	}
	var raw [32]byte
	n, ok := decodeBase64(raw[:], src)
	if !ok || n > size || (n < size && size != 16) || n == 0 {
		return dst, fmt.Errorf("id %q is neither base64 nor hex of %d bytes", clip(string(src)), size)
	}
	for i := n; i < size; i++ {
		dst = append(dst, '0', '0')
	}
	return hex.AppendEncode(dst, raw[:n]), nil
}

func allHex(b []byte) bool {
	for _, c := range b {
		if !isHex(c) {
			return false
		}
	}
	return true
}

// decodeBase64 decodes src into dst with any of the four alphabets.
func decodeBase64(dst, src []byte) (int, bool) {
	if base64.StdEncoding.DecodedLen(len(src)) > len(dst) && base64.RawStdEncoding.DecodedLen(len(src)) > len(dst) {
		return 0, false
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if enc.DecodedLen(len(src)) > len(dst) {
			continue
		}
		if n, err := enc.Decode(dst, src); err == nil {
			return n, true
		}
	}
	return 0, false
}
