package alertmanager

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/sources/sourcestest"
)

// recorded is one request a test server saw.
type recorded struct {
	Method, Path string
	Query        url.Values
	Body         []byte
}

// serve answers every request with status and body, recording requests.
func serve(t *testing.T, status int, contentType, body string) (*Client, func() []recorded) {
	t.Helper()
	var mu sync.Mutex
	var seen []recorded
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, recorded{r.Method, r.URL.Path, r.URL.Query(), b})
		mu.Unlock()
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	zero := 0
	c, err := New(sources.Config{URL: srv.URL, Timeout: 2 * time.Second, Retries: &zero})
	if err != nil {
		t.Fatal(err)
	}
	return c, func() []recorded {
		mu.Lock()
		defer mu.Unlock()
		return append([]recorded(nil), seen...)
	}
}

func validSilence() Silence {
	return Silence{
		Matchers: MatchersForAlert(map[string]string{"alertname": "HighErrorRate", "service": "checkout"}),
		EndsAt:   time.Now().Add(time.Hour), CreatedBy: "oncall@example.com", Comment: "checkout rollback",
	}
}

func TestAlertsDecodesRecordedResponse(t *testing.T) {
	c, seen := serve(t, 200, "application/json", string(readFixture(t, "api/alerts.json")))
	alerts, err := c.Alerts(context.Background(), AlertsFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 2 {
		t.Fatalf("got %d alerts, want 2", len(alerts))
	}
	silenced, active := alerts[0], alerts[1]
	if silenced.Labels["service"] != "checkout" || silenced.Status.State != StateSuppressed || !silenced.Silenced() ||
		!reflect.DeepEqual(silenced.Status.SilencedBy, []string{"c690dbec-6d42-4363-abbd-b53ced4d3384"}) {
		t.Errorf("silenced alert = %+v", silenced)
	}
	if active.Status.State != StateActive || active.Silenced() || active.Fingerprint != "f7de34feb76f0b45" {
		t.Errorf("active alert = %+v", active)
	}
	if active.Name() != "HighErrorRate" || len(active.Receivers) != 1 || active.Receivers[0].Name != "null" {
		t.Errorf("name/receivers = %s/%v", active.Name(), active.Receivers)
	}
	if want := mustTime(t, "2026-11-25T00:33:59.541Z"); !active.StartsAt.Equal(want) || !active.EndsAt.After(want) {
		t.Errorf("times = %s..%s", active.StartsAt, active.EndsAt)
	}
	if expr, ok := active.Expr(); !ok || expr != spanErrorExpr {
		t.Errorf("Expr() = %q, %v", expr, ok)
	}
	if r := seen(); len(r) != 1 || r[0].Method != "GET" || r[0].Path != "/api/v2/alerts" || len(r[0].Query) != 0 {
		t.Errorf("request = %+v", r)
	}
}

func TestAlertsQuery(t *testing.T) {
	f, tr := false, true
	tests := []struct {
		name   string
		filter AlertsFilter
		want   url.Values
	}{
		{"defaults send nothing", AlertsFilter{}, url.Values{}},
		{"flags", AlertsFilter{Active: &tr, Silenced: &f, Inhibited: &f, Unprocessed: &tr},
			url.Values{"active": {"true"}, "silenced": {"false"}, "inhibited": {"false"}, "unprocessed": {"true"}}},
		{"matchers repeat", AlertsFilter{Filter: []string{`alertname="HighErrorRate"`, `service=~"check.*"`}},
			url.Values{"filter": {`alertname="HighErrorRate"`, `service=~"check.*"`}}},
		{"receiver", AlertsFilter{Receiver: "team-.*"}, url.Values{"receiver": {"team-.*"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, seen := serve(t, 200, "application/json", "[]")
			alerts, err := c.Alerts(context.Background(), tc.filter)
			if err != nil || alerts == nil || len(alerts) != 0 {
				t.Fatalf("Alerts = %v, %v; want an empty non-nil list", alerts, err)
			}
			if got := seen()[0].Query; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("query = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAlertsFaults(t *testing.T) {
	for _, f := range sourcestest.Faults(string(readFixture(t, "api/alerts.json"))) {
		t.Run(f.Name, func(t *testing.T) {
			c, err := New(sourcestest.Serve(t, f))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Alerts(context.Background(), AlertsFilter{Filter: []string{`alertname="X"`}})
			sourcestest.Check(t, f, err)
		})
	}
}

func TestCreateSilenceFaults(t *testing.T) {
	for _, f := range sourcestest.Faults(`{"silenceID":"c690dbec-6d42-4363-abbd-b53ced4d3384"}`) {
		t.Run(f.Name, func(t *testing.T) {
			c, err := New(sourcestest.Serve(t, f))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.CreateSilence(context.Background(), validSilence())
			sourcestest.Check(t, f, err)
		})
	}
}

func TestCreateSilenceSendsPostableSilence(t *testing.T) {
	c, seen := serve(t, 200, "application/json", `{"silenceID":"c690dbec-6d42-4363-abbd-b53ced4d3384"}`)
	s := validSilence()
	s.Status = SilenceStatus{State: SilenceActive} // server-owned: must not be sent
	before := time.Now()
	id, err := c.CreateSilence(context.Background(), s)
	if err != nil || id != "c690dbec-6d42-4363-abbd-b53ced4d3384" {
		t.Fatalf("CreateSilence = %q, %v", id, err)
	}
	r := seen()[0]
	if r.Method != "POST" || r.Path != "/api/v2/silences" {
		t.Fatalf("request = %s %s", r.Method, r.Path)
	}
	var sent map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &sent); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"status", "updatedAt", "id"} {
		if _, ok := sent[k]; ok {
			t.Errorf("body carries %q: %s", k, r.Body)
		}
	}
	var body postableSilence
	_ = json.Unmarshal(r.Body, &body)
	if !reflect.DeepEqual(body.Matchers, s.Matchers) || body.Comment != s.Comment || body.CreatedBy != s.CreatedBy {
		t.Errorf("body = %+v", body)
	}
	if body.StartsAt.Before(before.Add(-time.Second)) || body.StartsAt.After(time.Now()) || !body.EndsAt.Equal(s.EndsAt.Round(0)) {
		t.Errorf("zero startsAt not filled with now, or endsAt changed: %s..%s", body.StartsAt, body.EndsAt)
	}
	if !strings.Contains(string(r.Body), `"isEqual":true`) || !strings.Contains(string(r.Body), `"isRegex":false`) {
		t.Errorf("matcher flags must be explicit: %s", r.Body)
	}
}

func TestClientSideRefusals(t *testing.T) {
	c, seen := serve(t, 200, "application/json", `{}`)
	ctx := context.Background()
	noMatchers := validSilence()
	noMatchers.Matchers = nil
	noComment := validSilence()
	noComment.Comment = ""
	tests := []struct {
		name, want string
		call       func() error
	}{
		{"silence without matchers", "at least one matcher", func() error { _, err := c.CreateSilence(ctx, noMatchers); return err }},
		{"silence without comment", "comment is empty", func() error { _, err := c.CreateSilence(ctx, noComment); return err }},
		{"expire without id", "silence id is empty", func() error { return c.ExpireSilence(ctx, " ") }},
		{"post no alerts", "no alerts to post", func() error { return c.PostAlerts(ctx, nil) }},
		{"post alert without labels", "alerts[0] has no labels", func() error { return c.PostAlerts(ctx, []PostableAlert{{}}) }},
	}
	for _, tc := range tests {
		err := tc.call()
		se, ok := sources.AsError(err)
		if !ok || se.Kind != sources.KindBadRequest || se.Status != 0 || !strings.Contains(se.Msg, tc.want) {
			t.Errorf("%s: err = %v, want bad_request %q", tc.name, err, tc.want)
		}
	}
	if n := len(seen()); n != 0 {
		t.Errorf("%d requests reached the server", n)
	}
}

// Alertmanager's API v2 answers errors as bare JSON strings, or as
// {"code","message"} from its request validation.
func TestServerErrorMessages(t *testing.T) {
	tests := []struct {
		name, op    string
		status      int
		contentType string
		body        string
		wantKind    sources.Kind
		wantMsg     string
	}{
		{"bad matcher", "alerts", 400, "application/json", `"bad matcher format: bad"` + "\n", sources.KindBadRequest, "bad matcher format: bad"},
		{"bad regexp", "alerts", 400, "application/json", `"error parsing regexp: missing closing ): ` + "`^(?:()$`" + `"`, sources.KindBadRequest, "error parsing regexp: missing closing ): `^(?:()$`"},
		{"validation", "create_silence", 422, "application/json", `{"code":612,"message":"matchers in body should have at least 1 items"}`, sources.KindBadRequest, "matchers in body should have at least 1 items"},
		{"silence in the past", "create_silence", 400, "application/json", `"Failed to create silence: end time can't be in the past"`, sources.KindBadRequest, "Failed to create silence: end time can't be in the past"},
		{"0.25 unknown silence", "expire_silence", 500, "application/json", `"silence not found"`, sources.KindNotFound, "silence not found"},
		{"unknown silence", "expire_silence", 404, "", "", sources.KindNotFound, "not found"},
		{"proxy text", "alerts", 401, "text/plain", "Unauthorized\n", sources.KindAuth, "Unauthorized"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := serve(t, tc.status, tc.contentType, tc.body)
			var err error
			switch tc.op {
			case "alerts":
				_, err = c.Alerts(context.Background(), AlertsFilter{Filter: []string{"bad"}})
			case "create_silence":
				_, err = c.CreateSilence(context.Background(), validSilence())
			case "expire_silence":
				err = c.ExpireSilence(context.Background(), "c690dbec-6d42-4363-abbd-b53ced4d3384")
			}
			se, ok := sources.AsError(err)
			if !ok {
				t.Fatalf("err = %v (%T), want *sources.Error", err, err)
			}
			if se.Kind != tc.wantKind || se.Msg != tc.wantMsg || se.Op != tc.op || se.Source != SourceName || se.Status != tc.status {
				t.Errorf("err = %+v\nwant kind %s msg %q op %s", se, tc.wantKind, tc.wantMsg, tc.op)
			}
		})
	}
}

func TestExpireSilence(t *testing.T) {
	c, seen := serve(t, 200, "", "")
	if err := c.ExpireSilence(context.Background(), "c690dbec-6d42-4363-abbd-b53ced4d3384"); err != nil {
		t.Fatal(err)
	}
	if r := seen()[0]; r.Method != "DELETE" || r.Path != "/api/v2/silence/c690dbec-6d42-4363-abbd-b53ced4d3384" {
		t.Errorf("request = %s %s", r.Method, r.Path)
	}
	for _, id := range []string{"../status", "..", "a/b"} {
		c, seen = serve(t, 200, "", "")
		err := c.ExpireSilence(context.Background(), id)
		if sources.KindOf(err) != sources.KindBadRequest || len(seen()) != 0 {
			t.Errorf("ExpireSilence(%q) = %v after %d requests, want a bad_request refusal", id, err, len(seen()))
		}
	}
	c, seen = serve(t, 200, "", "")
	_ = c.ExpireSilence(context.Background(), "id with space?#")
	if r := seen(); len(r) != 1 || r[0].Path != "/api/v2/silence/id with space?#" {
		t.Errorf("id must arrive as one path segment, got %+v", r)
	}
}

func TestSilences(t *testing.T) {
	c, seen := serve(t, 200, "application/json", string(readFixture(t, "api/silences.json")))
	got, err := c.Silences(context.Background(), SilencesFilter{Filter: []string{`alertname="HighErrorRate"`}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d silences", len(got))
	}
	active, expired := got[0], got[1]
	if active.ID != "c690dbec-6d42-4363-abbd-b53ced4d3384" || active.Status.State != SilenceActive ||
		active.CreatedBy != "oncall@example.com" || len(active.Matchers) != 2 || active.Matchers[1] != Equal("service", "checkout") {
		t.Errorf("active = %+v", active)
	}
	if expired.Status.State != SilenceExpired || expired.Matchers[0] != (Matcher{Name: "service", Value: "recommendations|search", IsRegex: true, IsEqual: true}) {
		t.Errorf("expired = %+v", expired)
	}
	if q := seen()[0].Query; q.Get("filter") != `alertname="HighErrorRate"` {
		t.Errorf("query = %v", q)
	}
}

func TestStatusAndBuildInfo(t *testing.T) {
	c, seen := serve(t, 200, "application/json", string(readFixture(t, "api/status.json")))
	st, err := c.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Cluster.Status != "disabled" || st.VersionInfo.Version != "0.25.0" || st.Uptime.IsZero() ||
		!strings.Contains(st.Config.Original, "receivers:") {
		t.Errorf("status = %+v", st)
	}
	bi, err := c.BuildInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := sources.BuildInfo{Version: "0.25.0", Revision: "0.25.0-1+b4", Branch: "debian/sid", GoVersion: "go1.19.8"}
	if bi != want {
		t.Errorf("BuildInfo = %+v, want %+v", bi, want)
	}
	if r := seen(); r[1].Path != "/api/v2/status" {
		t.Errorf("BuildInfo asked %s", r[1].Path)
	}

	c, _ = serve(t, 200, "application/json", `{"cluster":{"status":"ready"}}`)
	if _, err := c.BuildInfo(context.Background()); sources.KindOf(err) != sources.KindDecode {
		t.Errorf("status without a version: err = %v, want decode", err)
	}
}

func TestReadyAndAuthCheck(t *testing.T) {
	c, seen := serve(t, 200, "text/plain; charset=utf-8", "OK")
	if err := c.Ready(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := seen()[0]; r.Path != "/-/ready" {
		t.Errorf("Ready asked %s", r.Path)
	}
	c, _ = serve(t, 503, "text/plain", "Service Unavailable")
	if err := c.Ready(context.Background()); sources.KindOf(err) != sources.KindServer {
		t.Errorf("Ready on 503: %v", err)
	}

	c, seen = serve(t, 200, "application/json", "[]")
	if err := c.AuthCheck(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := seen()[0]; r.Path != "/api/v2/alerts" || r.Query.Get("filter") != authCheckFilter {
		t.Errorf("AuthCheck asked %s?%v", r.Path, r.Query)
	}
	c, _ = serve(t, 200, "text/html", "<html><head><title>Sign in</title></head></html>")
	if err := c.AuthCheck(context.Background()); sources.KindOf(err) != sources.KindDecode || !strings.Contains(err.Error(), "Sign in") {
		t.Errorf("AuthCheck on a login page: %v", err)
	}
	c, _ = serve(t, 403, "text/plain", "forbidden")
	if err := c.AuthCheck(context.Background()); sources.KindOf(err) != sources.KindAuth {
		t.Errorf("AuthCheck on 403: %v", err)
	}
	if c.Name() != "alertmanager" || !strings.HasPrefix(c.URL(), "http://127.0.0.1:") {
		t.Errorf("Name/URL = %s %s", c.Name(), c.URL())
	}
}

func TestPostAlerts(t *testing.T) {
	c, seen := serve(t, 200, "", "")
	err := c.PostAlerts(context.Background(), []PostableAlert{{
		Labels:       map[string]string{"alertname": "HighErrorRate", "service": "checkout"},
		Annotations:  map[string]string{"summary": "s"},
		GeneratorURL: "http://prometheus:9090/graph?g0.expr=up&g0.tab=1",
	}})
	if err != nil {
		t.Fatal(err)
	}
	r := seen()[0]
	want := `[{"labels":{"alertname":"HighErrorRate","service":"checkout"},"annotations":{"summary":"s"},"generatorURL":"http://prometheus:9090/graph?g0.expr=up\u0026g0.tab=1"}]`
	if r.Method != "POST" || r.Path != "/api/v2/alerts" || string(r.Body) != want {
		t.Errorf("request = %s %s %s\nwant body %s", r.Method, r.Path, r.Body, want)
	}
}

func TestNewRejectsBadURL(t *testing.T) {
	for _, u := range []string{"", "alertmanager:9093", "ftp://am"} {
		if _, err := New(sources.Config{URL: u}); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
}
