package prometheus_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/triagectl/triage/internal/testenv"
	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/sources/prometheus"
	"github.com/triagectl/triage/sources/sourcestest"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// waitFor polls cond every 250ms until it holds or the deadline passes,
// and returns its last error.
func waitFor(ctx context.Context, deadline time.Time, cond func() error) error {
	for {
		err := cond()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func liveIncident(t *testing.T) (*testenv.SimIncident, *prometheus.Client) {
	t.Helper()
	inc := testenv.Incident(t)
	if inc.Prometheus == nil {
		t.Skip("prometheus is not live")
	}
	c, err := prometheus.New(inc.Prometheus.Config())
	if err != nil {
		t.Fatal(err)
	}
	return inc, c
}

type missingError []string

func (m missingError) Error() string { return "missing " + strings.Join(m, ", ") }

func missing(want, got []string) error {
	var out missingError
	for _, w := range want {
		if !slices.Contains(got, w) {
			out = append(out, w)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func TestIntegrationIncident(t *testing.T) {
	inc, c := liveIncident(t)
	truth := inc.Truth
	if len(truth.Services) == 0 {
		t.Fatal("the scenario has no services")
	}
	ctx := t.Context()
	deadline := time.Now().Add(60 * time.Second)

	err := waitFor(ctx, deadline, func() error {
		now := time.Now()
		s, err := c.Series(ctx, []string{"traces_spanmetrics_calls_total"}, now.Add(-5*time.Minute), now)
		if err == nil && len(s) == 0 {
			return missingError{"traces_spanmetrics_calls_total series"}
		}
		return err
	})
	if err != nil {
		t.Fatalf("span metrics never appeared: %v", err)
	}

	t.Run("label values hold every service", func(t *testing.T) {
		now := time.Now()
		vals, err := c.LabelValues(ctx, "service", []string{"traces_spanmetrics_calls_total"}, now.Add(-5*time.Minute), now)
		if err != nil {
			t.Fatal(err)
		}
		if err := missing(truth.Services, vals); err != nil {
			t.Fatalf("label values %v: %v", vals, err)
		}
	})

	t.Run("instant query by service", func(t *testing.T) {
		const q = "sum by (service)(rate(traces_spanmetrics_calls_total[1m]))"
		var last prometheus.Result
		err := waitFor(ctx, deadline, func() error {
			res, err := c.Query(ctx, q, time.Time{})
			if err != nil {
				return err
			}
			last = res
			var got []string
			for _, s := range res.Vector() {
				got = append(got, string(s.Metric["service"]))
			}
			return missing(truth.Services, got)
		})
		if err != nil {
			t.Fatalf("%s = %v: %v", q, last.Value, err)
		}
		for _, s := range last.Vector() {
			if s.Value < 0 {
				t.Errorf("%s: negative rate %v", s.Metric, s.Value)
			}
		}
	})

	t.Run("range query", func(t *testing.T) {
		end := time.Now()
		res, err := c.QueryRange(ctx, `sum by (service)(traces_spanmetrics_calls_total)`,
			v1.Range{Start: end.Add(-time.Minute), End: end, Step: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if m := res.Matrix(); len(m) == 0 || len(m[0].Values) == 0 {
			t.Fatalf("matrix = %v", res.Value)
		}
	})

	t.Run("exemplars carry generated trace ids", func(t *testing.T) {
		const q = `traces_spanmetrics_calls_total{status_code="STATUS_CODE_ERROR"}`
		var ex []prometheus.Exemplar
		err := waitFor(ctx, deadline, func() error {
			var err error
			now := time.Now()
			ex, err = c.QueryExemplars(ctx, q, now.Add(-time.Hour), now)
			if err == nil && len(ex) == 0 {
				return missingError{"exemplars"}
			}
			return err
		})
		if _, none := err.(missingError); none {
			t.Skip("the server scraped no exemplars")
		}
		if err != nil {
			t.Fatal(err)
		}
		hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
		failing := 0
		for _, e := range ex {
			if e.Series["status_code"] != "STATUS_CODE_ERROR" {
				t.Errorf("exemplar on a non-error series %v", e.Series)
			}
			if !hex32.MatchString(e.TraceID) {
				t.Errorf("trace id %q from %v is not 32 hex digits", e.TraceID, e.Labels)
			}
			if _, ok := slices.BinarySearch(truth.FailingTraceIDs, e.TraceID); ok {
				failing++
			}
		}
		if failing == 0 {
			t.Fatalf("none of %d exemplar trace ids is a failing trace of the scenario (first %q)", len(ex), ex[0].TraceID)
		}
		t.Logf("%d exemplars on error series, %d pointing at failing traces", len(ex), failing)
	})

	t.Run("probes", func(t *testing.T) {
		bi, err := c.BuildInfo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if bi.GoVersion == "" {
			t.Fatalf("build info = %+v", bi)
		}
		if want := inc.Prometheus.Version; want != "" && want != bi.Version {
			t.Fatalf("build info version %q, harness saw %q", bi.Version, want)
		}
		if bi.Version == "" {
			t.Logf("this Prometheus was built without a version (%s)", bi.GoVersion)
		}
		if err := c.Ready(ctx); err != nil {
			t.Fatal(err)
		}
		if err := c.AuthCheck(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Rules(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Alerts(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestIntegrationErrors(t *testing.T) {
	inc, c := liveIncident(t)
	ctx := t.Context()
	tests := []struct {
		name   string
		q      string
		kind   sources.Kind
		status int
		msg    string
	}{
		{"bad promql", "sum(rate(x[5m]", sources.KindBadRequest, 400, "parse error"},
		{"many-to-many", "traces_spanmetrics_calls_total * on(service) group_left traces_spanmetrics_calls_total",
			sources.KindBadRequest, 422, "duplicate series"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Query(ctx, tt.q, time.Time{})
			se, ok := sources.AsError(err)
			if !ok {
				t.Fatalf("err = %v, want *sources.Error", err)
			}
			if se.Kind != tt.kind || se.Status != tt.status || !strings.Contains(se.Msg, tt.msg) || se.Body == "" {
				t.Fatalf("got kind %s status %d msg %q, want %s %d %q", se.Kind, se.Status, se.Msg, tt.kind, tt.status, tt.msg)
			}
		})
	}

	t.Run("unreachable", func(t *testing.T) {
		cfg := inc.Prometheus.Config()
		cfg.URL = "http://" + sourcestest.ClosedAddr(t)
		cfg.Timeout = 2 * time.Second
		c, err := prometheus.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		_, err = c.Query(ctx, "up", time.Time{})
		if sources.KindOf(err) != sources.KindUnreachable {
			t.Fatalf("err = %v, want unreachable", err)
		}
		if d := time.Since(t0); d > cfg.Timeout {
			t.Fatalf("took %v, beyond the %v timeout", d, cfg.Timeout)
		}
	})
}
