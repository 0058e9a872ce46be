package explore_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/triage"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/explore"
	"github.com/triagectl/triage/tui/tuitest"
)

// paymentsTraces are the fixture's traces the Service page of payments
// lists, in report order: its error origins, plus its evidence.
func paymentsTraces(t *testing.T) []triage.TraceRow {
	rep := tuitest.Fixture(t).Report
	ev := map[string]bool{}
	for _, s := range rep.Services {
		if s.Name == "payments" {
			for _, e := range s.Evidence {
				ev[e] = true
			}
		}
	}
	var out []triage.TraceRow
	for _, tr := range rep.Traces {
		o := tr.ErrorOrigin
		if tr.RootService == "payments" || ev[tr.TraceID] || (o != nil && (o.Service == "payments" || o.Peer == "payments")) {
			out = append(out, tr)
		}
	}
	if len(out) == 0 {
		t.Fatal("the fixture has no trace through payments")
	}
	return out
}

func paymentsPatterns(t *testing.T) []triage.LogPattern {
	var out []triage.LogPattern
	for _, lp := range tuitest.Fixture(t).Report.LogPatterns {
		for _, s := range lp.Services {
			if s == "payments" {
				out = append(out, lp)
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("the fixture has no log pattern from payments")
	}
	return out
}

func TestServiceGolden(t *testing.T) {
	for _, sz := range sizes()[:2] {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			c := tuitest.Common(t, sz.w, sz.h)
			app := open(t, c, explore.Service(c, fixtureRef(t), "payments"))
			view := screen(app)
			tuitest.CheckSize(t, view, sz.w, sz.h)
			tuitest.Golden(t, fmt.Sprintf("service_payments_%dx%d", sz.w, sz.h), view)
			plain := ansi.Strip(view)
			mustContain(t, plain, " payments", "propagating", fmt.Sprintf("[TRACES %d]", len(paymentsTraces(t))),
				fmt.Sprintf("LOGS %d", len(paymentsPatterns(t))), "no series for payments", "enter trace")
			// The simulated Prometheus has no service-graph series: that is
			// known empty, not unknown.
			mustNotContain(t, plain, "unknown —")
		})
	}
}

// TestServiceSeries draws the RED sparklines and the edges from a
// Prometheus that has them, section by section.
func TestServiceSeries(t *testing.T) {
	for _, sz := range sizes()[:2] {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			c := tuitest.Common(t, sz.w, sz.h)
			c.Data.Sources.Metrics = paymentsGraph(t)
			app := open(t, c, explore.Service(c, fixtureRef(t), "payments"))
			plain := ansi.Strip(screen(app))
			tuitest.Golden(t, fmt.Sprintf("service_series_%dx%d", sz.w, sz.h), screen(app))
			mustContain(t, plain, "req/s  ▇", "42.0%", "0.2%", "2.10s", "120ms", "EDGES 3")
			// The incident's error ratio steps up to a full bar; the baseline,
			// on the same scale, stays at the lowest.
			errRow := lineWith(plain, " err%   ")
			if !regexp.MustCompile(`▁+[▂▃▄▅▆▇]?█{5,}`).MatchString(errRow) {
				t.Errorf("err%% sparkline does not step up: %q", errRow)
			}
			app = drive(t, app, "tab")
			tuitest.Golden(t, fmt.Sprintf("service_logs_%dx%d", sz.w, sz.h), screen(app))
			mustContain(t, ansi.Strip(screen(app)), "[LOGS", "new", "timeout acquiring connection")

			app = drive(t, app, "tab")
			tuitest.Golden(t, fmt.Sprintf("service_edges_%dx%d", sz.w, sz.h), screen(app))
			plain = ansi.Strip(screen(app))
			mustContain(t, plain, "[EDGES 3]", "↑ caller  checkout", "41.9%", "↓ callee  ledger-db", "97.6%", "↓ callee  fraud", "0.0%")
			// storefront→checkout does not touch payments.
			mustNotContain(t, plain, "storefront")

			app = drive(t, app, "tab")
			mustContain(t, ansi.Strip(screen(app)), "[TRACES")
		})
	}
}

