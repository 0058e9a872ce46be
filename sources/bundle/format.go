// Package bundle is Triage's incident bundle: one gzip'd JSON-lines file
// holding every raw exchange of an investigation and its report, and the
// replay transport that answers the real source clients from it offline.
package bundle

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/triage"
)

// Format names the file format in the header line.
const Format = "triage-bundle"

// Version is the format version this package writes. A reader refuses a
// newer version rather than guess: fields may have changed meaning.
const Version = 1

// Phases of an exchange. Replay paces investigation exchanges as they were
// timed, so the engine's concurrent sources race as they did live; other
// phases answer at once.
const (
	PhaseInvestigation = "investigation"
	PhaseDrillDown     = "drilldown"
	PhaseAlerts        = "alerts"
)

// Line types. Every line of a bundle is one JSON object with a "type".
const (
	typeHeader   = "header"
	typeExchange = "exchange"
	typeReport   = "report"
	typeEnd      = "end"
)

// Header is a bundle's first line: what was investigated and how, so that
// a replay asks exactly what the recording asked.
type Header struct {
	Format        string    `json:"format"`
	Version       int       `json:"version"`
	Created       time.Time `json:"created"`
	TriageVersion string    `json:"triage_version"`
	// Title is shown instead of the alert name where a title fits.
	Title string `json:"title,omitempty"`
	// Demo marks the embedded demo incident.
	Demo    bool               `json:"demo,omitempty"`
	Alert   Alert              `json:"alert"`
	Options Options            `json:"options"`
	RED     *triage.REDQueries `json:"red,omitempty"`
	Sources []Source           `json:"sources"`
}

// Source is one backend as the recording reached it. The replay builds its
// clients on the same base URL, so path prefixes (a gateway's /loki) match.
type Source struct {
	Name string `json:"name"`
	URL  string `json:"url"` // credentials stripped
}

// Alert is triage.Alert with stable JSON names.
type Alert struct {
	Name        string            `json:"name"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations,omitempty"`
	StartsAt    time.Time         `json:"startsAt"`
	Fingerprint string            `json:"fingerprint,omitempty"`
	Expr        string            `json:"expr,omitempty"`
}

// AlertFrom converts the engine's alert.
func AlertFrom(a triage.Alert) Alert {
	return Alert{Name: a.Name, Labels: a.Labels, Annotations: a.Annotations, StartsAt: a.StartsAt,
		Fingerprint: a.Fingerprint, Expr: a.Expr}
}

// Engine converts back to the engine's alert.
func (a Alert) Engine() triage.Alert {
	return triage.Alert{Name: a.Name, Labels: a.Labels, Annotations: a.Annotations, StartsAt: a.StartsAt,
		Fingerprint: a.Fingerprint, Expr: a.Expr}
}

// Options are the investigation's options, with its clock stopped at Now:
// the window, and so every query, follows from them.
type Options struct {
	Now                  time.Time `json:"now"`
	ServiceLabels        []string  `json:"service_labels"`
	UserAttributes       []string  `json:"user_attributes"`
	UserDetailAttributes []string  `json:"user_detail_attributes"`
	Lookback             Duration  `json:"lookback"`
	BaselineOffset       Duration  `json:"baseline_offset"`
	TraceSample          int       `json:"trace_sample"`
	FetchConcurrency     int       `json:"fetch_concurrency"`
	SlowThreshold        Duration  `json:"slow_threshold"`
	SourceDeadline       Duration  `json:"source_deadline"`
	SlowAfter            Duration  `json:"slow_after"`
	LogLimit             int       `json:"log_limit"`
	MaxWindow            Duration  `json:"max_window"`
}

// OptionsFrom records o with its clock read once, at now.
func OptionsFrom(o triage.Options, now time.Time) Options {
	return Options{Now: now, ServiceLabels: o.ServiceLabels, UserAttributes: o.UserAttributes,
		UserDetailAttributes: o.UserDetailAttributes, Lookback: Duration(o.Lookback),
		BaselineOffset: Duration(o.BaselineOffset), TraceSample: o.TraceSample, FetchConcurrency: o.FetchConcurrency,
		SlowThreshold: Duration(o.SlowThreshold), SourceDeadline: Duration(o.SourceDeadline),
		SlowAfter: Duration(o.SlowAfter), LogLimit: o.LogLimit, MaxWindow: Duration(o.MaxWindow)}
}

