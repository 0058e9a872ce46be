package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/triagectl/triage/internal/sim"
)

const fixedNow = "2026-03-01T12:00:00Z"

func execute(ctx context.Context, out io.Writer, args ...string) error {
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(out)
	root.SetErr(io.Discard)
	return root.ExecuteContext(ctx)
}

func TestTruthCommand(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		culprit string
		check   func(sim.GroundTruth) bool // nil: nothing more
		wantErr string
	}{
		{name: "default", args: []string{"truth", "--now", fixedNow}, culprit: "ledger-db",
			check: func(gt sim.GroundTruth) bool { return gt.Scenario.Name == "db-region" }},
		{name: "scenario flags", args: []string{"truth", "--now", fixedNow, "--error-service", "inventory", "--error-segment", "user.tier=pro"}, culprit: "inventory"},
		{name: "error fault off leaves the slow inventory", args: []string{"truth", "--now", fixedNow, "--error-service", ""}, culprit: "inventory",
			check: func(gt sim.GroundTruth) bool { return gt.Kind == sim.KindLatency }},
		{name: "every fault off", args: []string{"truth", "--now", fixedNow, "--error-service", "", "--slow-service", ""}, culprit: ""},
		{name: "preset db-region", args: []string{"truth", "--now", fixedNow, "--scenario", "db-region"}, culprit: "ledger-db"},
		{name: "preset cache-tier", args: []string{"truth", "--now", fixedNow, "--scenario", "cache-tier"}, culprit: "session-cache",
			check: func(gt sim.GroundTruth) bool {
				return gt.Kind == sim.KindLatency && gt.Scenario.SlowSegment == "user.tier=free"
			}},
		{name: "preset consumer", args: []string{"truth", "--now", fixedNow, "--scenario", "consumer"}, culprit: "notifications",
			check: func(gt sim.GroundTruth) bool { return len(gt.Messaging.FailingLinks) > 0 }},
		{name: "preset noise", args: []string{"truth", "--now", fixedNow, "--scenario", "noise"}, culprit: "inventory",
			check: func(gt sim.GroundTruth) bool {
				return len(gt.NoiseOrigins) == 1 && gt.NoiseOrigins[0] == "recommendations"
			}},
		{name: "flags override the preset", args: []string{"truth", "--now", fixedNow, "--scenario", "cache-tier", "--slow-segment", "user.tier=pro", "--seed", "42"},
			culprit: "session-cache", check: func(gt sim.GroundTruth) bool {
				sc := gt.Scenario
				return sc.Name == "cache-tier" && sc.SlowSegment == "user.tier=pro" && sc.Seed == 42 && sc.SlowRate == 0.7 && sc.ErrorService == ""
			}},
		{name: "unknown scenario", args: []string{"truth", "--scenario", "meteor"}, wantErr: `"meteor"`},
		{name: "bad scenario", args: []string{"truth", "--users", "10"}, wantErr: "Users=10"},
		{name: "bad now", args: []string{"truth", "--now", "yesterday"}, wantErr: "--now"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := execute(context.Background(), &out, tc.args...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var gt sim.GroundTruth
			if err := json.Unmarshal(out.Bytes(), &gt); err != nil {
				t.Fatalf("truth is not JSON: %v", err)
			}
			if gt.Culprit != tc.culprit || gt.End.Format(time.RFC3339) != fixedNow {
				t.Fatalf("culprit %q ending %s, want %q ending %s", gt.Culprit, gt.End, tc.culprit, fixedNow)
			}
			if tc.check != nil && !tc.check(gt) {
				t.Fatalf("truth of %v fails the check: %s incident, scenario %+v", tc.args, gt.Kind, gt.Scenario)
			}
		})
	}
}

