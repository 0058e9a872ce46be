package bundle_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/triagectl/triage/internal/app"
	"github.com/triagectl/triage/internal/config"
	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/sources/alertmanager"
	"github.com/triagectl/triage/sources/bundle"
	"github.com/triagectl/triage/triage"
)

var update = flag.Bool("update", false, "rewrite testdata/fixture.bundle")

// The recorded answers of real backends (copied from the clients'
// testdata), served by path.
var backendFiles = []struct{ prefix, file, contentType string }{
	{"/api/v1/query_exemplars", "exemplars.json", "application/json"},
	{"/api/v1/query", "query_vector.json", "application/json"},
	{"/loki/api/v1/query_range", "query_range_streams_categorized.json", "application/json; charset=UTF-8"},
	{"/loki/api/v1/patterns", "patterns.json", "application/json; charset=UTF-8"},
	{"/api/search", "search_orders_errors.json", "application/json"},
	{"/api/traces/", "trace_error_v1.pb", "application/protobuf"},
	{"/api/v2/alerts", "alerts.json", "application/json"},
}

const fixtureTraceID = "3dfa4db9d4e3ef1902fbcfd6b2984408"

// fixtureBackend serves every source's recorded answers on one loopback
// server, and a Set-Cookie that must never reach a bundle.
func fixtureBackend(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, f := range backendFiles {
			if strings.HasPrefix(r.URL.Path, f.prefix) {
				body, err := os.ReadFile(filepath.Join("testdata", "backend", f.file))
				if err != nil {
					http.Error(w, err.Error(), 500)
					return
				}
				w.Header().Set("Content-Type", f.contentType)
				w.Header().Set("Set-Cookie", "session=c00kie-value")
				_, _ = w.Write(body)
				return
			}
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func fixtureConfig(url string) config.Config {
	c := config.Default()
	for _, s := range []*sources.Config{&c.Sources.Prometheus, &c.Sources.Loki, &c.Sources.Tempo, &c.Sources.Alertmanager} {
		s.URL = url
		s.BearerToken = "s3cr3t-bearer"
		s.Headers = map[string]string{"X-Api-Key": "k3y-value", "X-Scope-OrgID": "team-a"}
	}
	return c
}

var fixtureWindow = triage.Window{Start: time.Unix(1795565304, 0), End: time.Unix(1795566204, 0)}

// askAll makes one call of every kind the engine makes, and returns the
// decoded answers.
func askAll(t *testing.T, src triage.Sources) []any {
	t.Helper()
	ctx := context.Background()
	w := fixtureWindow
	var out []any
	add := func(v any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	add(src.Metrics.Query(ctx, `sum by (service) (rate(calls_total[5m]))`, w.End))
	add(src.Metrics.Exemplars(ctx, `calls_total{status="error"}`, w.Start, w.End))
	add(src.Logs.Lines(ctx, triage.LogQuery{Query: `{service_name="payments"} |= "error"`, Start: w.Start, End: w.End, Limit: 5}))
	add(src.Logs.Patterns(ctx, `{env="sim"}`, w.Start, w.End, time.Minute))
	add(src.Traces.Search(ctx, triage.TraceSearch{Status: triage.StatusError, Start: w.Start, End: w.End, Limit: 20}))
	add(src.Traces.Trace(ctx, fixtureTraceID))
	return out
}

// recordFixture records askAll and an Alertmanager listing against the
// fixture backend.
func recordFixture(t *testing.T) ([]byte, []any) {
	t.Helper()
	srv := fixtureBackend(t)
	cfg := fixtureConfig(strings.Replace(srv.URL, "http://", "http://user:pa55word@", 1))
	rec := app.Recording{Config: cfg, Now: fixtureWindow.End, TriageVersion: "test",
		Alert: triage.Alert{Name: "HighErrorRate", Labels: map[string]string{"alertname": "HighErrorRate", "service": "orders"},
			StartsAt: fixtureWindow.Start.Add(5 * time.Minute)}}
	h := rec.Header()
	h.Created = fixtureWindow.End
	var buf bytes.Buffer
	w, err := bundle.NewWriter(&buf, h)
	if err != nil {
		t.Fatal(err)
	}
	src, err := app.RecordingSources(cfg, w)
	if err != nil {
		t.Fatal(err)
	}
	live := askAll(t, src)
	if err := w.WriteReport(&triage.Report{Version: triage.ReportVersion, Alert: triage.AlertInfo{Name: "HighErrorRate"}}); err != nil {
		t.Fatal(err)
	}
	am, err := alertmanager.New(cfg.Sources.Alertmanager)
	if err != nil {
		t.Fatal(err)
	}
	w.SetPhase(bundle.PhaseAlerts)
	am.HTTP().OnExchange = w.Record
	alerts, err := am.Alerts(context.Background(), alertmanager.AlertsFilter{})
	if err != nil {
		t.Fatal(err)
	}
	live = append(live, alerts)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), live
}

// recordSmall records two small answers: the fuzz target's seed, small
// enough for the fuzzer to minimise what it derives from it quickly.
func recordSmall(t *testing.T) []byte {
	t.Helper()
	srv := fixtureBackend(t)
	cfg := config.Config{}
	cfg.Sources.Prometheus = sources.Config{URL: srv.URL}
	cfg.Sources.Loki = sources.Config{URL: srv.URL}
	rec := app.Recording{Config: cfg, Now: fixtureWindow.End, TriageVersion: "test",
		Alert: triage.Alert{Name: "HighErrorRate", StartsAt: fixtureWindow.Start}}
	h := rec.Header()
	h.Created = fixtureWindow.End
	var buf bytes.Buffer
	w, err := bundle.NewWriter(&buf, h)
	if err != nil {
		t.Fatal(err)
	}
	src, err := app.RecordingSources(cfg, w)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := src.Metrics.Query(ctx, "up", fixtureWindow.End); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Logs.Patterns(ctx, `{env="sim"}`, fixtureWindow.Start, fixtureWindow.End, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteReport(&triage.Report{Version: triage.ReportVersion}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Every kind of call, recorded through the real clients and replayed
// through them, decodes to the same answers; the bundle holds no
// credential.
func TestRecordReplayFixtures(t *testing.T) {
	data, live := recordFixture(t)
	if *update {
		if err := os.WriteFile(filepath.Join("testdata", "fixture.bundle"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("testdata", "small.bundle"), recordSmall(t), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	plain := gunzip(t, data)
	for _, secret := range []string{"s3cr3t-bearer", "k3y-value", "c00kie-value", "pa55word"} {
		if bytes.Contains(plain, []byte(secret)) {
			t.Errorf("bundle holds the credential %q", secret)
		}
	}
	b, err := bundle.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Len(); got != 7 {
		t.Errorf("%d exchanges, want 7", got)
	}
	if b.Report == nil || b.Report.Alert.Name != "HighErrorRate" {
		t.Errorf("report = %+v", b.Report)
	}
	if !b.Header.Options.Now.Equal(fixtureWindow.End) || b.Header.Alert.Labels["service"] != "orders" {
		t.Errorf("header = %+v", b.Header)
	}
	rp, err := app.ReplaySources(b, bundle.ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	replayed := askAll(t, rp.Sources)
	alerts, err := rp.Alertmanager.Alerts(context.Background(), alertmanager.AlertsFilter{})
	if err != nil {
		t.Fatal(err)
	}
	replayed = append(replayed, alerts)
	for i := range live {
		if !reflect.DeepEqual(live[i], replayed[i]) {
			t.Errorf("answer %d differs:\n live: %+v\nreplay: %+v", i, live[i], replayed[i])
		}
	}
	if m := rp.Replay.Missed(); len(m) != 0 {
		t.Errorf("missed %q", m)
	}
}

// A request the bundle does not hold fails as not recorded, through each
// client, and is listed as missed.
func TestReplayNotRecorded(t *testing.T) {
	data, _ := recordFixture(t)
	b, err := bundle.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	rp, err := app.ReplaySources(b, bundle.ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	w := fixtureWindow
	calls := map[string]func() error{
		"prometheus": func() error { _, err := rp.Sources.Metrics.Query(ctx, "up", w.End); return err },
		"loki": func() error {
			_, err := rp.Sources.Logs.Lines(ctx, triage.LogQuery{Query: `{a="b"}`, Start: w.Start, End: w.End, Limit: 1})
			return err
		},
		"tempo": func() error { _, err := rp.Sources.Traces.Trace(ctx, "0123456789abcdef0123456789abcdef"); return err },
		"alertmanager": func() error {
			_, err := rp.Alertmanager.CreateSilence(ctx, alertmanager.Silence{Comment: "x", CreatedBy: "test",
				Matchers: alertmanager.MatchersForAlert(map[string]string{"alertname": "HighErrorRate"}), EndsAt: time.Now().Add(time.Hour)})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			err := call()
			se, ok := sources.AsError(err)
			if !ok || se.Kind != sources.KindNotRecorded || !sources.IsNotRecorded(err) {
				t.Fatalf("err = %#v, want a not_recorded *sources.Error", err)
			}
			if se.Source != name || !strings.Contains(se.Reason(), "not recorded in this bundle") {
				t.Errorf("source %q, reason %q", se.Source, se.Reason())
			}
		})
	}
	if m := rp.Replay.Missed(); len(m) != len(calls) {
		t.Errorf("missed %d requests, want %d: %q", len(m), len(calls), m)
	}
}

// Identical requests get the recorded answers in order, then the last one
// again; after the investigation, an answer that did not change is not
// written again.
func TestReplayRepeatsInOrder(t *testing.T) {
	answers := []string{"1", "2", "2", "4"}
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k := min(int(n.Add(1)), len(answers)) - 1
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"success","data":{"resultType":"scalar","result":[1795566204,"`+answers[k]+`"]}}`)
	}))
	defer srv.Close()
	cfg := config.Config{}
	cfg.Sources.Prometheus = sources.Config{URL: srv.URL}
	rec := app.Recording{Config: cfg, Now: fixtureWindow.End}
	var buf bytes.Buffer
	w, err := bundle.NewWriter(&buf, rec.Header())
	if err != nil {
		t.Fatal(err)
	}
	src, err := app.RecordingSources(cfg, w)
	if err != nil {
		t.Fatal(err)
	}
	ask := func(m triage.MetricsSource) float64 {
		s, err := m.Query(context.Background(), "vector(1)", fixtureWindow.End)
		if err != nil || len(s) != 1 {
			t.Fatalf("%v %v", s, err)
		}
		return s[0].Value
	}
	for range len(answers) {
		ask(src.Metrics)
	}
	w.SetPhase(bundle.PhaseDrillDown)
	ask(src.Metrics)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := bundle.Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if b.Len() != len(answers) {
		t.Errorf("%d exchanges written, want %d", b.Len(), len(answers))
	}
	rp, err := app.ReplaySources(b, bundle.ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []float64
	for range 6 {
		got = append(got, ask(rp.Sources.Metrics))
	}
	if want := []float64{1, 2, 2, 4, 4, 4}; !reflect.DeepEqual(got, want) {
		t.Errorf("replayed %v, want %v", got, want)
	}
}

// A transport failure is replayed as the same kind of failure.
func TestReplayTransportFailure(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there now
	cfg := config.Config{}
	retries := 0
	cfg.Sources.Loki = sources.Config{URL: url, Retries: &retries}
	rec := app.Recording{Config: cfg, Now: fixtureWindow.End}
	var buf bytes.Buffer
	w, _ := bundle.NewWriter(&buf, rec.Header())
	src, err := app.RecordingSources(cfg, w)
	if err != nil {
		t.Fatal(err)
	}
	q := triage.LogQuery{Query: `{a="b"}`, Start: fixtureWindow.Start, End: fixtureWindow.End, Limit: 1}
	_, liveErr := src.Logs.Lines(context.Background(), q)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := bundle.Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	rp, _ := app.ReplaySources(b, bundle.ReplayOptions{})
	_, err = rp.Sources.Logs.Lines(context.Background(), q)
	if sources.KindOf(err) != sources.KindUnreachable || sources.KindOf(liveErr) != sources.KindUnreachable {
		t.Fatalf("live %v, replayed %v: want both unreachable", liveErr, err)
	}
	if !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("replayed %q, want connection refused", err)
	}
}

func gunzip(t testing.TB, data []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
