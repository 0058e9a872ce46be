package adapter

import (
	"context"
	"os"
	"os/user"
	"sort"
	"time"

	"github.com/triagectl/triage/sources/alertmanager"
	"github.com/triagectl/triage/triage"
)

// AlertAPI is the part of the Alertmanager client the console uses; the
// client and its fake both have it.
type AlertAPI interface {
	Alerts(ctx context.Context, f alertmanager.AlertsFilter) ([]alertmanager.Alert, error)
	CreateSilence(ctx context.Context, s alertmanager.Silence) (string, error)
}

// Alerts adapts Alertmanager to the console: the firing alerts to pick
// from, and silences posted from the prompt.
type Alerts struct {
	C AlertAPI
	// CreatedBy names the silence's author; the local user when empty.
	CreatedBy string
}

// Firing lists the active alerts, newest first. Silenced and inhibited
// alerts are listed too: someone may be looking at them.
func (a Alerts) Firing(ctx context.Context) ([]triage.Alert, error) {
	list, err := a.C.Alerts(ctx, alertmanager.AlertsFilter{})
	if err != nil {
		return nil, err
	}
	out := make([]triage.Alert, 0, len(list))
	for _, x := range list {
		out = append(out, AlertFromAPI(x))
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].StartsAt.After(out[j].StartsAt) })
	return out, nil
}

// Silence silences exactly the alert's label set for d.
func (a Alerts) Silence(ctx context.Context, al triage.Alert, d time.Duration, comment string) (string, error) {
	now := time.Now()
	by := a.CreatedBy
	if by == "" {
		by = localUser()
	}
	return a.C.CreateSilence(ctx, alertmanager.Silence{
		Matchers: alertmanager.MatchersForAlert(al.Labels), StartsAt: now, EndsAt: now.Add(d),
		CreatedBy: by, Comment: comment,
	})
}

func localUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "triage (" + u.Username + ")"
	}
	if h, err := os.Hostname(); err == nil {
		return "triage@" + h
	}
	return "triage"
}
