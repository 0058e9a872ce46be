package app

import (
	"context"
	"errors"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/triagectl/triage/internal/output"
	"github.com/triagectl/triage/sources/adapter"
	"github.com/triagectl/triage/sources/alertmanager"
	"github.com/triagectl/triage/sources/bundle"
	"github.com/triagectl/triage/triage"
)

// IncidentFormats are the formats of `triage incidents`, the default first.
var IncidentFormats = output.All

// Incident is one alert of `triage incidents`: what Alertmanager holds,
// the service it is about and whether it notifies.
type Incident struct {
	Fingerprint string `json:"fingerprint"`
	Name        string `json:"name"`
	Service     string `json:"service,omitempty"` // from mapping.service_labels
	Severity    string `json:"severity,omitempty"`
	// State is firing, silenced, inhibited or unprocessed.
	State       string            `json:"state"`
	StartsAt    time.Time         `json:"starts_at"`
	Summary     string            `json:"summary,omitempty"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

// Incidents are the alerts Alertmanager holds, newest first, and the time
// their ages count from.
type Incidents struct {
	List []Incident
	Now  time.Time
}

// ErrNoAlertmanager says where to set Alertmanager's URL.
var ErrNoAlertmanager = errors.New("no Alertmanager configured: set sources.alertmanager.url in the config, ALERTMANAGER_URL, or --alertmanager-url")

// ListIncidents asks Alertmanager for its alerts: the configured one, or
// the answer a bundle recorded (the one at bundlePath, or the demo's), its
// ages counted from the recording's clock.
func (a *App) ListIncidents(ctx context.Context, bundlePath string, useDemo bool) (Incidents, error) {
	c, now := (*alertmanager.Client)(nil), time.Now()
	labels := EngineOptions(a.Config).ServiceLabels
	if bundlePath != "" || useDemo {
		b, err := LoadBundle(a.Config, bundlePath, useDemo)
		if err != nil {
			return Incidents{}, err
		}
		rp, err := ReplaySources(b, bundle.ReplayOptions{})
		if err != nil {
			return Incidents{}, err
		}
		if rp.Alertmanager == nil {
			return Incidents{}, errors.New("the bundle recorded no Alertmanager: it was not configured when it was recorded")
		}
		c, labels = rp.Alertmanager, rp.Options.ServiceLabels
		if t := b.Header.Options.Now; !t.IsZero() {
			now = t
		}
	} else {
		am, err := Alertmanager(a.Config)
		if err != nil {
			return Incidents{}, err
		}
		if am == nil {
			return Incidents{}, ErrNoAlertmanager
		}
		c = am
	}
	// The console's list asks the same question, so a bundle's recorded
	// answer serves both.
	list, err := c.Alerts(ctx, alertmanager.AlertsFilter{})
	if err != nil {
		return Incidents{}, err
	}
	if len(labels) == 0 {
		labels = triage.DefaultOptions().ServiceLabels
	}
	out := Incidents{List: []Incident{}, Now: now}
	for _, x := range list {
		al := adapter.AlertFromAPI(x)
		inc := Incident{Fingerprint: x.Fingerprint, Name: al.Name, Service: triage.ResolveScope(al, labels).Service,
			Severity: x.Labels["severity"], State: alertState(x), StartsAt: x.StartsAt,
			Summary: firstOf(x.Annotations, "summary", "description", "message"), Labels: nonNil(x.Labels), Annotations: nonNil(x.Annotations)}
		out.List = append(out.List, inc)
	}
	sort.SliceStable(out.List, func(i, j int) bool { return out.List[i].StartsAt.After(out.List[j].StartsAt) })
	return out, nil
}

func alertState(x alertmanager.Alert) string {
	switch {
	case x.Silenced():
		return "silenced"
	case len(x.Status.InhibitedBy) > 0:
		return "inhibited"
	case x.Status.State == "unprocessed":
		return "unprocessed"
	}
	return "firing"
}

func firstOf(m map[string]string, keys ...string) string {
	for _, k := range keys {
		if v := strings.TrimSpace(m[k]); v != "" {
			return v
		}
	}
	return ""
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// WriteIncidents writes the list in format f: a table (newest first, ages
// against its clock), or {"incidents": [...]} as JSON or YAML.
func WriteIncidents(w io.Writer, in Incidents, f output.Format) error {
	switch f {
	case output.JSON:
		return output.WriteJSON(w, struct {
			Incidents []Incident `json:"incidents"`
		}{in.List})
	case output.YAML:
		return output.WriteYAML(w, struct {
			Incidents []Incident `json:"incidents"`
		}{in.List})
	}
	t := output.Table{Header: []string{"ALERT", "SERVICE", "SEVERITY", "STATE", "AGE", "FINGERPRINT", "SUMMARY"}}
	if f == output.Markdown || f == output.Slack {
		for i, h := range t.Header {
			t.Header[i] = strings.ToLower(h)
		}
	}
	for _, x := range in.List {
		t.Rows = append(t.Rows, []string{cut(x.Name, 40), cut(x.Service, 24), x.Severity, x.State, age(in.Now.Sub(x.StartsAt)),
			x.Fingerprint, cut(x.Summary, 60)})
	}
	if len(in.List) == 0 {
		t.Note = "no alerts in Alertmanager"
	}
	return t.Write(w, f)
}

func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// age is how long an alert has fired, as kubectl writes ages: 45s, 7m,
// 3h12m, 2d.
func age(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return d.Truncate(time.Second).String()
	case d < time.Hour:
		return strings.TrimSuffix(d.Truncate(time.Minute).String(), "0s")
	case d < 48*time.Hour:
		return strings.TrimSuffix(d.Truncate(time.Minute).String(), "0s")
	}
	return strconv.Itoa(int(d/(24*time.Hour))) + "d"
}
