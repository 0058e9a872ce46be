package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"slices"
	"strings"
)

const redacted = "<redacted>"

// sensitiveWords mark a header or query parameter that carries a
// credential; its value is never written to a bundle.
var sensitiveWords = []string{"authorization", "cookie", "token", "secret", "password", "passwd",
	"api-key", "api_key", "apikey", "credential", "session", "signature"}

func sensitiveName(name string) bool {
	n := strings.ToLower(name)
	for _, w := range sensitiveWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// cleanURL removes the credentials a URL may carry: its user info and the
// values of credential-like query parameters.
func cleanURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.User = nil
	if q, err := url.ParseQuery(u.RawQuery); err == nil && redactQuery(q) {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// redactQuery masks credential-like parameters and reports whether it did.
func redactQuery(q url.Values) bool {
	changed := false
	for k, vs := range q {
		if sensitiveName(k) {
			for i := range vs {
				vs[i] = redacted
			}
			changed = true
		}
	}
	return changed
}

// requestKey identifies a request for replay: the source, the method, the
// path, the query with parameters and values in a canonical order, and a
// digest of the body. The host is left out: a replay's clients may point
// anywhere.
func requestKey(source, method, rawURL string, body []byte) string {
	var b strings.Builder
	b.WriteString(source)
	b.WriteByte(' ')
	b.WriteString(strings.ToUpper(method))
	b.WriteByte(' ')
	b.WriteString(requestTarget(rawURL))
	if len(body) > 0 {
		sum := sha256.Sum256(body)
		b.WriteString(" body:")
		b.WriteString(hex.EncodeToString(sum[:12]))
	}
	return b.String()
}

// requestTarget is the path and canonical query of a URL, credentials
// masked as the writer masks them.
func requestTarget(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	if u.RawQuery == "" {
		return p
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return p + "?" + u.RawQuery
	}
	redactQuery(q)
	for _, vs := range q {
		slices.Sort(vs)
	}
	return p + "?" + q.Encode()
}