func TestScenariosCommand(t *testing.T) {
	var out bytes.Buffer
	if err := execute(context.Background(), &out, "scenarios"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	presets := sim.Presets()
	if len(lines) != len(presets) {
		t.Fatalf("%d lines for %d presets:\n%s", len(lines), len(presets), out.String())
	}
	for k, p := range presets {
		name, desc, _ := strings.Cut(lines[k], " ")
		if name != p.Name || strings.TrimSpace(desc) != p.Description {
			t.Errorf("line %q, want %s and its description", lines[k], p.Name)
		}
	}
}

func TestRulesFollowTheScenario(t *testing.T) {
	var out bytes.Buffer
	if err := execute(context.Background(), &out, "rules", "--now", fixedNow, "--scenario", "cache-tier"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "alert: HighLatency") || !strings.Contains(out.String(), "histogram_quantile") {
		t.Fatalf("cache-tier rules lack the latency alert:\n%s", out.String())
	}
}

func TestRunSendsAndWritesFiles(t *testing.T) {
	var otlp, loki atomic.Int32
	tempo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		otlp.Add(1)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer tempo.Close()
	lk := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		loki.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer lk.Close()
	dir := t.TempDir()
	truthFile, rulesFile := filepath.Join(dir, "truth.json"), filepath.Join(dir, "rules.yaml")
	var out bytes.Buffer
	err := execute(context.Background(), &out, "run", "--scenario", "noise", "--now", fixedNow, "--window", "2m", "--incident-after", "30s",
		"--tempo-otlp", tempo.URL, "--loki", lk.URL, "--truth", truthFile, "--rules", rulesFile)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	for _, want := range []string{"traces=", "logs=", "ready\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output %q lacks %q", out.String(), want)
		}
	}
	if otlp.Load() == 0 || loki.Load() == 0 {
		t.Errorf("%d OTLP and %d Loki requests", otlp.Load(), loki.Load())
	}
	raw, err := os.ReadFile(truthFile)
	if err != nil {
		t.Fatal(err)
	}
	var gt sim.GroundTruth
	if err := json.Unmarshal(raw, &gt); err != nil || gt.Traces == 0 {
		t.Fatalf("truth file: %v, %d traces", err, gt.Traces)
	}
	if sc := gt.Scenario; sc.Name != "noise" || sc.Window != 2*time.Minute || sc.ErrorService != "inventory" {
		t.Errorf("truth file's scenario %+v, want the noise preset over 2m", sc)
	}
	if rules, err := os.ReadFile(rulesFile); err != nil || !strings.Contains(string(rules), "HighErrorRate") {
		t.Fatalf("rules file: %v %q", err, rules)
	}
}

func TestRunServesMetricsUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- execute(ctx, pw, "run", "--now", fixedNow, "--window", "2m", "--incident-after", "30s", "--metrics-listen", "127.0.0.1:0")
		pw.Close()
	}()
	addr := ""
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "metrics_addr="); ok {
			addr = a
		}
		if sc.Text() == "ready" {
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if addr == "" {
		t.Fatal("no metrics_addr line")
	}
	for _, path := range []string{"/metrics", "/truth", "/rules"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || len(body) == 0 {
			t.Fatalf("%s: %s", path, resp.Status)
		}
		if path == "/metrics" && !strings.Contains(string(body), "traces_spanmetrics_calls_total") {
			t.Fatalf("/metrics lacks span metrics")
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop after cancel")
	}
}

func TestRunBackfillsPrometheus(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		wantErr string
	}{
		{"accepted", http.StatusNoContent, ""},
		{"rejected", http.StatusBadRequest, "400"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var writes atomic.Int64
			mux := http.NewServeMux()
			mux.HandleFunc("/api/v1/targets", func(w http.ResponseWriter, _ *http.Request) {
				_, _ = io.WriteString(w, `{"status":"success","data":{"activeTargets":[{"labels":{"job":"sim","instance":"127.0.0.1:9464"},"scrapeUrl":"http://127.0.0.1:9464/metrics"}]}}`)
			})
			mux.HandleFunc("/api/v1/write", func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Content-Encoding") != "snappy" {
					http.Error(w, "not snappy", http.StatusUnsupportedMediaType)
					return
				}
				writes.Add(1)
				w.WriteHeader(tc.status)
			})
			srv := httptest.NewServer(mux)
			defer srv.Close()
			var out bytes.Buffer
			err := execute(context.Background(), &out, "run", "--now", fixedNow, "--prometheus", srv.URL, "--prometheus-target", "127.0.0.1:9464")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if writes.Load() < 2 || !strings.Contains(out.String(), "backfill=2026-03-01T10:30:00Z\n") {
				t.Fatalf("%d writes, output:\n%s", writes.Load(), out.String())
			}
		})
	}
}
