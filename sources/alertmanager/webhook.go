package alertmanager

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Format names the sender of a webhook payload.
type Format string

// The webhook formats ParseWebhook accepts.
const (
	FormatAlertmanager Format = "alertmanager" // Prometheus Alertmanager, version "4"
	FormatGrafana      Format = "grafana"      // Grafana-managed alerting, version "1"
)

// Alert statuses in webhook payloads.
const (
	StatusFiring   = "firing"
	StatusResolved = "resolved"
)

// ErrInvalidWebhook is wrapped by every error ParseWebhook returns, so the
// receiver can answer 400 without matching on text.
var ErrInvalidWebhook = errors.New("invalid webhook")

// Webhook is one notification from Alertmanager or Grafana, in one model.
// The JSON tags are the wire names, so a Webhook re-encodes as a payload.
type Webhook struct {
	Format             Format            `json:"-"`
	Version            string            `json:"version"`
	Receiver           string            `json:"receiver"`
	Status             string            `json:"status"`
	Alerts             []WebhookAlert    `json:"alerts"`
	GroupLabels        map[string]string `json:"groupLabels"`
	CommonLabels       map[string]string `json:"commonLabels"`
	CommonAnnotations  map[string]string `json:"commonAnnotations"`
	ExternalURL        string            `json:"externalURL"`
	GroupKey           string            `json:"groupKey"`
	TruncatedAlerts    int               `json:"truncatedAlerts"`
	NotificationReason string            `json:"notification_reason,omitempty"` // Alertmanager 0.32+
	RouteLabels        map[string]string `json:"routeLabels,omitempty"`         // Alertmanager 0.34+

	// Grafana only.
	OrgID   int64  `json:"orgId,omitempty"`
	State   string `json:"state,omitempty"` // alerting | ok
	Title   string `json:"title,omitempty"`
	Message string `json:"message,omitempty"`
}