// Engine returns the engine's options with the clock fixed at Now.
func (o Options) Engine() triage.Options {
	now := o.Now
	return triage.Options{ServiceLabels: o.ServiceLabels, UserAttributes: o.UserAttributes,
		UserDetailAttributes: o.UserDetailAttributes, Lookback: time.Duration(o.Lookback),
		BaselineOffset: time.Duration(o.BaselineOffset), TraceSample: o.TraceSample, FetchConcurrency: o.FetchConcurrency,
		SlowThreshold: time.Duration(o.SlowThreshold), SourceDeadline: time.Duration(o.SourceDeadline),
		SlowAfter: time.Duration(o.SlowAfter), LogLimit: o.LogLimit, MaxWindow: time.Duration(o.MaxWindow),
		Now: func() time.Time { return now }}
}

// Duration is a time.Duration written as "15m0s".
type Duration time.Duration

// MarshalText writes the Go duration syntax.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads the Go duration syntax.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Exchange is one HTTP attempt as recorded: the request as sent (without
// credentials), and the answer or the transport failure.
type Exchange struct {
	Seq         int         `json:"seq"`
	Phase       string      `json:"phase,omitempty"`
	Source      string      `json:"source"`
	Op          string      `json:"op,omitempty"`
	Method      string      `json:"method"`
	URL         string      `json:"url"`
	RequestBody Body        `json:"request_body,omitempty"`
	Status      int         `json:"status,omitempty"`
	Header      http.Header `json:"header,omitempty"`
	Body        Body        `json:"body,omitempty"`
	Started     time.Time   `json:"started"`
	DurationMS  float64     `json:"duration_ms"`
	// Error is the transport failure, when no usable answer arrived;
	// ErrorKind classifies it (a sources.Kind) so replay fails the same way.
	Error     string `json:"error,omitempty"`
	ErrorKind string `json:"error_kind,omitempty"`
}

// Duration is how long the attempt took.
func (e Exchange) Duration() time.Duration {
	return time.Duration(e.DurationMS * float64(time.Millisecond))
}

// Body is raw bytes: JSON text when they are valid UTF-8, so a bundle stays
// readable with zcat and jq; otherwise (protobuf traces) {"base64": "…"}.
type Body []byte

// MarshalJSON writes the body as a string or a base64 object.
func (b Body) MarshalJSON() ([]byte, error) {
	if utf8.Valid(b) {
		return json.Marshal(string(b))
	}
	return json.Marshal(struct {
		B64 string `json:"base64"`
	}{base64.StdEncoding.EncodeToString(b)})
}

// UnmarshalJSON reads either form.
func (b *Body) UnmarshalJSON(data []byte) error {
	// One pass, not encoding/json's two: bodies are most of a bundle.
	if raw, ok := sources.AppendUnquoted(make([]byte, 0, len(data)), data); ok {
		*b = raw
		return nil
	}
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*b = Body(s)
		return nil
	}
	if string(data) == "null" {
		*b = nil
		return nil
	}
	var o struct {
		B64 *string `json:"base64"`
	}
	if err := json.Unmarshal(data, &o); err != nil {
		return err
	}
	if o.B64 == nil {
		return errors.New(`body: want a string or {"base64": …}`)
	}
	raw, err := base64.StdEncoding.DecodeString(*o.B64)
	if err != nil {
		return err
	}
	*b = raw
	return nil
}

// End is the last line: its counts let a reader tell a complete bundle from
// a cut one.
type End struct {
	Exchanges int `json:"exchanges"`
	Reports   int `json:"reports"`
}

// line is the envelope of every line.
type line struct {
	Type     string          `json:"type"`
	Header   *Header         `json:"header,omitempty"`
	Exchange *Exchange       `json:"exchange,omitempty"`
	Report   json.RawMessage `json:"report,omitempty"`
	End      *End            `json:"end,omitempty"`
}
