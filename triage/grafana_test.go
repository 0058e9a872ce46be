package triage

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestGrafanaExplore(t *testing.T) {
	from := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	to := from.Add(15 * time.Minute)
	cases := []struct {
		name    string
		base    string
		q       exploreCase
		want    string // the exact link, or "" when only the error matters
		wantErr string
	}{
		{
			name: "prometheus",
			base: "https://grafana.example",
			q:    exploreCase{Source: "prometheus", UID: "prom1", Query: `sum(rate(x{a="b"}[1m]))`, From: from, To: to},
			want: `https://grafana.example/explore?schemaVersion=1&panes=` +
				`%7B%22triage%22%3A%7B%22datasource%22%3A%22prom1%22%2C%22queries%22%3A%5B%7B%22refId%22%3A%22A%22%2C%22datasource%22%3A%7B%22type%22%3A%22prometheus%22%2C%22uid%22%3A%22prom1%22%7D%2C%22expr%22%3A%22sum%28rate%28x%7Ba%3D%5C%22b%5C%22%7D%5B1m%5D%29%29%22%7D%5D%2C%22range%22%3A%7B%22from%22%3A%221795575600000%22%2C%22to%22%3A%221795576500000%22%7D%7D%7D`,
		},
		{
			name: "tempo under a sub-path",
			base: "http://host:3000/grafana/",
			q:    exploreCase{Source: "tempo", UID: "t", Query: "4bf92f3577b34da6a3ce929d0e0e4736"},
			want: `http://host:3000/grafana/explore?schemaVersion=1&panes=` +
				`%7B%22triage%22%3A%7B%22datasource%22%3A%22t%22%2C%22queries%22%3A%5B%7B%22refId%22%3A%22A%22%2C%22datasource%22%3A%7B%22type%22%3A%22tempo%22%2C%22uid%22%3A%22t%22%7D%2C%22query%22%3A%224bf92f3577b34da6a3ce929d0e0e4736%22%2C%22queryType%22%3A%22traceql%22%7D%5D%2C%22range%22%3A%7B%22from%22%3A%22now-1h%22%2C%22to%22%3A%22now%22%7D%7D%7D`,
		},
		{name: "no uid", base: "https://g", q: exploreCase{Source: "loki", Query: "{a=\"b\"}"}, wantErr: "no Grafana datasource uid for loki"},
		{name: "no query", base: "https://g", q: exploreCase{Source: "loki", UID: "l"}, wantErr: "no query"},
		{name: "not http", base: "javascript:alert(1)", q: exploreCase{Source: "loki", UID: "l", Query: "x"}, wantErr: "want http(s)"},
		{name: "no host", base: "https://", q: exploreCase{Source: "loki", UID: "l", Query: "x"}, wantErr: "want http(s)"},
		{name: "unknown source", base: "https://g", q: exploreCase{Source: "pyroscope", UID: "p", Query: "x"}, wantErr: "no Explore query"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.q.link(tc.base)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// A query carrying escapes stays inside the JSON and the URL: the link is
// printable ASCII.
func TestGrafanaExploreEscapes(t *testing.T) {
	link, err := (exploreCase{Source: "loki", UID: "l", Query: "{a=\"\x1b]52;c;ZXZpbA==\x07\"} |= \"\u202eevil\" & x=1#frag"}).link("https://g")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range link {
		if r < 0x21 || r > 0x7e {
			t.Fatalf("link carries %U: %q", r, link)
		}
	}
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	var panes map[string]explorePane
	if err := json.Unmarshal([]byte(u.Query().Get("panes")), &panes); err != nil {
		t.Fatal(err)
	}
	pane := panes["triage"]
	if len(pane.Queries) != 1 || pane.Queries[0].Expr != "{a=\"\x1b]52;c;ZXZpbA==\x07\"} |= \"\u202eevil\" & x=1#frag" {
		t.Errorf("query did not survive the round trip: %q", pane.Queries[0].Expr)
	}
}

// exploreCase is one link to build: a source, its datasource uid, a query
// and a range.
type exploreCase struct {
	Source, UID, Query string
	From, To           time.Time
}

func (c exploreCase) link(base string) (string, error) {
	return Grafana{URL: base, Datasources: map[string]string{c.Source: c.UID}}.Explore(c.Source, c.Query, c.From, c.To)
}

// Grafana's Jaeger datasource: a trace id opens the trace (query), a
// search opens its search form (queryType search, service, tags in logfmt,
// durations, limit).
func TestGrafanaExploreJaeger(t *testing.T) {
	pane := func(t *testing.T, query string) exploreQuery {
		t.Helper()
		link, err := (exploreCase{Source: "jaeger", UID: "j1", Query: query}).link("https://g")
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(link)
		if err != nil {
			t.Fatal(err)
		}
		var panes map[string]explorePane
		if err := json.Unmarshal([]byte(u.Query().Get("panes")), &panes); err != nil {
			t.Fatal(err)
		}
		return panes["triage"].Queries[0]
	}
	id := pane(t, "4BF92F3577B34DA6A3CE929D0E0E4736")
	if id.Datasource != (exploreSource{Type: "jaeger", UID: "j1"}) || id.Query != "4bf92f3577b34da6a3ce929d0e0e4736" || id.QueryType != "" {
		t.Errorf("trace id query = %+v", id)
	}
	search := JaegerSearch{Service: "pay ments", Tags: map[string]string{"error": "true", "enduser.id": "u 1"},
		MinDuration: 1500 * time.Millisecond, Limit: 200}
	q := pane(t, search.String())
	want := exploreQuery{RefID: "A", Datasource: exploreSource{Type: "jaeger", UID: "j1"}, QueryType: "search",
		Service: "pay ments", Tags: `enduser.id="u 1" error=true`, MinDuration: "1.5s", Limit: 200}
	if q != want {
		t.Errorf("search query = %+v\nwant %+v", q, want)
	}
	if _, err := (exploreCase{Source: "jaeger", UID: "j1", Query: "{ status = error }"}).link("https://g"); err == nil {
		t.Error("TraceQL opened on a Jaeger datasource")
	}
}

func TestJaegerSearchText(t *testing.T) {
	for _, s := range []JaegerSearch{
		{Service: "payments", Tags: map[string]string{"error": "true"}, Limit: 200},
		{Service: "payments", Operation: "POST /pay", MinDuration: time.Second, MaxDuration: time.Minute, Limit: 1},
		{Service: `we"ird = svc`, Tags: map[string]string{"odd key": `v"="`, "messaging.kafka.message.key": "ord-1"}},
	} {
		text := s.String()
		back, err := ParseJaegerSearch(text)
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		if back.String() != text || back.Service != s.Service || len(back.Tags) != len(s.Tags) {
			t.Errorf("round trip of %s gave %+v", text, back)
		}
	}
	if got := (JaegerSearch{Service: "payments", Tags: map[string]string{"error": "true"}, MinDuration: time.Second, Limit: 200}).String(); got != `service=payments tags="error=true" minDuration=1s limit=200` {
		t.Errorf("String = %s", got)
	}
	for _, bad := range []string{"", "limit=3", "service=a limit=x", `service="a`, "service=a bogus=1", "service a"} {
		if _, err := ParseJaegerSearch(bad); err == nil {
			t.Errorf("ParseJaegerSearch(%q) took it", bad)
		}
	}
}
