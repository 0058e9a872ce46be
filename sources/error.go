// Package sources holds what the backend clients share: the connection
// config, an HTTP client with per-source timeouts, capped bodies and bounded
// retries, and the one typed error every client returns, so the console can
// say exactly why a source failed.
package sources

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// Kind classifies why a call to a source failed.
type Kind string

// The kinds of failure. Their string values appear in reports and logs.
const (
	KindUnreachable Kind = "unreachable"
	KindTimeout     Kind = "timeout"
	KindAuth        Kind = "auth"
	KindBadRequest  Kind = "bad_request"
	KindNotFound    Kind = "not_found"
	KindTooLarge    Kind = "too_large"
	KindRateLimited Kind = "rate_limited"
	KindServer      Kind = "server"
	KindDecode      Kind = "decode"
	// KindConfig is a source whose own config cannot make a request (a
	// header value with a line break): no request is sent, and none is
	// retried.
	KindConfig Kind = "config"
)

// Kinds lists every Kind, in a stable order.
var Kinds = []Kind{KindUnreachable, KindTimeout, KindAuth, KindBadRequest, KindNotFound,
	KindTooLarge, KindRateLimited, KindServer, KindDecode, KindConfig}

// Retryable reports whether a call that failed this way may succeed when
// repeated unchanged.
func (k Kind) Retryable() bool {
	switch k {
	case KindUnreachable, KindRateLimited, KindServer:
		return true
	}
	return false
}

// MaxErrorBody is how much of a server's error body an Error keeps.
const MaxErrorBody = 4 << 10

// Error is the one error type returned by every source client.
type Error struct {
	Source string // "prometheus", "loki", "tempo", "alertmanager"
	Op     string // what was being done, e.g. "query_range"
	Kind   Kind
	Status int    // HTTP status, 0 when no response arrived
	Msg    string // one line, human-readable
	Body   string // the server's body, truncated to MaxErrorBody
	Err    error  // the underlying cause, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Source != "" {
		b.WriteString(e.Source)
		b.WriteString(": ")
	}
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(string(e.Kind))
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	if e.Msg != "" {
		b.WriteString(": ")
		b.WriteString(e.Msg)
	}
	return b.String()
}

// Reason is the short text the console shows after the source name:
// "context deadline exceeded after 10s", "HTTP 400: parse error …".
func (e *Error) Reason() string {
	if e.Status != 0 {
		return fmt.Sprintf("HTTP %d: %s", e.Status, e.Msg)
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// Is lets errors.Is match on Kind: errors.Is(err, &sources.Error{Kind: sources.KindTimeout}).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return (t.Kind == "" || t.Kind == e.Kind) && (t.Status == 0 || t.Status == e.Status) &&
		(t.Source == "" || t.Source == e.Source)
}

// KindOf returns the Kind of err, or "" if err is not an *Error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

// AsError returns err as an *Error, if it is one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// KindForStatus maps an HTTP status to a Kind. Sources refine it where a
// backend gives a status its own meaning (Tempo's 422 is too_large).
func KindForStatus(status int) Kind {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return KindAuth
	case status == http.StatusNotFound:
		return KindNotFound
	case status == http.StatusRequestEntityTooLarge:
		return KindTooLarge
	case status == http.StatusTooManyRequests:
		return KindRateLimited
	case status == http.StatusGatewayTimeout || status == http.StatusRequestTimeout:
		return KindTimeout
	case status >= 500:
		return KindServer
	case status >= 400:
		return KindBadRequest
	}
	return KindServer
}

// HTTPError builds the Error for a non-2xx response, keeping the server's
// message and a truncated copy of its body.
func HTTPError(source, op string, status int, contentType string, body []byte) *Error {
	return &Error{
		Source: source,
		Op:     op,
		Kind:   KindForStatus(status),
		Status: status,
		Msg:    MessageFromBody(status, contentType, body),
		Body:   Truncate(string(body), MaxErrorBody),
	}
}

// DecodeError reports a 2xx body that could not be decoded.
func DecodeError(source, op string, status int, body []byte, err error) *Error {
	msg := "cannot decode response"
	if err != nil {
		msg += ": " + OneLine(err.Error(), 200)
	}
	if looksHTML(body) {
		msg = "expected JSON, got an HTML page" + htmlTitle(body)
	}
	return &Error{Source: source, Op: op, Kind: KindDecode, Status: status, Msg: msg,
		Body: Truncate(string(body), MaxErrorBody), Err: err}
}

