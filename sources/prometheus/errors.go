package prometheus

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/triagectl/triage/sources"
)

// sourceName is the Source of every error this package returns.
const sourceName = "prometheus"

// mapError turns whatever a client_golang call returned into a
// *sources.Error that keeps the real HTTP status and the server's message.
func mapError(ctx context.Context, ex *exchange, err error) error {
	if err == nil {
		return nil
	}
	if se, ok := sources.AsError(err); ok {
		return se
	}
	var ae *v1.Error
	if !errors.As(err, &ae) {
		if ctx.Err() != nil {
			return sources.TransportError(sourceName, ex.op, 0, ctx.Err())
		}
		return &sources.Error{Source: sourceName, Op: ex.op, Kind: sources.KindBadRequest,
			Msg: sources.OneLine(err.Error(), 200), Err: err}
	}
	status := ex.status
	if status/100 != 2 {
		// Prometheus's own error envelope, or a proxy's page or text: the
		// shared builder keeps the "error" field, the page title or the
		// first line, and the body.
		e := sources.HTTPError(sourceName, ex.op, status, ex.header.Get("Content-Type"), ex.body)
		e.Err = ae
		if et := envelopeErrorType(ex.body); et != "" {
			e.Kind = kindForErrorType(et, status, e.Msg)
		}
		return e
	}
	if ae.Type == v1.ErrBadResponse {
		return sources.DecodeError(sourceName, ex.op, status, ex.body, ae)
	}
	// A 2xx whose envelope says "error": trust the envelope.
	return &sources.Error{Source: sourceName, Op: ex.op, Kind: kindForErrorType(ae.Type, status, ae.Msg),
		Status: status, Msg: sources.OneLine(ae.Msg, 300), Body: sources.Truncate(string(ex.body), sources.MaxErrorBody), Err: ae}
}

// kindForErrorType maps Prometheus's errorType. Types it does not know
// fall back to the HTTP status.
func kindForErrorType(t v1.ErrorType, status int, msg string) sources.Kind {
	switch t {
	case v1.ErrBadData:
		return sources.KindBadRequest
	case v1.ErrExec:
		// The engine reports a query that ran out of its evaluation
		// deadline as an execution error, yet it is a timeout.
		if strings.Contains(msg, "context deadline exceeded") {
			return sources.KindTimeout
		}
		return sources.KindBadRequest
	case v1.ErrTimeout, v1.ErrCanceled:
		return sources.KindTimeout
	case "internal", v1.ErrServer, "unavailable":
		return sources.KindServer
	case "not_found":
		return sources.KindNotFound
	case v1.ErrBadResponse:
		return sources.KindDecode
	}
	if status/100 == 2 {
		return sources.KindServer
	}
	return sources.KindForStatus(status)
}

// envelopeErrorType reads errorType from a Prometheus error envelope, or
// returns "" when the body is not one (a proxy's text or page).
func envelopeErrorType(body []byte) v1.ErrorType {
	var env struct {
		Status    string       `json:"status"`
		ErrorType v1.ErrorType `json:"errorType"`
	}
	if json.Unmarshal(body, &env) != nil || env.Status != "error" {
		return ""
	}
	return env.ErrorType
}

// checkEnvelope rejects a 2xx body that decoded to nothing because it was
// not a success envelope at all ("null", "{}"): client_golang accepts those.
func checkEnvelope(ex *exchange) error {
	var env struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(ex.body, &env); err != nil {
		return sources.DecodeError(sourceName, ex.op, ex.status, ex.body, err)
	}
	if env.Status != "success" {
		return sources.DecodeError(sourceName, ex.op, ex.status, ex.body,
			errors.New(`response is not a Prometheus API envelope with status "success"`))
	}
	return nil
}
