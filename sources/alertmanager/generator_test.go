package alertmanager

import (
	"net/url"
	"testing"
)

func TestExprFromGeneratorURL(t *testing.T) {
	escaped := url.QueryEscape(spanErrorExpr)
	tests := []struct {
		name, url, want string
		ok              bool
	}{
		{"prometheus rule", "http://prometheus:9090/graph?g0.expr=" + escaped + "&g0.tab=1", spanErrorExpr, true},
		{"prometheus behind a path prefix", "https://example.com/prom/graph?g0.expr=" + escaped + "&g0.tab=1", spanErrorExpr, true},
		{"relative url", "/graph?g0.expr=up%3D%3D0&g0.tab=1", "up==0", true},
		{"plus is a space", "http://p/graph?g0.expr=rate(x[5m])+%3E+1&g0.tab=1", "rate(x[5m]) > 1", true},
		{"percent-encoded space", "http://p/graph?g0.expr=rate(x[5m])%20%3E%201", "rate(x[5m]) > 1", true},
		{"literal plus stays escaped", "http://p/graph?g0.expr=a+%2B+b", "a + b", true},
		{"tab before expr", "http://p/graph?g0.tab=1&g0.expr=up", "up", true},
		{"g0 wins over g1", "http://p/graph?g1.expr=down&g1.tab=0&g0.expr=up&g0.tab=1", "up", true},
		{"first g0 wins", "http://p/graph?g0.expr=up&g0.expr=down", "up", true},
		{"lowest panel when no g0", "http://p/graph?g2.expr=two&g1.expr=one", "one", true},
		{"bad escape elsewhere", "http://p/graph?g1.expr=%zz&g0.expr=up", "up", true},
		{"html-escaped ampersand", "http://p/graph?g0.tab=1&amp;g0.expr=up", "up", true},
		{"fragment ignored", "http://p/graph?g0.expr=up#top", "up", true},
		{"utf-8 label value", "http://p/graph?g0.expr=" + url.QueryEscape(`up{city="Zürich"}`), `up{city="Zürich"}`, true},
		{"grafana rule page", "https://grafana.example/alerting/grafana/deh4rkq8z6ps0b/view?orgId=1", "", false},
		{"grafana legacy rule page", "https://play.grafana.org/alerting/1afz29v7z/edit", "", false},
		{"no query", "http://p/graph", "", false},
		{"empty", "", "", false},
		{"empty expr", "http://p/graph?g0.expr=&g0.tab=1", "", false},
		{"blank expr", "http://p/graph?g0.expr=++&g0.tab=1", "", false},
		{"bad escape in expr", "http://p/graph?g0.expr=%zz", "", false},
		{"not a panel key", "http://p/graph?xg0.expr=up&g.expr=up&g-1.expr=up&g+1.expr=up", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ExprFromGeneratorURL(tc.url)
			if got != tc.want || ok != tc.ok {
				t.Errorf("ExprFromGeneratorURL(%q) = %q, %v; want %q, %v", tc.url, got, ok, tc.want, tc.ok)
			}
		})
	}
}