var titleRE = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)

func looksHTML(body []byte) bool {
	head := bytes.ToLower(bytes.TrimSpace(body[:min(len(body), 512)]))
	return bytes.HasPrefix(head, []byte("<!doctype html")) || bytes.HasPrefix(head, []byte("<html")) ||
		bytes.Contains(head, []byte("<head>")) || bytes.Contains(head, []byte("<body"))
}

func htmlTitle(body []byte) string {
	if m := titleRE.FindSubmatch(body[:min(len(body), 8192)]); m != nil {
		if t := OneLine(string(m[1]), 120); t != "" {
			return " (" + t + ")"
		}
	}
	return ""
}

// MessageFromBody extracts a one-line message from an error body: the
// "error" field of a JSON envelope, the title of an HTML page, or the first
// line of plain text.
func MessageFromBody(status int, contentType string, body []byte) string {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return strings.ToLower(http.StatusText(status))
	}
	if looksHTML(trimmed) {
		return "HTML error page" + htmlTitle(trimmed)
	}
	if trimmed[0] == '{' || strings.Contains(contentType, "json") {
		var env struct {
			Error   any    `json:"error"`
			Message string `json:"message"`
			Msg     string `json:"msg"`
		}
		if json.Unmarshal(trimmed, &env) == nil {
			switch v := env.Error.(type) {
			case string:
				if v != "" {
					return OneLine(v, 300)
				}
			case map[string]any:
				if m, ok := v["message"].(string); ok && m != "" {
					return OneLine(m, 300)
				}
			}
			if env.Message != "" {
				return OneLine(env.Message, 300)
			}
			if env.Msg != "" {
				return OneLine(env.Msg, 300)
			}
		}
	}
	return OneLine(string(trimmed), 300)
}

// OneLine collapses s to its first non-empty line, trimmed to max runes
// with a trailing "…" when cut.
func OneLine(s string, max int) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = strings.TrimSpace(s[:i]) + " …"
	}
	return Truncate(s, max)
}

// Truncate cuts s to at most max bytes on a rune boundary, marking the cut.
func Truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// TruncatedError reports an answer whose body ended early: the server was
// reached and answered, then the body stopped short of its Content-Length
// (declared < 0 when it was not declared) with readErr.
func TruncatedError(source, op string, status int, got, declared int64, body []byte, readErr error) *Error {
	msg := fmt.Sprintf("truncated response: got %d of %d bytes", got, declared)
	if declared < 0 {
		msg = fmt.Sprintf("truncated response: got %d bytes, then %s", got, OneLine(readErr.Error(), 120))
	}
	return &Error{Source: source, Op: op, Kind: KindDecode, Status: status, Msg: msg,
		Body: Truncate(string(body), MaxErrorBody), Err: readErr}
}

// TransportError classifies a failure that happened before any response:
// the deadline, a refused connection, DNS, TLS.
func TransportError(source, op string, timeout time.Duration, err error) *Error {
	e := &Error{Source: source, Op: op, Err: err}
	var netErr net.Error
	var dnsErr *net.DNSError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var certInvalid x509.CertificateInvalidError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()):
		e.Kind = KindTimeout
		e.Msg = "context deadline exceeded"
		if timeout > 0 {
			e.Msg += " after " + timeout.String()
		}
	case errors.Is(err, context.Canceled):
		e.Kind = KindTimeout
		e.Msg = "canceled"
	case errors.Is(err, syscall.ECONNREFUSED):
		e.Kind = KindUnreachable
		e.Msg = "connection refused"
	case errors.As(err, &dnsErr):
		e.Kind = KindUnreachable
		e.Msg = "cannot resolve host " + dnsErr.Name
	case errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &certInvalid):
		e.Kind = KindUnreachable
		e.Msg = "TLS: " + OneLine(err.Error(), 200)
	default:
		e.Kind = KindUnreachable
		msg := err.Error()
		var uerr *url.Error
		if errors.As(err, &uerr) {
			msg = uerr.Err.Error()
		}
		e.Msg = OneLine(msg, 200)
	}
	return e
}

// ErrorKind returns the kind as a string, so that packages which must not
// import this one (the engine) can still report it.
func (e *Error) ErrorKind() string { return string(e.Kind) }
