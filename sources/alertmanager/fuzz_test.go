package alertmanager

import (
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func FuzzParseWebhook(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "webhook", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no webhook fixtures: %v", err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"version":"1","orgId":1,"state":"ok","title":"","status":"resolved","alerts":[{"status":"resolved","labels":{"alertname":"A"},"startsAt":"2026-01-01T00:00:00Z","values":null}]}`))
	f.Add([]byte(`{"version":"4","status":"firing","alerts":[{}]}`))
	f.Add([]byte(`{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"A"},"startsAt":"0001-01-01T00:00:00Z"}]}`))
	f.Add([]byte(`{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"A"},"startsAt":"0001-01-01T00:00:00.000000001Z","endsAt":"0001-01-01T00:00:00Z"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		w, err := ParseWebhook(body)
		if err != nil {
			if w != nil || !errors.Is(err, ErrInvalidWebhook) {
				t.Fatalf("error %v with webhook %v, or not wrapping ErrInvalidWebhook", err, w)
			}
			return
		}
		if w.Format != FormatAlertmanager && w.Format != FormatGrafana {
			t.Fatalf("format %q", w.Format)
		}
		if len(w.Alerts) == 0 {
			t.Fatal("accepted a webhook without alerts")
		}
		for _, a := range w.Alerts {
			if a.Name() == "" || a.StartsAt.IsZero() || (a.Status != StatusFiring && a.Status != StatusResolved) {
				t.Fatalf("accepted alert %+v", a)
			}
			_, _ = a.Expr()
		}
		_ = w.ReceiverName()
		// What was accepted re-encodes and parses again.
		b, err := json.Marshal(w)
		if err != nil {
			return // times outside year 0..9999 do not encode
		}
		if _, err := ParseWebhook(b); err != nil {
			t.Fatalf("re-parse of accepted webhook: %v\n%s", err, b)
		}
	})
}

func FuzzExprFromGeneratorURL(f *testing.F) {
	for _, p := range []string{"webhook/am-firing.json", "webhook/am-firing-v034.json", "webhook/grafana-firing.json"} {
		w, err := ParseWebhook(readFixture(f, p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(w.Alerts[0].GeneratorURL)
	}
	f.Add("http://p/graph?g1.expr=a&g0.expr=b+%3E+1&g0.tab=1")
	f.Add("/graph?g0.expr=%zz&amp;g0.expr=up#x")
	f.Add("?g0.expr=")
	f.Fuzz(func(t *testing.T, u string) {
		expr, ok := ExprFromGeneratorURL(u)
		if ok != (expr != "") {
			t.Fatalf("ok=%v with expr %q", ok, expr)
		}
		if ok && strings.TrimSpace(expr) != expr {
			t.Fatalf("expr %q not trimmed", expr)
		}
		// An expression put into a Prometheus-style URL comes back unchanged.
		if ok {
			again, ok2 := ExprFromGeneratorURL("http://prometheus:9090/graph?g0.expr=" + url.QueryEscape(expr) + "&g0.tab=1")
			if !ok2 || again != expr {
				t.Fatalf("round trip of %q gave %q, %v", expr, again, ok2)
			}
		}
	})
}
