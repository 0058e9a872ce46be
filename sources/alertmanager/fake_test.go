package alertmanager

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/triagectl/triage/sources"
)

func TestFakeSilencesLikeAlertmanager(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	checkout := Alert{Labels: map[string]string{"alertname": "HighErrorRate", "service": "checkout"}, Fingerprint: "7d2d"}
	storefront := Alert{Labels: map[string]string{"alertname": "HighErrorRate", "service": "storefront"}, Fingerprint: "f7de"}
	f := NewFake(checkout, storefront)
	f.Now = func() time.Time { return now }

	id, err := f.CreateSilence(ctx, Silence{Matchers: MatchersForAlert(checkout.Labels), EndsAt: now.Add(time.Hour),
		CreatedBy: "oncall", Comment: "rollback"})
	if err != nil || id != "fake-silence-1" {
		t.Fatalf("CreateSilence = %q, %v", id, err)
	}
	got, err := f.Alerts(ctx, AlertsFilter{})
	if err != nil || len(got) != 2 {
		t.Fatalf("Alerts = %v, %v", got, err)
	}
	if got[0].Status.State != StateSuppressed || got[0].Status.SilencedBy[0] != id || got[1].Status.State != StateActive {
		t.Errorf("statuses = %+v / %+v", got[0].Status, got[1].Status)
	}
	no := false
	if got, _ := f.Alerts(ctx, AlertsFilter{Silenced: &no}); len(got) != 1 || got[0].Fingerprint != "f7de" {
		t.Errorf("silenced=false gave %v", got)
	}
	if got, _ := f.Alerts(ctx, AlertsFilter{Active: &no}); len(got) != 1 || got[0].Fingerprint != "7d2d" {
		t.Errorf("active=false gave %v", got)
	}
	if got, _ := f.Alerts(ctx, AlertsFilter{Filter: []string{`service="storefront"`}}); len(got) != 1 || got[0].Fingerprint != "f7de" {
		t.Errorf("filter gave %v", got)
	}
	if _, err := f.Alerts(ctx, AlertsFilter{Filter: []string{"bad"}}); sources.KindOf(err) != sources.KindBadRequest {
		t.Errorf("bad filter: %v", err)
	}

	sil, _ := f.Silences(ctx, SilencesFilter{Filter: []string{`service="checkout"`}})
	if len(sil) != 1 || sil[0].Status.State != SilenceActive || !sil[0].StartsAt.Equal(now) {
		t.Errorf("Silences = %+v", sil)
	}
	if sil, _ := f.Silences(ctx, SilencesFilter{Filter: []string{`service="storefront"`}}); len(sil) != 0 {
		t.Errorf("filter on another service listed %v", sil)
	}

	if err := f.ExpireSilence(ctx, id); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.Alerts(ctx, AlertsFilter{}); got[0].Status.State != StateActive {
		t.Errorf("alert still %s after expiry", got[0].Status.State)
	}
	if sil, _ := f.Silences(ctx, SilencesFilter{}); sil[0].Status.State != SilenceExpired {
		t.Errorf("silence %s after expiry", sil[0].Status.State)
	}
	if err := f.ExpireSilence(ctx, "nope"); sources.KindOf(err) != sources.KindNotFound {
		t.Errorf("unknown id: %v", err)
	}
	if len(f.Created()) != 1 || len(f.Expired()) != 1 || f.Expired()[0] != id {
		t.Errorf("records: %v %v", f.Created(), f.Expired())
	}
}

func TestFakeValidatesAndInjectsErrors(t *testing.T) {
	ctx := context.Background()
	f := &Fake{}
	if _, err := f.CreateSilence(ctx, Silence{CreatedBy: "a", Comment: "b", EndsAt: time.Now().Add(time.Hour)}); sources.KindOf(err) != sources.KindBadRequest {
		t.Errorf("silence without matchers: %v", err)
	}
	boom := &sources.Error{Source: SourceName, Kind: sources.KindUnreachable, Msg: "connection refused"}
	f.AlertsErr, f.CreateSilenceErr = boom, boom
	if _, err := f.Alerts(ctx, AlertsFilter{}); !errors.Is(err, boom) {
		t.Errorf("Alerts err = %v", err)
	}
	if _, err := f.CreateSilence(ctx, validSilence()); !errors.Is(err, boom) {
		t.Errorf("CreateSilence err = %v", err)
	}
	if len(f.Created()) != 0 {
		t.Errorf("failed calls recorded silences")
	}
}