// WebhookAlert is one alert of a Webhook.
type WebhookAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"` // zero while firing: use Status
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`

	// Grafana only.
	SilenceURL   string             `json:"silenceURL,omitempty"`
	DashboardURL string             `json:"dashboardURL,omitempty"`
	PanelURL     string             `json:"panelURL,omitempty"`
	ImageURL     string             `json:"imageURL,omitempty"`
	Values       map[string]float64 `json:"values,omitempty"`
	ValueString  string             `json:"valueString,omitempty"`
}

// Name is the alert's alertname label.
func (a WebhookAlert) Name() string { return a.Labels["alertname"] }

// Firing reports whether the alert is firing. The status decides, never
// endsAt: firing alerts carry a zero or future endsAt.
func (a WebhookAlert) Firing() bool { return a.Status == StatusFiring }

// Expr is the PromQL expression behind the alert, when its generatorURL
// carries one (Prometheus rules do, Grafana rule pages do not).
func (a WebhookAlert) Expr() (string, bool) { return ExprFromGeneratorURL(a.GeneratorURL) }

// Firing returns the alerts that are firing, in payload order.
func (w *Webhook) Firing() []WebhookAlert {
	var out []WebhookAlert
	for _, a := range w.Alerts {
		if a.Firing() {
			out = append(out, a)
		}
	}
	return out
}

// ReceiverName is the receiver as configured: Alertmanager sends it
// regexp-quoted ("web\.hook").
func (w *Webhook) ReceiverName() string {
	if w.Format != FormatAlertmanager || !strings.Contains(w.Receiver, `\`) {
		return w.Receiver
	}
	var b strings.Builder
	for i := 0; i < len(w.Receiver); i++ {
		c := w.Receiver[i]
		if c == '\\' && i+1 < len(w.Receiver) {
			i++
			c = w.Receiver[i]
		}
		b.WriteByte(c)
	}
	return b.String()
}

// MarshalJSON writes the payload as its sender would: Grafana's orgId,
// state, title and message always for Grafana, never for Alertmanager, so
// that what is stored parses back to the same format.
func (w Webhook) MarshalJSON() ([]byte, error) {
	type plain Webhook
	out := struct {
		plain
		OrgID   *int64  `json:"orgId,omitempty"`
		State   *string `json:"state,omitempty"`
		Title   *string `json:"title,omitempty"`
		Message *string `json:"message,omitempty"`
	}{plain: plain(w)}
	if w.Format == FormatGrafana {
		out.OrgID, out.State, out.Title, out.Message = &w.OrgID, &w.State, &w.Title, &w.Message
	}
	return json.Marshal(out)
}

// wireWebhook mirrors the payload with raw times and presence markers, so
// validation can name the exact field at fault.
type wireWebhook struct {
	Version            *string           `json:"version"`
	Receiver           string            `json:"receiver"`
	Status             string            `json:"status"`
	Alerts             []wireAlert       `json:"alerts"`
	GroupLabels        map[string]string `json:"groupLabels"`
	CommonLabels       map[string]string `json:"commonLabels"`
	CommonAnnotations  map[string]string `json:"commonAnnotations"`
	ExternalURL        string            `json:"externalURL"`
	GroupKey           string            `json:"groupKey"`
	TruncatedAlerts    int               `json:"truncatedAlerts"`
	NotificationReason string            `json:"notification_reason"`
	RouteLabels        map[string]string `json:"routeLabels"`
	OrgID              *int64            `json:"orgId"`
	State              *string           `json:"state"`
	Title              *string           `json:"title"`
	Message            string            `json:"message"`
}

type wireAlert struct {
	Status       string             `json:"status"`
	Labels       map[string]string  `json:"labels"`
	Annotations  map[string]string  `json:"annotations"`
	StartsAt     string             `json:"startsAt"`
	EndsAt       string             `json:"endsAt"`
	GeneratorURL string             `json:"generatorURL"`
	Fingerprint  string             `json:"fingerprint"`
	SilenceURL   string             `json:"silenceURL"`
	DashboardURL string             `json:"dashboardURL"`
	PanelURL     string             `json:"panelURL"`
	ImageURL     string             `json:"imageURL"`
	Values       map[string]float64 `json:"values"`
	ValueString  string             `json:"valueString"`
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidWebhook}, args...)...)
}

// ParseWebhook decodes and validates an Alertmanager (version "4") or
// Grafana (version "1") webhook payload. Every error wraps ErrInvalidWebhook
// and names the field at fault.
func ParseWebhook(body []byte) (*Webhook, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, invalid("empty body")
	}
	if !json.Valid(trimmed) {
		var v any
		err := json.Unmarshal(trimmed, &v)
		return nil, invalid("not JSON: %s", describeJSONError(err))
	}
	if trimmed[0] != '{' {
		return nil, invalid("want a JSON object, got %s", jsonKind(trimmed[0]))
	}
	var in wireWebhook
	if err := json.Unmarshal(trimmed, &in); err != nil {
		return nil, invalid("%s", describeJSONError(err))
	}
	w := &Webhook{
		Receiver:           in.Receiver,
		Status:             in.Status,
		GroupLabels:        in.GroupLabels,
		CommonLabels:       in.CommonLabels,
		CommonAnnotations:  in.CommonAnnotations,
		ExternalURL:        in.ExternalURL,
		GroupKey:           in.GroupKey,
		TruncatedAlerts:    in.TruncatedAlerts,
		NotificationReason: in.NotificationReason,
		RouteLabels:        in.RouteLabels,
	}
	if in.Version == nil {
		return nil, invalid(`no "version" field (want "4" from Alertmanager or "1" from Grafana)`)
	}
	w.Version = *in.Version
	switch w.Version {
	case "4":
		w.Format = FormatAlertmanager
	case "1":
		var missing []string
		if in.OrgID == nil {
			missing = append(missing, "orgId")
		}
		if in.State == nil {
			missing = append(missing, "state")
		}
		if in.Title == nil {
			missing = append(missing, "title")
		}
		if len(missing) > 0 {
			return nil, invalid(`version "1" without Grafana's %s`, strings.Join(missing, ", "))
		}
		w.Format = FormatGrafana
		w.OrgID, w.State, w.Title, w.Message = *in.OrgID, *in.State, *in.Title, in.Message
	default:
		return nil, invalid(`unknown version %q (want "4" from Alertmanager or "1" from Grafana)`, clip(w.Version))
	}
	if w.Status != StatusFiring && w.Status != StatusResolved {
		return nil, invalid(`status %q is neither "firing" nor "resolved"`, clip(w.Status))
	}
	if w.TruncatedAlerts < 0 {
		return nil, invalid("truncatedAlerts is negative (%d)", w.TruncatedAlerts)
	}
	if len(in.Alerts) == 0 {
		return nil, invalid("no alerts")
	}
	w.Alerts = make([]WebhookAlert, 0, len(in.Alerts))
	for i, a := range in.Alerts {
		out, err := convertAlert(a)
		if err != nil {
			return nil, invalid("alerts[%d]: %s", i, err)
		}
		w.Alerts = append(w.Alerts, out)
	}
	return w, nil
}

