package sources

import "net/http"

// KindNotRecorded is the failure of a request replayed from an incident
// bundle that the bundle does not hold: the backend was never asked it when
// the bundle was recorded. It is not a fault of any backend, so the console
// shows "not recorded in this bundle" rather than an error.
const KindNotRecorded Kind = "not_recorded"

// NotRecordedReason is the text an *Error of KindNotRecorded carries.
const NotRecordedReason = "not recorded in this bundle"

// IsNotRecorded reports whether err is a replayed request the bundle does
// not hold.
func IsNotRecorded(err error) bool { return KindOf(err) == KindNotRecorded }

// UseTransport replaces the client's HTTP transport, e.g. with a bundle's
// replay. It must be called before the client is used.
//
// A transport may fail a request with an *Error: the client returns that
// error as it is, without retrying.
func (c *Client) UseTransport(rt http.RoundTripper) {
	hc := *c.hc
	hc.Transport = rt
	c.hc = &hc
}
