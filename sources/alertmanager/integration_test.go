package alertmanager

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/triagectl/triage/internal/testenv"
	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/sources/sourcestest"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func liveClient(t *testing.T) (*Client, *testenv.Backend) {
	t.Helper()
	b := testenv.Alertmanager(t)
	c, err := New(b.Config())
	if err != nil {
		t.Fatal(err)
	}
	return c, b
}

// waitAlerts polls until the listing satisfies done, failing at the deadline
// with the last listing seen.
func waitAlerts(t *testing.T, c *Client, f AlertsFilter, what string, done func([]Alert) bool) []Alert {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last []Alert
	var lastErr error
	for {
		last, lastErr = c.Alerts(ctx, f)
		if lastErr == nil && done(last) {
			return last
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: last listing %+v, err %v", what, last, lastErr)
		case <-tick.C:
		}
	}
}

func byService(as []Alert, svc string) (Alert, bool) {
	i := slices.IndexFunc(as, func(a Alert) bool { return a.Labels["service"] == svc })
	if i < 0 {
		return Alert{}, false
	}
	return as[i], true
}

func TestLiveAlertsSilenceLifecycle(t *testing.T) {
	c, _ := liveClient(t)
	ctx := t.Context()
	name := fmt.Sprintf("TriageLive%d", time.Now().UnixNano())
	gen := "http://prometheus:9090/graph?g0.expr=" + url.QueryEscape(spanErrorExpr) + "&g0.tab=1"
	post := func(endsAt time.Time) error {
		var as []PostableAlert
		for _, svc := range []string{"checkout", "storefront"} {
			as = append(as, PostableAlert{
				Labels:       map[string]string{"alertname": name, "service": svc, "severity": "critical"},
				Annotations:  map[string]string{"summary": svc + " error rate above 5%"},
				GeneratorURL: gen, EndsAt: endsAt,
			})
		}
		return c.PostAlerts(ctx, as)
	}
	if err := post(time.Time{}); err != nil {
		t.Fatalf("PostAlerts: %v", err)
	}
	t.Cleanup(func() { _ = post(time.Now()) })

	filter := AlertsFilter{Filter: []string{fmt.Sprintf("alertname=%q", name)}}
	alerts := waitAlerts(t, c, filter, "both alerts", func(as []Alert) bool { return len(as) == 2 })
	checkout, _ := byService(alerts, "checkout")
	if checkout.Fingerprint == "" || checkout.StartsAt.IsZero() || checkout.Annotations["summary"] == "" {
		t.Errorf("alert lost fields: %+v", checkout)
	}
	if expr, ok := checkout.Expr(); !ok || expr != spanErrorExpr {
		t.Errorf("expression from the live generatorURL = %q, %v", expr, ok)
	}

	id, err := c.CreateSilence(ctx, Silence{
		Matchers: MatchersForAlert(checkout.Labels), EndsAt: time.Now().Add(time.Hour),
		CreatedBy: "triage integration test", Comment: "silence one alert of two",
	})
	if err != nil || id == "" {
		t.Fatalf("CreateSilence = %q, %v", id, err)
	}
	silences, err := c.Silences(ctx, SilencesFilter{Filter: []string{fmt.Sprintf("alertname=%q", name)}})
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(silences, func(s Silence) bool { return s.ID == id }); i < 0 || silences[i].Status.State != SilenceActive ||
		silences[i].Comment != "silence one alert of two" || len(silences[i].Matchers) != 3 {
		t.Fatalf("silence %s not listed as active: %+v", id, silences)
	}

	waitAlerts(t, c, filter, "checkout silenced, storefront active", func(as []Alert) bool {
		co, ok1 := byService(as, "checkout")
		sf, ok2 := byService(as, "storefront")
		return ok1 && ok2 && co.Status.State == StateSuppressed && slices.Contains(co.Status.SilencedBy, id) &&
			sf.Status.State == StateActive && !sf.Silenced()
	})
	no := false
	unsilenced, err := c.Alerts(ctx, AlertsFilter{Filter: filter.Filter, Silenced: &no})
	if err != nil || len(unsilenced) != 1 || unsilenced[0].Labels["service"] != "storefront" {
		t.Errorf("silenced=false listed %+v, %v", unsilenced, err)
	}

	if err := c.ExpireSilence(ctx, id); err != nil {
		t.Fatalf("ExpireSilence: %v", err)
	}
	silences, err = c.Silences(ctx, SilencesFilter{Filter: []string{fmt.Sprintf("alertname=%q", name)}})
	if i := slices.IndexFunc(silences, func(s Silence) bool { return s.ID == id }); err != nil || i < 0 || silences[i].Status.State != SilenceExpired {
		t.Errorf("silence %s after expiry: %+v, %v", id, silences, err)
	}
	waitAlerts(t, c, filter, "checkout active again", func(as []Alert) bool {
		co, ok := byService(as, "checkout")
		return ok && co.Status.State == StateActive && !co.Silenced()
	})

	// 0.25 answers 500 "silence not found", newer releases 404: both are not_found.
	err = c.ExpireSilence(ctx, "00000000-0000-4000-8000-000000000000")
	if sources.KindOf(err) != sources.KindNotFound {
		t.Errorf("expiring an unknown silence: %v, want not_found", err)
	}
}

func TestLiveProbe(t *testing.T) {
	c, b := liveClient(t)
	ctx := t.Context()
	if err := c.Ready(ctx); err != nil {
		t.Errorf("Ready: %v", err)
	}
	if err := c.AuthCheck(ctx); err != nil {
		t.Errorf("AuthCheck: %v", err)
	}
	bi, err := c.BuildInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if bi.Version == "" || (b.Version != "" && bi.Version != b.Version) || bi.GoVersion == "" {
		t.Errorf("BuildInfo = %+v (harness saw version %q)", bi, b.Version)
	}
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Cluster.Status == "" || st.Uptime.IsZero() || st.Uptime.After(time.Now()) || st.Config.Original == "" {
		t.Errorf("Status = %+v", st)
	}
}

func TestLiveBadFilter(t *testing.T) {
	c, _ := liveClient(t)
	_, err := c.Alerts(t.Context(), AlertsFilter{Filter: []string{`alertname=~"("`}})
	se, ok := sources.AsError(err)
	if !ok || se.Kind != sources.KindBadRequest || se.Status != 400 {
		t.Fatalf("bad regexp filter: %v, want bad_request (HTTP 400)", err)
	}
	// The server's own message, unquoted from its JSON string body.
	if !strings.Contains(se.Msg, "missing closing )") || strings.HasPrefix(se.Msg, `"`) {
		t.Errorf("message = %q, want the server's regexp error, unquoted", se.Msg)
	}
}

func TestLiveUnreachable(t *testing.T) {
	_, b := liveClient(t)
	cfg := b.Config()
	cfg.URL = "http://" + sourcestest.ClosedAddr(t)
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	_, err = c.Alerts(t.Context(), AlertsFilter{})
	if sources.KindOf(err) != sources.KindUnreachable {
		t.Fatalf("closed port: %v, want unreachable", err)
	}
	if d := time.Since(t0); d > cfg.Timeout {
		t.Errorf("took %s, over the %s timeout", d, cfg.Timeout)
	}
}