func convertAlert(a wireAlert) (WebhookAlert, error) {
	out := WebhookAlert{
		Status: a.Status, Labels: a.Labels, Annotations: a.Annotations,
		GeneratorURL: a.GeneratorURL, Fingerprint: a.Fingerprint,
		SilenceURL: a.SilenceURL, DashboardURL: a.DashboardURL, PanelURL: a.PanelURL,
		ImageURL: a.ImageURL, Values: a.Values, ValueString: a.ValueString,
	}
	if a.Status != StatusFiring && a.Status != StatusResolved {
		return out, fmt.Errorf(`status %q is neither "firing" nor "resolved"`, clip(a.Status))
	}
	if len(a.Labels) == 0 {
		return out, errors.New("no labels")
	}
	if a.Labels["alertname"] == "" {
		return out, errors.New("no alertname label")
	}
	var err error
	if a.StartsAt == "" {
		return out, errors.New("no startsAt")
	}
	if out.StartsAt, err = parseTime(a.StartsAt); err != nil {
		return out, fmt.Errorf("startsAt: %w", err)
	}
	if out.StartsAt.IsZero() {
		// Go's zero time, as a sender writes "no time": the alert would
		// look two thousand years old and dedupe on a shared start.
		return out, fmt.Errorf("startsAt %s is the zero time, which means no startsAt", a.StartsAt)
	}
	if a.EndsAt != "" {
		if out.EndsAt, err = parseTime(a.EndsAt); err != nil {
			return out, fmt.Errorf("endsAt: %w", err)
		}
	}
	if !out.EndsAt.IsZero() && out.EndsAt.Before(out.StartsAt) {
		return out, fmt.Errorf("endsAt %s is before startsAt %s",
			out.EndsAt.Format(time.RFC3339Nano), out.StartsAt.Format(time.RFC3339Nano))
	}
	return out, nil
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time", clip(s))
	}
	return t, nil
}

// describeJSONError turns a decoding error into text that names the field.
func describeJSONError(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "payload"
		}
		return fmt.Sprintf("field %q: want %s, got JSON %s", field, goTypeName(typeErr.Type.String()), typeErr.Value)
	case errors.As(err, &syntaxErr):
		return fmt.Sprintf("%s at byte %d", syntaxErr.Error(), syntaxErr.Offset)
	case err != nil:
		return err.Error()
	}
	return "unknown error"
}

func goTypeName(t string) string {
	switch {
	case strings.HasPrefix(t, "map["):
		return "an object"
	case strings.HasPrefix(t, "[]"):
		return "an array"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "float"), strings.HasPrefix(t, "*int"):
		return "a number"
	case t == "string" || t == "*string":
		return "a string"
	case strings.Contains(t, "."):
		return "an object"
	}
	return t
}

func jsonKind(c byte) string {
	switch c {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// clip keeps hostile values from flooding error messages.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
