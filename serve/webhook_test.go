package serve

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestWebhookSecurity(t *testing.T) {
	d := start(t, Config{Token: "s3cr3t-token", BasicUser: "am", BasicPassword: "pa55"}, Deps{})
	good := fixture(t, "am-firing.json")
	basic := func(u, p string) http.Header {
		return http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(u+":"+p))}}
	}
	bearer := func(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }
	// Over the cap, and valid JSON up to it, so only the size can refuse it.
	huge := append([]byte(`{"version":"4","status":"firing","receiver":"`), bytes.Repeat([]byte("x"), MaxBodyBytes)...)
	huge = append(huge, `","alerts":[]}`...)
	cases := []struct {
		name   string
		body   []byte
		header http.Header
		code   int
		msg    string
	}{
		{"no credentials", good, nil, 401, "unauthorized"},
		{"wrong token", good, bearer("s3cr3t-tokem"), 401, "unauthorized"},
		{"token prefix", good, bearer("s3cr3t"), 401, "unauthorized"},
		{"wrong scheme", good, http.Header{"Authorization": {"Token s3cr3t-token"}}, 401, "unauthorized"},
		{"wrong password", good, basic("am", "nope"), 401, "unauthorized"},
		{"wrong user", good, basic("root", "pa55"), 401, "unauthorized"},
		{"token", good, bearer("s3cr3t-token"), 200, `"status":"ok"`},
		{"basic auth", good, basic("am", "pa55"), 200, `"status":"ok"`},
		{"over the cap", huge, bearer("s3cr3t-token"), 413, "payload over 1 MiB"},
		{"malformed JSON", []byte(`{"version":"4",`), bearer("s3cr3t-token"), 400, "invalid webhook: not JSON"},
		{"not an object", []byte(`[1,2]`), bearer("s3cr3t-token"), 400, "want a JSON object, got an array"},
		{"no alerts", []byte(`{"version":"4","status":"firing","alerts":[]}`), bearer("s3cr3t-token"), 400, "no alerts"},
		{"unknown version", []byte(`{"version":"9","status":"firing","alerts":[]}`), bearer("s3cr3t-token"), 400, `unknown version "9"`},
		{"bad alert", []byte(`{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"A"}}]}`),
			bearer("s3cr3t-token"), 400, "alerts[0]: no startsAt"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, body := post(t, d.url, c.body, c.header)
			if code != c.code || !strings.Contains(body, c.msg) {
				t.Fatalf("got %d %q, want %d with %q", code, clipped(body), c.code, c.msg)
			}
			if code == 401 && strings.Contains(body, "s3cr3t") {
				t.Fatal("the answer leaks the secret")
			}
		})
	}
}

// Without a Content-Length the cap still holds: the body is read through
// a limit, not trusted for its declared size.
func TestWebhookCapWithoutContentLength(t *testing.T) {
	d := start(t, Config{}, Deps{})
	pr, pw := io.Pipe()
	go func() {
		chunk := bytes.Repeat([]byte(" "), 64<<10)
		for range 20 { // 1.25 MiB
			if _, err := pw.Write(chunk); err != nil {
				return
			}
		}
		pw.Close()
	}()
	req, _ := http.NewRequest(http.MethodPost, d.url+"/alerts", pr)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked body over the cap: %d", resp.StatusCode)
	}
}

func TestWebhookMethodAndOpenReceiver(t *testing.T) {
	d := start(t, Config{}, Deps{})
	resp, err := http.Get(d.url + "/alerts")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
		t.Fatalf("GET /alerts: %d allow=%q", resp.StatusCode, resp.Header.Get("Allow"))
	}
	if code, body := post(t, d.url, fixture(t, "grafana-firing.json"), nil); code != 200 {
		t.Fatalf("open receiver refused a Grafana payload: %d %s", code, body)
	}
}

