package adapter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/triagectl/triage/sources/alertmanager"
	"github.com/triagectl/triage/triage"
)

// AlertFromWebhookAlert converts one alert of a webhook payload.
func AlertFromWebhookAlert(a alertmanager.WebhookAlert) triage.Alert {
	expr, _ := a.Expr()
	return triage.Alert{Name: a.Name(), Labels: a.Labels, Annotations: a.Annotations, StartsAt: a.StartsAt,
		Fingerprint: a.Fingerprint, Expr: expr}
}

// AlertFromAPI converts an alert of Alertmanager's API v2.
func AlertFromAPI(a alertmanager.Alert) triage.Alert {
	expr, _ := alertmanager.ExprFromGeneratorURL(a.GeneratorURL)
	return triage.Alert{Name: a.Labels["alertname"], Labels: a.Labels, Annotations: a.Annotations, StartsAt: a.StartsAt,
		Fingerprint: a.Fingerprint, Expr: expr}
}

// ParseAlertFile reads an alert from a file's contents: an Alertmanager or
// Grafana webhook payload (the first firing alert, else the first), an
// Alertmanager API v2 alert, or a list of them (the first).
func ParseAlertFile(body []byte) (triage.Alert, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return triage.Alert{}, errors.New("alert file is empty")
	}
	if trimmed[0] == '[' {
		var list []alertmanager.Alert
		if err := json.Unmarshal(trimmed, &list); err != nil {
			return triage.Alert{}, fmt.Errorf("alert list: %w", err)
		}
		if len(list) == 0 {
			return triage.Alert{}, errors.New("alert list is empty")
		}
		return checkAlert(AlertFromAPI(list[0]))
	}
	var probe struct {
		Version string          `json:"version"`
		Alerts  json.RawMessage `json:"alerts"`
	}
	if err := json.Unmarshal(trimmed, &probe); err != nil {
		return triage.Alert{}, fmt.Errorf("alert file is not JSON: %w", err)
	}
	if probe.Alerts != nil {
		wh, err := alertmanager.ParseWebhook(trimmed)
		if err != nil {
			return triage.Alert{}, err
		}
		alerts := wh.Firing()
		if len(alerts) == 0 {
			alerts = wh.Alerts
		}
		return checkAlert(AlertFromWebhookAlert(alerts[0]))
	}
	var one alertmanager.Alert
	if err := json.Unmarshal(trimmed, &one); err != nil {
		return triage.Alert{}, fmt.Errorf("alert: %w", err)
	}
	return checkAlert(AlertFromAPI(one))
}

func checkAlert(a triage.Alert) (triage.Alert, error) {
	if strings.TrimSpace(a.Name) == "" && len(a.Labels) == 0 {
		return a, errors.New("alert has no labels")
	}
	return a, nil
}

// AlertByFingerprint finds an alert in Alertmanager by its fingerprint.
func AlertByFingerprint(ctx context.Context, am *alertmanager.Client, fp string) (triage.Alert, error) {
	alerts, err := am.Alerts(ctx, alertmanager.AlertsFilter{})
	if err != nil {
		return triage.Alert{}, err
	}
	for _, a := range alerts {
		if a.Fingerprint == fp {
			return AlertFromAPI(a), nil
		}
	}
	return triage.Alert{}, fmt.Errorf("no alert with fingerprint %s in Alertmanager (%d alerts)", fp, len(alerts))
}