func lineWith(view, sub string) string {
	for _, l := range strings.Split(view, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

func TestServiceNavigation(t *testing.T) {
	c := tuitest.Common(t, 120, 40)
	c.Data.Sources.Metrics = paymentsGraph(t)
	var rec navRecorder
	rec.wire(c)
	in := fixtureRef(t)
	app := openOver(t, c, explore.Service(c, in, "payments"))
	first := paymentsTraces(t)[0]

	steps := []struct {
		name  string
		keys  []string
		want  navCall
		title string
	}{
		{"enter opens the trace", []string{"enter"}, navCall{kind: "trace", traceID: first.TraceID}, "trace " + first.TraceID[:7]},
		{"l opens the trace's logs", []string{"l"}, navCall{kind: "logs", traceID: first.TraceID}, "logs"},
		{"t opens the service's traces", []string{"t"}, navCall{kind: "traces", filter: tui.TraceFilter{Service: "payments"}}, "traces"},
		{"enter on a pattern opens its lines", []string{"tab", "enter"},
			navCall{kind: "pattern", pattern: paymentsPatterns(t)[0].Pattern}, "pattern"},
		{"enter on an edge opens the peer", []string{"tab", "enter"}, navCall{kind: "service", service: "checkout"}, "svc checkout"},
		{"the second edge", []string{"j", "enter"}, navCall{kind: "service", service: "ledger-db"}, "svc ledger-db"},
	}
	for _, st := range steps {
		app = drive(t, app, st.keys...)
		if app.Depth() != 3 || app.Top().Title() != st.title {
			t.Fatalf("%s: top is %q at depth %d, want %q at 3", st.name, app.Top().Title(), app.Depth(), st.title)
		}
		got := rec.last()
		if got.in.Report != in.Report || got.in.Alert.Fingerprint != in.Alert.Fingerprint {
			t.Errorf("%s: the page passed another incident", st.name)
		}
		got.in = tui.IncidentRef{}
		if fmt.Sprint(got) != fmt.Sprint(st.want) {
			t.Errorf("%s: Nav call %+v, want %+v", st.name, got, st.want)
		}
		app = drive(t, app, "esc")
		if app.Top().Title() != "payments" {
			t.Fatalf("%s: esc went back to %q", st.name, app.Top().Title())
		}
	}
}

func TestServiceCopy(t *testing.T) {
	c := tuitest.Common(t, 120, 40)
	c.Data.Sources.Metrics = paymentsGraph(t)
	app := open(t, c, explore.Service(c, fixtureRef(t), "payments"))
	want := []struct{ label, text string }{
		{"trace id", paymentsTraces(t)[0].TraceID},
		{"log pattern", paymentsPatterns(t)[0].Pattern},
		{"query", `sum(rate(traces_service_graph_request_failed_total{client="checkout",server="payments"}[1075s])) / ` +
			`sum(rate(traces_service_graph_request_total{client="checkout",server="payments"}[1075s]))`},
	}
	for i, w := range want {
		if i > 0 {
			app = drive(t, app, "tab")
		}
		label, text, ok := app.Top().(tui.Copier).CopyTarget()
		if !ok || label != w.label || text != w.text {
			t.Errorf("section %d copies %q %q %v, want %q %q", i, label, text, ok, w.label, w.text)
		}
		app = drive(t, app, "y")
		mustContain(t, ansi.Strip(screen(app)), "copied "+w.label+": ")
	}
}

func TestServiceFailedSources(t *testing.T) {
	timeout := &sources.Error{Source: "prometheus", Op: "query_range", Kind: sources.KindTimeout, Msg: "context deadline exceeded after 10s"}
	cases := []struct {
		name    string
		metrics triage.MetricsSource
		report  *triage.Report
		tabs    int
		wants   []string
		bans    []string
	}{
		{"prometheus fails: RED", failingMetrics{timeout}, nil, 0,
			[]string{"req/s  unknown — prometheus: context deadline exceeded after 10s", "p99    unknown — prometheus: context deadline exceeded after 10s", "EDGES ?"},
			[]string{"no series"}},
		{"prometheus fails: edges", failingMetrics{timeout}, nil, 2,
			[]string{"[EDGES ?]", " unknown — prometheus: context deadline exceeded after 10s"}, []string{"no service-graph"}},
		{"prometheus not configured", nil, nil, 2,
			[]string{"req/s  unknown — prometheus: not configured", "[EDGES ?]"}, []string{"EDGES 0"}},
		{"prometheus failed during the investigation", nil, failedReport(t, triage.SourcePrometheus, "HTTP 503: overloaded"), 0,
			[]string{"unknown — prometheus: HTTP 503: overloaded"}, []string{"err% —"}},
		{"tempo failed", paymentsGraph(t), failedReport(t, triage.SourceTempo, "context deadline exceeded after 30s"), 0,
			[]string{"payments  unknown — tempo: context deadline exceeded after 30s", "[TRACES ?]", " unknown — tempo: context deadline exceeded after 30s"},
			[]string{"TRACES 0", "no sampled"}},
		{"loki failed", paymentsGraph(t), failedReport(t, triage.SourceLoki, "HTTP 401: unauthorized"), 1,
			[]string{"[LOGS ?]", "unknown — loki: HTTP 401: unauthorized"}, []string{"LOGS 0", "no error or warning"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := tuitest.Common(t, 120, 40)
			c.Data.Sources.Metrics = tc.metrics
			in := fixtureRef(t)
			if tc.report != nil {
				in.Report = tc.report
			}
			app := open(t, c, explore.Service(c, in, "payments"))
			for range tc.tabs {
				app = drive(t, app, "tab")
			}
			plain := ansi.Strip(screen(app))
			mustContain(t, plain, tc.wants...)
			mustNotContain(t, plain, tc.bans...)
			tuitest.CheckSize(t, screen(app), 120, 40)
		})
	}
}

func TestServiceFailedGolden(t *testing.T) {
	c := tuitest.Common(t, 80, 24)
	c.Data.Sources.Metrics = failingMetrics{&sources.Error{Source: "prometheus", Kind: sources.KindUnreachable, Msg: "dial tcp 10.0.0.9:9090: connect: connection refused"}}
	in := fixtureRef(t)
	in.Report = failedReport(t, triage.SourceTempo, "context deadline exceeded after 30s")
	app := open(t, c, explore.Service(c, in, "payments"))
	tuitest.Golden(t, "service_failed_80x24", screen(app))
}

// TestServiceUnranked opens a service the report does not rank.
func TestServiceUnranked(t *testing.T) {
	c := tuitest.Common(t, 80, 24)
	app := open(t, c, explore.Service(c, fixtureRef(t), "fraud"))
	plain := ansi.Strip(screen(app))
	mustContain(t, plain, "not among the incident's ranked services", "[TRACES 0]", "no sampled failing or slow trace involves fraud")
}