// The recorded payloads of both senders: a notification opens one
// incident per scope, a retry changes nothing, the resolved notification
// resolves them.
func TestWebhookFixtures(t *testing.T) {
	cases := []struct {
		firing, resolved string
		scopes           []string
	}{
		{"am-firing.json", "am-resolved.json", []string{"checkout", "storefront"}},
		{"grafana-firing.json", "grafana-resolved.json", []string{"storefront"}},
	}
	for _, c := range cases {
		t.Run(c.firing, func(t *testing.T) {
			d := start(t, Config{}, Deps{})
			var first WebhookResponse
			for try := range 3 {
				code, body := post(t, d.url, fixture(t, c.firing), nil)
				if code != 200 {
					t.Fatalf("try %d: %d %s", try, code, body)
				}
				var r WebhookResponse
				if err := json.Unmarshal([]byte(body), &r); err != nil {
					t.Fatal(err)
				}
				if try == 0 {
					first = r
				} else if len(r.Created) != 0 || r.New != 0 || r.Duplicate != len(c.scopes) {
					t.Fatalf("retry %d created or counted anew: %+v", try, r)
				}
			}
			if len(first.Created) != len(c.scopes) || first.New != len(c.scopes) {
				t.Fatalf("first delivery: %+v", first)
			}
			incs, err := d.Incidents(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, inc := range incs {
				got[inc.Scope] = inc.Status == StatusFiring && inc.AlertCount == 1 && inc.Alert.Name == "HighErrorRate"
			}
			for _, s := range c.scopes {
				if !got[s] {
					t.Fatalf("scope %s: incidents %+v", s, incs)
				}
			}
			if len(incs) != len(c.scopes) {
				t.Fatalf("%d incidents, want %d", len(incs), len(c.scopes))
			}
			for range 2 {
				if code, body := post(t, d.url, fixture(t, c.resolved), nil); code != 200 {
					t.Fatalf("resolved: %d %s", code, body)
				}
			}
			incs, _ = d.Incidents(context.Background())
			for _, inc := range incs {
				if inc.Status != StatusResolved || inc.ResolvedAt.IsZero() {
					t.Fatalf("after the resolved notification: %+v", inc)
				}
			}
		})
	}
}

func TestWatchdogIsAHeartbeatNotAnIncident(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	d := start(t, Config{Watchdog: Watchdog{Alertname: "Watchdog", MaxGap: time.Minute}}, Deps{Now: clock.now})
	if !d.HasWatchdog() || d.Pipeline().Silent || !d.Pipeline().LastBeat.IsZero() {
		t.Fatalf("before any beat: %+v", d.Pipeline())
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := d.Subscribe(ctx)

	clock.add(2 * time.Minute)
	d.checkBeat()
	if !d.Pipeline().Silent {
		t.Fatal("no beat for twice the gap, and not silent")
	}
	if e := <-events; e.Kind != EventHeartbeat {
		t.Fatalf("event %+v, want heartbeat", e)
	}
	wd := firing("Watchdog", "", "w1", clock.now().Add(-time.Hour))
	delete(wd.Labels, "service")
	code, body := post(t, d.url, payload("firing", "{}:{}", wd, firing("HighErrorRate", "checkout", "f1", clock.now())), nil)
	if code != 200 || !strings.Contains(body, `"watchdog":1`) {
		t.Fatalf("%d %s", code, body)
	}
	p := d.Pipeline()
	if p.Silent || !p.LastBeat.Equal(clock.now()) {
		t.Fatalf("after a beat: %+v", p)
	}
	incs, _ := d.Incidents(context.Background())
	if len(incs) != 1 || incs[0].Alert.Name != "HighErrorRate" {
		t.Fatalf("the Watchdog became an incident: %+v", incs)
	}
	if m := scrape(t, d.url); !strings.Contains(m, "triage_watchdog_silent 0") ||
		!strings.Contains(m, "triage_watchdog_last_seen_timestamp_seconds") {
		t.Fatalf("watchdog metrics:\n%s", grep(m, "triage_watchdog"))
	}
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func clipped(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Grafana and proxies gzip their payloads: they are decoded within the
// same 1 MiB cap, counted after decompression, so a gzip bomb is refused;
// an encoding the receiver cannot read is 415, not a JSON error.
func TestWebhookEncodings(t *testing.T) {
	d := start(t, Config{}, Deps{})
	good := fixture(t, "grafana-firing.json")
	// 8 MiB of JSON whitespace in a few kilobytes: valid JSON up to the
	// cap, so only the decompressed size can refuse it.
	bomb := gzipped(t, append(append([]byte(`{"version":"4","status":"firing","receiver":"x","alerts":[],"pad":"`),
		bytes.Repeat([]byte(" "), 8<<20)...), `"}`...))
	if len(bomb) > 64<<10 {
		t.Fatalf("the bomb is %d bytes compressed", len(bomb))
	}
	gz := gzipped(t, good)
	enc := func(e string) http.Header { return http.Header{"Content-Encoding": {e}} }
	for _, c := range []struct {
		name   string
		body   []byte
		header http.Header
		code   int
		msg    string
	}{
		{"gzip", gz, enc("gzip"), 200, `"status":"ok"`},
		{"x-gzip, upper case", gz, enc(" X-GZIP "), 200, `"duplicate":1`},
		{"identity", good, enc("identity"), 200, `"duplicate":1`},
		{"gzip bomb", bomb, enc("gzip"), 413, "payload over 1 MiB once decompressed"},
		{"gzip header on a plain body", good, enc("gzip"), 400, "gzip: "},
		{"gzip cut short", gz[:len(gz)/2], enc("gzip"), 400, "gzip: unexpected EOF"},
		{"brotli", good, enc("br"), 415, `Content-Encoding "br" is not supported`},
		{"two encodings", gz, enc("gzip, gzip"), 415, "not supported"},
		{"gzip without the header", gz, nil, 400, `not JSON`},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, body := post(t, d.url, c.body, c.header)
			if code != c.code || !strings.Contains(body, c.msg) {
				t.Fatalf("got %d %q, want %d with %q", code, clipped(body), c.code, c.msg)
			}
		})
	}
}

// "0001-01-01T00:00:00Z" is how a Go sender writes no time: refused, with
// the field named, rather than stored as an alert two thousand years old.
func TestWebhookZeroStartsAt(t *testing.T) {
	d := start(t, Config{}, Deps{})
	body := []byte(`{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"A"},"startsAt":"0001-01-01T00:00:00Z"}]}`)
	code, msg := post(t, d.url, body, nil)
	if code != 400 || !strings.Contains(msg, "alerts[0]: startsAt 0001-01-01T00:00:00Z is the zero time") {
		t.Fatalf("got %d %q", code, msg)
	}
}

// Another endpoint behind RequireAuth takes exactly the webhook's
// credentials; an open receiver leaves it open.
func TestRequireAuth(t *testing.T) {
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "inner") })
	call := func(h http.Handler, header http.Header) (int, string) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/mcp", nil)
		for k, v := range header {
			req.Header[k] = v
		}
		h.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	locked := start(t, Config{Token: "s3cr3t-token", BasicUser: "am", BasicPassword: "pa55"}, Deps{}).RequireAuth(inner)
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("am:pa55"))
	for _, c := range []struct {
		name, auth string
		code       int
		body       string
	}{
		{"none", "", 401, "unauthorized"},
		{"wrong token", "Bearer nope", 401, "unauthorized"},
		{"token", "Bearer s3cr3t-token", 200, "inner"},
		{"basic", basic, 200, "inner"},
	} {
		h := http.Header{}
		if c.auth != "" {
			h.Set("Authorization", c.auth)
		}
		if code, body := call(locked, h); code != c.code || !strings.Contains(body, c.body) {
			t.Errorf("%s: %d %q, want %d %q", c.name, code, body, c.code, c.body)
		}
	}
	if code, _ := call(locked, nil); code == 401 {
		// The challenge names both schemes, as the webhook's does.
		rec := httptest.NewRecorder()
		locked.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/mcp", nil))
		if got := rec.Header().Get("WWW-Authenticate"); !strings.Contains(got, "Bearer") || !strings.Contains(got, "Basic") {
			t.Errorf("WWW-Authenticate = %q", got)
		}
	}
	open := start(t, Config{}, Deps{}).RequireAuth(inner)
	if code, body := call(open, nil); code != 200 || body != "inner" {
		t.Errorf("open: %d %q", code, body)
	}
}
